// The Influx line protocol through the appender in wasm: the shared case table on both builds,
// every split of every input across two chunks, batches that fill up mid-input.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache, feed, groupPoints } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { InfluxLines } from "../../src/receiver/line_format.ts";
import { MAX_LINE_BYTES, type RejectReason } from "../../src/protocol/plaintext.ts";
import { caseOptions, INFLUX_CASES, type InfluxCase, NOW } from "../protocol/influx_cases.ts";
import type { WasmDrain } from "../../src/wasm/drain.ts";
import { rejectedOf, splitOffsets } from "./ingest_util.ts";

const enc = new TextEncoder();

/** Feeds `parts` to one Influx stream (now = NOW) and ends it; returns the strings skipped. */
function ingest(head: Head, c: InfluxCase, parts: Uint8Array[]): number {
  const { now: _, ...opts } = caseOptions(c);
  const format = new InfluxLines(opts);
  const app = head.appender();
  const stream = new PlainStream(
    { ...app, appendInflux: (b, o) => app.appendInflux(b, { ...o, now: NOW }) },
    MAX_LINE_BYTES,
    { format },
  );
  for (const part of parts) feed(stream, part);
  stream.end();
  return format.stringsSkipped;
}

function check(cache: WasmDrain, c: InfluxCase, skipped: number, msg?: string): void {
  assertEquals(dumpCache(cache), groupPoints(c.points), msg);
  assertEquals(rejectedOf(cache), c.rejected ?? {}, msg);
  assertEquals(skipped, c.skipped ?? 0, msg);
}

for (const debug of [false, true]) {
  const build = debug ? "debug" : "release";
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug });
  const cache = head.drain;

  for (const c of INFLUX_CASES) {
    const bytes = typeof c.input === "string" ? enc.encode(c.input) : c.input;
    Deno.test(`wasm ${build}: influx ${c.name}`, () => {
      head.reset(1_000_000);
      check(cache, c, ingest(head, c, [bytes]));
    });

    Deno.test(`wasm ${build}: influx ${c.name}, split at every offset`, () => {
      for (const at of splitOffsets(bytes.length)) {
        head.reset(1_000_000);
        const skipped = ingest(head, c, [bytes.subarray(0, at), bytes.subarray(at)]);
        check(cache, c, skipped, `split at ${at}`);
      }
    });
  }
}

const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: MAX_LINE_BYTES });
const cache = head.drain;

Deno.test("wasm: influx input larger than a batch of records is staged in several", () => {
  head.reset(2_000_000);
  // 3000 lines of 10 fields: 30000 records, past BATCH_RECORDS (16384)
  const lines = Array.from(
    { length: 3000 },
    (_, i) => `m,host=h${i} ${Array.from({ length: 10 }, (_, f) => `f${f}=${i}`).join(",")} 1\n`,
  );
  const app = head.appender();
  const { consumed } = app.appendInflux(enc.encode(lines.join("")), { separator: "." });
  const result = app.commit();
  assertEquals([consumed, result.accepted, cache.counters().series], [
    lines.join("").length,
    30000,
    30000,
  ]);
  assertEquals(dumpCache(cache).get("m.f7;host=h2999"), [[1, 2999]]);
});

Deno.test("wasm: influx names that fill the names region are staged in several batches", () => {
  head.reset(2_000_000);
  // 2000 fields with 3000-byte names: 6 MB of names, past the 2 MiB names region
  const tag = "t=" + "v".repeat(2990);
  const text = Array.from(
    { length: 200 },
    (_, i) => `m${i},${tag} ${Array.from({ length: 10 }, (_, f) => `f${f}=1`).join(",")} 1\n`,
  ).join("");
  const app = head.appender();
  app.appendInflux(enc.encode(text), { separator: "." });
  assertEquals(app.commit().accepted, 2000);
  assertEquals(rejectedOf(cache), {});
});

Deno.test("wasm: an influx line whose tags pass the longest name is refused whole", () => {
  head.reset(2_000_000);
  const app = head.appender();
  const text = `m,t=${"v".repeat(5000)} f=1,g=2 1\nok f=1 1\n`;
  app.appendInflux(enc.encode(text), { separator: "." });
  const result = app.commit();
  assertEquals([result.accepted, result.rejectedBy], [1, { bad_name: 1 } as Partial<
    Record<RejectReason, number>
  >]);
});
