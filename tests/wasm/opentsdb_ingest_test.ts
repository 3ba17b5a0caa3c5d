// OpenTSDB telnet lines through the appender in wasm: the shared case table on both builds and
// every split of every input across two chunks.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache, feed, groupPoints } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { OPENTSDB_LINES } from "../../src/receiver/line_format.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { NOW, TSDB_CASES } from "../protocol/opentsdb_cases.ts";
import { rejectedOf, splitOffsets } from "./ingest_util.ts";

const enc = new TextEncoder();

/** Feeds `parts` to one OpenTSDB stream (now = NOW) and ends it. */
function ingest(head: Head, parts: Uint8Array[]): void {
  const app = head.appender();
  const stream = new PlainStream(
    { ...app, appendOpenTsdb: (b, o) => app.appendOpenTsdb(b, { ...o, now: NOW }) },
    MAX_LINE_BYTES,
    { format: OPENTSDB_LINES },
  );
  for (const part of parts) feed(stream, part);
  stream.end();
}

for (const debug of [false, true]) {
  const build = debug ? "debug" : "release";
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug });
  const cache = head.drain;

  for (const c of TSDB_CASES) {
    const bytes = enc.encode(c.input);
    Deno.test(`wasm ${build}: opentsdb ${c.name}`, () => {
      head.reset(1_000_000);
      ingest(head, [bytes]);
      assertEquals(dumpCache(cache), groupPoints(c.points));
      assertEquals(rejectedOf(cache), c.rejected ?? {});
    });

    Deno.test(`wasm ${build}: opentsdb ${c.name}, split at every offset`, () => {
      for (const at of splitOffsets(bytes.length)) {
        head.reset(1_000_000);
        ingest(head, [bytes.subarray(0, at), bytes.subarray(at)]);
        assertEquals(dumpCache(cache), groupPoints(c.points), `split at ${at}`);
        assertEquals(rejectedOf(cache), c.rejected ?? {}, `split at ${at}`);
      }
    });
  }
}
