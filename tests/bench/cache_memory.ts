// Cache memory per point: ingests (a) 10k metrics × 100 points and (b) 1M metrics × 1 point and
// reports the wasm heap bytes per cached point, with and without the name bytes (held once per
// series). Target: ≤ 16 bytes per point plus the names.
//
//   deno task bench:memory

import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { Head } from "../../src/appender/head.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: MAX_LINE_BYTES });
const cache = head.drain;
for (const [metrics, points] of [[10_000, 100], [1_000_000, 1]]) {
  const d = plaintextDataset(metrics, points, "");
  head.reset(2_000_000);
  const empty = cache.counters().heapBytes;
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  let off = 0;
  while (off < d.bytes.length) {
    const target = stream.readTarget();
    const n = Math.min(target.length, d.bytes.length - off);
    target.set(d.bytes.subarray(off, off + n));
    stream.push(n);
    off += n;
  }
  const c = cache.counters();
  const heap = c.heapBytes - empty;
  const snap = cache.snapshot();
  let nameBytes = 0;
  for (const s of snap.series) nameBytes += new TextEncoder().encode(cache.seriesName(s)).length;
  const line = `${metrics} metrics x ${points} points: ${(heap / 2 ** 20).toFixed(1)} MiB, ` +
    `${(heap / c.cachedPoints).toFixed(1)} B/point, ` +
    `${((heap - nameBytes) / c.cachedPoints).toFixed(1)} B/point without the names ` +
    `(names ${(nameBytes / c.series).toFixed(0)} B/series)`;
  await Deno.stdout.write(new TextEncoder().encode(line + "\n"));
}
