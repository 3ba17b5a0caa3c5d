// Tests of point extraction from pickle-receiver frames: carbon clients' shapes across protocols
// 0-5 and Python 2, checked against Python's float() as oracle; bad points counted, not fatal.

import { concat } from "../_util/bytes.ts";
import assert from "node:assert/strict";
import { decodePickle, pickleTuple } from "../../src/protocol/pickle_decode.ts";
import type { PickleValue } from "../../src/protocol/pickle_decode.ts";
import { decodePickleMetrics, extractPoints } from "../../src/protocol/pickle_metrics.ts";
import type { ExtractStats } from "../../src/protocol/pickle_metrics.ts";
import { encodePickle } from "../../src/protocol/pickle_encode.ts";
import { bin, FIXTURES_DIR, fromHex, loadCases, python, splitFrames } from "./pickle_oracle.ts";
import { requires } from "../_util/requires.ts";

const cases = loadCases();

type Point = [string, number, number];

function collect(payload: Uint8Array): { points: Point[]; stats: ExtractStats } {
  const points: Point[] = [];
  const stats = decodePickleMetrics(payload, (n, t, v) => points.push([n, t, v]));
  return { points, stats };
}

Deno.test("decodePickleMetrics() reads carbon clients' frames of protocols 0-5 as Python's float() does", () => {
  let n = 0;
  for (const c of cases.metrics) {
    if (c.refused) continue;
    const { points, stats } = collect(fromHex(c.hex));
    assert.deepStrictEqual(points, c.points, c.name);
    assert.equal(stats.accepted, c.points!.length, c.name);
    assert.equal(stats.rejected, c.rejected, c.name);
    n++;
  }
  assert.ok(n >= 60, `only ${n} frames`);
});

Deno.test("decodePickleMetrics() reads Python 2 frames, Nagios string values and I01 included", () => {
  const nagios = collect(fromHex(cases.metrics.find((c) => c.name.includes("nagios"))!.hex));
  assert.deepStrictEqual(nagios.points, [["nagios.host1.load1", 1700000000, 0.52]]);
  assert.equal(nagios.stats.rejectedBy["bad-value"], 1);
  assert.equal(nagios.stats.firstRejection, 'entry 1: value is "12.5ms"');
  const bool = collect(fromHex(cases.metrics.find((c) => c.name === "py2 p0 bool value")!.hex));
  assert.deepStrictEqual(bool.points, [["check.ok", 1700000000, 1]]);
});

Deno.test("decodePickleMetrics() refuses py3 bytes names pickled before protocol 3 (a global)", () => {
  for (const c of cases.metrics.filter((c) => c.refused)) {
    assert.throws(() => collect(fromHex(c.hex)), /opcode GLOBAL .* is not allowed/, c.name);
  }
});

Deno.test("extractPoints() keeps the good points of a frame and counts each bad one by reason", () => {
  const c = cases.metrics.find((c) => c.name === "bad entries skipped p2")!;
  const { points, stats } = collect(fromHex(c.hex));
  assert.deepStrictEqual(points, [
    ["ok.one", 1700000000, 1],
    ["ok.two", 1700000060, -2.5],
  ]);
  assert.deepStrictEqual(stats, {
    accepted: 2,
    rejected: 13,
    rejectedBy: {
      "bad-entry": 5, // point of 3 items, entry without points, a str, a triple's 2 "points"
      "bad-name": 2, // None, ""
      "bad-timestamp": 3, // -1, 2^32, "yesterday"
      "bad-value": 1, // "abc"
      "non-finite-value": 2, // nan, -inf
    },
    firstRejection: 'entry 1: value is "abc"',
  });
  assert.equal(stats.rejected, Object.values(stats.rejectedBy).reduce((a, b) => a + b));
});

Deno.test("extractPoints() reads the shapes clients send, each point on its own", () => {
  const table: [string, PickleValue, Point[], number][] = [
    ["empty list", [], [], 0],
    ["tuple of entries", pickleTuple(pickleTuple("a", pickleTuple(1, 2))), [["a", 1, 2]], 0],
    ["go-carbon entry", [["a", [1, 2], pickleTuple(3, 4), [5, "6"]]], [["a", 1, 2], ["a", 3, 4], [
      "a",
      5,
      6,
    ]], 0],
    ["one bad point among good ones", [["a", [1, 2], [3], [5, 6]]], [["a", 1, 2], ["a", 5, 6]], 1],
    ["bad name counts each point", [[7, [1, 2], [3, 4]]], [], 2],
    ["bytes name", [[bin("b.c"), [1, 2]]], [["b.c", 1, 2]], 0],
    ["bytes value, as float(b'1.5')", [["a", [1, bin("1.5")]]], [["a", 1, 1.5]], 0],
    ["invalid UTF-8 name", [[bin("\xff"), [1, 2]]], [], 1],
    ["string timestamp with fraction", [["a", ["1722502800.9", "1.5e3"]]], [[
      "a",
      1722502800,
      1500,
    ]], 0],
    ["bigint value", [["a", [1, 2n ** 70n]]], [["a", 1, 2 ** 70]], 0],
    ["huge bigint value is not finite", [["a", [1, 2n ** 1100n]]], [], 1],
    ["timestamp 2^32-1", [["a", [0xffffffff, 1]]], [["a", 0xffffffff, 1]], 0],
    ["timestamp 2^32-0.5 truncates", [["a", [0xffffffff + 0.5, 1]]], [["a", 0xffffffff, 1]], 0],
    ["timestamp 2^32", [["a", [0x100000000, 1]]], [], 1],
    ["None value", [["a", [1, null]]], [], 1],
    ["dict point", [["a", new Map()]], [], 1],
    ["nan string value", [["a", [1, "nan"]]], [], 1],
    ["-0 value kept", [["a", [1, -0]]], [["a", 1, -0]], 0],
  ];
  for (const [label, frame, expected, rejected] of table) {
    const points: Point[] = [];
    const stats = extractPoints(frame, (n, t, v) => points.push([n, t, v]));
    assert.deepStrictEqual(points, expected, label);
    assert.equal(stats.rejected, rejected, label);
  }
});

Deno.test("extractPoints() refuses a frame that is not a list or tuple", () => {
  for (
    const frame of [null, "a", 5, new Map(), new Set<PickleValue>(), bin("x")] as PickleValue[]
  ) {
    assert.throws(() => extractPoints(frame, () => {}), TypeError);
  }
  assert.throws(
    () => decodePickleMetrics(encodePickle({ a: 1 }), () => {}),
    { name: "TypeError", message: "Cannot extract points: frame is a dict, not a list" },
  );
});

Deno.test("decodePickleMetrics() refuses memo amplification before any point reaches the sink", () => {
  // One entry (name, p, p, ... n times), the point and the entry memoized, listed m times:
  // n * m points from about 2n + 2m bytes.
  const n = 3000, m = 3000;
  const entry = concat(
    bin("(X\x03\x00\x00\x00a.bK\x01K\x02\x86q\x00"),
    bin("h\x00".repeat(n - 1)),
    bin("tq\x01"),
  );
  const bad = concat(bin("\x80\x02]("), entry, bin("h\x01".repeat(m - 1)), bin("e."));
  assert.equal((decodePickle(bad) as PickleValue[]).length, m);
  let calls = 0;
  assert.throws(
    () => decodePickleMetrics(bad, () => calls++),
    {
      name: "RangeError",
      message: `Cannot extract points: frame holds ${
        n * m
      } points, more than the limit of ${bad.length}`,
    },
  );
  assert.equal(calls, 0);
  // The same shape with a few repeats is fine, and maxPoints also bounds extractPoints.
  const small = decodePickle(
    concat(bin("\x80\x02]("), bin("(X\x01\x00\x00\x00aK\x01K\x02\x86q\x00h\x00tq\x01h\x01e.")),
  );
  assert.equal(extractPoints(small, () => {}).accepted, 4);
  assert.throws(() => extractPoints(small, () => {}, { maxPoints: 3 }), RangeError);
});

Deno.test(
  requires("python3", {
    name: "decodePickleMetrics() reads 10k-point frames of every protocol exactly",
    fn: async () => {
      const n = 10_000;
      const out = await python(
        "import runpy, sys; sys.argv = [sys.argv[1], '--big', sys.argv[2]]; " +
          "runpy.run_path(sys.argv[0], run_name='__main__')",
        { args: [new URL("make_fixtures.py", FIXTURES_DIR).pathname, String(n)] },
      );
      const frames = splitFrames(out);
      assert.equal(frames.length, 6);
      for (const [proto, frame] of frames.entries()) {
        let i = 0;
        const names = new Set<string>();
        const stats = decodePickleMetrics(frame, (name, ts, value) => {
          assert.equal(name, `big.series.${String(i % 500).padStart(3, "0")}.value`);
          assert.equal(ts, 1700000000 + Math.floor(i / 500) * 60);
          assert.equal(value, i % 3 === 0 ? i : i % 3 === 1 ? i * 0.25 : i * 0.5);
          names.add(name);
          i++;
        });
        assert.equal(stats.accepted, n, `protocol ${proto}`);
        assert.equal(stats.rejected, 0);
        assert.equal(names.size, 500);
      }
    },
  }),
);
