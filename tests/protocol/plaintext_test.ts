// The TS reference parser against the shared plaintext case table.

import { assertEquals } from "../_util/assert.ts";
import {
  nameError,
  parsePlainBlock,
  parsePlainLine,
  type RejectReason,
} from "../../src/protocol/plaintext.ts";
import { caseBytes, PLAIN_CASES } from "./plaintext_cases.ts";

for (const c of PLAIN_CASES) {
  Deno.test(`parsePlainBlock() ${c.name}`, () => {
    const points: [string, number, number][] = [];
    const rejected: Partial<Record<RejectReason, number>> = {};
    const bytes = caseBytes(c);
    const consumed = parsePlainBlock(bytes, (line) => {
      if ("reason" in line) rejected[line.reason] = (rejected[line.reason] ?? 0) + 1;
      else points.push([new TextDecoder().decode(line.name), line.value, line.timestamp]);
    });
    assertEquals(consumed, bytes.length);
    assertEquals(points, c.points);
    assertEquals(rejected, c.rejected ?? {});
  });
}

Deno.test("parsePlainBlock() leaves a partial last line unconsumed", () => {
  const bytes = new TextEncoder().encode("a 1 2\nb 3");
  let lines = 0;
  assertEquals(parsePlainBlock(bytes, () => lines++), 6);
  assertEquals(lines, 1);
});

Deno.test("parsePlainLine() keeps the sign of a negative zero value", () => {
  const parsed = parsePlainLine(new TextEncoder().encode("a -0 1"));
  assertEquals(parsed !== null && "value" in parsed && Object.is(parsed.value, -0), true);
});

Deno.test("nameError() refuses names that could leave the data directory", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  for (const bad of ["..", "a..b", ".a", "a.", "/a", "a/b", "a\0b", "x./..y"]) {
    assertEquals(nameError(enc(bad)), "bad_name", bad);
  }
  assertEquals(nameError(enc("")), "empty_name");
  assertEquals(nameError(enc("a.b-c_d:e;f=g")), null);
});
