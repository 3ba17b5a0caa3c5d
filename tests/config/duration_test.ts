// Go duration strings: the values time.ParseDuration accepts and rejects, and Duration.String().

import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../src/config/duration.ts";

Deno.test("parseDuration() reads every form Go's time.ParseDuration accepts", () => {
  const cases: [string, number][] = [
    ["1m0s", 60_000],
    ["100ms", 100],
    ["2h45m", 9_900_000],
    ["1.5h", 5_400_000],
    ["1h30m", 5_400_000],
    ["30s", 30_000],
    ["0", 0],
    ["0s", 0],
    ["-0", 0],
    ["+5s", 5_000],
    ["-1.5s", -1_500],
    [".5s", 500],
    ["5.s", 5_000],
    ["1h1m1s1ms", 3_661_001],
    ["300us", 0.3],
    ["300\u00b5s", 0.3],
    ["300\u03bcs", 0.3],
    ["1ns", 0.000001],
    ["1.0000000001s", 1_000], // below a nanosecond is truncated, as in Go
    ["2562047h", 2_562_047 * 3_600_000],
  ];
  for (const [text, ms] of cases) {
    assert.equal(parseDuration(text), ms, text);
  }
});

Deno.test("parseDuration() rejects what Go rejects, saying why", () => {
  const cases: [string, RegExp][] = [
    ["5", /missing unit/],
    ["10", /missing unit/],
    ["1x", /unknown unit "x"/],
    ["1S", /unknown unit "S"/],
    ["1.5", /missing unit/],
    ["1e3s", /unknown unit "e"/],
    ["", /Invalid duration ""/],
    ["-", /Invalid duration "-"/],
    [".", /Invalid duration/],
    ["s", /Invalid duration "s"/],
    [" 1s", /Invalid duration/],
    ["1s ", /unknown unit "s "/],
    ["1m-2s", /unknown unit "m-"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseDuration(text), { name: "SyntaxError", message }, text);
  }
  assert.throws(() => parseDuration("2562048h"), RangeError);
});

Deno.test("formatDuration() writes what Go's Duration.String() writes", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1_000, "1s"],
    [60_000, "1m0s"],
    [120_000, "2m0s"],
    [5_400_000, "1h30m0s"],
    [9_900_000, "2h45m0s"],
    [100, "100ms"],
    [1.5, "1.5ms"],
    [0.3, "300µs"],
    [0.000001, "1ns"],
    [1_500, "1.5s"],
    [90_061_001, "25h1m1.001s"],
    [-1_500, "-1.5s"],
  ];
  for (const [ms, text] of cases) {
    assert.equal(formatDuration(ms), text, String(ms));
  }
});

Deno.test("formatDuration() output parses back to the same milliseconds", () => {
  for (const ms of [0, 1, 59_999, 60_000, 86_400_000, 0.25, 123_456_789, 1.000001]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, String(ms));
  }
});
