// The wasm parser alone (parse + FNV-1a + stage + commit, through the same PlainStream path
// as a TCP connection, no sockets) against the pure-TS reference parser, on
// (a) 10k metrics × 100 points, (t) the same with tagged names of the same length (tags out of
// carbon's order), and (b) 1M distinct metrics × 1 point.
// `deno task bench:parser` prints lines/s and MB/s via throughput_report.ts.

import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { MAX_LINE_BYTES, parsePlainBlock } from "../../src/protocol/plaintext.ts";
import { Head } from "../../src/appender/head.ts";
import { plaintextDataset, sizeTag } from "./plaintext_datasets.ts";

const datasets = [
  plaintextDataset(10_000, 100, "(a) 10k metrics x 100 points"),
  plaintextDataset(10_000, 100, "(t) 10k tagged metrics x 100 points", 1_700_000_000, true),
  plaintextDataset(1_000_000, 1, "(b) 1M metrics x 1 point"),
];
const MAX_POINTS = 2_000_000;
const head = await Head.load({ maxPoints: MAX_POINTS, maxLineLen: MAX_LINE_BYTES });

for (const d of datasets) {
  Deno.bench(`wasm ingest ${d.label} ${sizeTag(d)}`, { group: d.label }, (b) => {
    head.reset(MAX_POINTS);
    const stream = new PlainStream(head.appender(), head.maxLineLen);
    b.start();
    let off = 0;
    while (off < d.bytes.length) {
      const target = stream.readTarget();
      const n = Math.min(65_536, target.length, d.bytes.length - off);
      target.set(d.bytes.subarray(off, off + n));
      stream.push(n);
      off += n;
    }
    b.end();
    if (stream.counts.accepted !== d.lines) throw new Error("lost points");
  });

  Deno.bench(
    `TS reference parse ${d.label} ${sizeTag(d)}`,
    { group: d.label, baseline: true },
    () => {
      let lines = 0;
      let off = 0;
      while (off < d.bytes.length) {
        const end = Math.min(off + 65_536, d.bytes.length);
        off += parsePlainBlock(d.bytes.subarray(off, end), () => lines++);
        if (end === d.bytes.length) break;
      }
      if (lines !== d.lines) throw new Error(`parsed ${lines} lines`);
    },
  );
}
