// The TS reference Influx parser against the shared case table.

import { assertEquals } from "../_util/assert.ts";
import { groupPoints } from "../_util/cache_dump.ts";
import { parseInfluxBlock, timestampSeconds } from "../../src/protocol/influx.ts";
import { Appended } from "./appended.ts";
import { caseOptions, INFLUX_CASES } from "./influx_cases.ts";

const enc = new TextEncoder();

for (const c of INFLUX_CASES) {
  Deno.test(`parseInfluxBlock() ${c.name}`, () => {
    const got = new Appended();
    let skipped = 0;
    const raw = typeof c.input === "string" ? enc.encode(c.input) : c.input;
    const bytes = raw.at(-1) === 0x0a ? raw : Uint8Array.from([...raw, 0x0a]);
    const consumed = parseInfluxBlock(bytes, caseOptions(c), {
      point: (p) => got.point(p.name, p.value, p.timestamp),
      reject: (reason) => got.reject(reason),
      stringSkipped: () => skipped++,
    });
    assertEquals(consumed, bytes.length);
    assertEquals(got.grouped(), groupPoints(c.points));
    assertEquals(got.rejected, c.rejected ?? {});
    assertEquals(skipped, c.skipped ?? 0);
  });
}

Deno.test("parseInfluxBlock() leaves a partial last line unconsumed", () => {
  const bytes = enc.encode("m f=1 1\nn f=2");
  let points = 0;
  const consumed = parseInfluxBlock(bytes, { separator: ".", now: 0 }, {
    point: () => points++,
    reject: () => {},
  });
  assertEquals([consumed, points], [8, 1]);
});

Deno.test("timestampSeconds() floors every unit and refuses what does not fit u32", () => {
  assertEquals(timestampSeconds("1700000000999999999", "ns"), 1700000000);
  assertEquals(timestampSeconds("1700000000999999", "us"), 1700000000);
  assertEquals(timestampSeconds("1700000000999", "ms"), 1700000000);
  assertEquals(timestampSeconds("4294967295", "s"), 4294967295);
  assertEquals(timestampSeconds("4294967296", "s"), NaN);
  assertEquals(timestampSeconds("71582789", "m"), NaN);
});
