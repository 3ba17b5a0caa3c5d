// The TS reference OpenTSDB parsers: telnet lines against the shared case table, and the JSON
// of HTTP /api/put.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { groupPoints } from "../_util/cache_dump.ts";
import { parseTsdbBlock, parseTsdbJson, tsdbSeconds } from "../../src/protocol/opentsdb.ts";
import { Appended } from "./appended.ts";
import { NOW, TSDB_CASES } from "./opentsdb_cases.ts";

const enc = new TextEncoder();

for (const c of TSDB_CASES) {
  Deno.test(`parseTsdbBlock() ${c.name}`, () => {
    const got = new Appended();
    const text = c.input.endsWith("\n") ? c.input : c.input + "\n";
    const bytes = enc.encode(text);
    const consumed = parseTsdbBlock(bytes, NOW, {
      point: (p) => got.point(p.name, p.value, p.timestamp),
      reject: (reason) => got.reject(reason),
    });
    assertEquals(consumed, bytes.length);
    assertEquals(got.grouped(), groupPoints(c.points));
    assertEquals(got.rejected, c.rejected ?? {});
  });
}

Deno.test("tsdbSeconds() reads milliseconds by the mask, 0 as now", () => {
  assertEquals(tsdbSeconds(1700000000, NOW), 1700000000);
  assertEquals(tsdbSeconds(1700000000999, NOW), 1700000000);
  assertEquals(tsdbSeconds(0, NOW), NOW);
  assertEquals(tsdbSeconds(-1, NOW), NaN);
  assertEquals(tsdbSeconds(1.5, NOW), NaN);
});

Deno.test("parseTsdbJson() takes an object or an array and refuses bad points one by one", () => {
  const got = new Appended();
  const sink = {
    point: (p: { name: string; value: number; timestamp: number }) =>
      got.point(p.name, p.value, p.timestamp),
    reject: (r: Parameters<Appended["reject"]>[0]) => got.reject(r),
  };
  const one = parseTsdbJson(
    JSON.stringify({ metric: "a.b", timestamp: 1700000000, value: 1, tags: { host: "x" } }),
    NOW,
    sink,
  );
  const errors = parseTsdbJson(
    JSON.stringify([
      { metric: "c", timestamp: 1700000000123, value: "2.5" },
      { metric: "d", value: 3, tags: { n: 7, "k;": "v;" } },
      { metric: "", value: 1 },
      { metric: "e", timestamp: -1, value: 1 },
      { metric: "f", timestamp: 1, value: "x" },
      { metric: "g", timestamp: 1, value: 1, tags: ["x"] },
      "nope",
    ]),
    NOW,
    sink,
  );
  assertEquals(one, []);
  assertEquals(errors.map((e) => e.error), [
    "Missing metric name",
    "Invalid timestamp",
    "Invalid value",
    "Tags are not an object",
    "Data point is not an object",
  ]);
  assertEquals(
    got.grouped(),
    groupPoints([
      ["a.b;host=x", 1, 1700000000],
      ["c", 2.5, 1700000000],
      ["d;k_=v_;n=7", 3, NOW],
    ]),
  );
  assertEquals(got.rejected, { empty_name: 1, bad_timestamp: 1, bad_value: 1, fields: 2 });
  assertThrows(() => parseTsdbJson("{", NOW, sink), SyntaxError);
  assertThrows(() => parseTsdbJson("42", NOW, sink), SyntaxError);
});
