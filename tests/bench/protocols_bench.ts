// The parsers of the other protocols alone, wasm against the pure-TS references (the
// baseline, parse only, as in parser_bench.ts): wasm = copy into wasm memory, parse, names
// checked and put in carbon's order, FNV-1a, stage and commit through the appender, no
// sockets. Influx and OpenTSDB in 64 KiB chunks as a TCP connection feeds them; remote_write
// one request at a time (snappy + protobuf).
// `deno task bench:protocols` prints points/s and MB/s via throughput_report.ts.

import { Head } from "../../src/appender/head.ts";
import { parseInfluxBlock } from "../../src/protocol/influx.ts";
import { parseTsdbBlock } from "../../src/protocol/opentsdb.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { decodeWriteRequest, seriesPoints } from "../../src/protocol/remote_write.ts";
import { snappyDecode } from "../../src/protocol/snappy.ts";
import { InfluxLines, type LineFormat, OPENTSDB_LINES } from "../../src/receiver/line_format.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import type { Dataset } from "./plaintext_datasets.ts";
import { sizeTag } from "./plaintext_datasets.ts";
import { influxDataset, openTsdbDataset, remoteWriteStream } from "./protocol_datasets.ts";

const MAX_POINTS = 2_000_000;
const head = await Head.load({ maxPoints: MAX_POINTS, maxLineLen: MAX_LINE_BYTES });
const CHUNK = 65_536;
/** Iterations of each benchmark: the TS baselines take seconds each. */
const RUNS = { n: 10, warmup: 2 };

/** Feeds a payload through a stream of `format` in 64 KiB reads; returns the points accepted. */
function wasmLines(d: Dataset, format: LineFormat): number {
  const stream = new PlainStream(head.appender(), head.maxLineLen, { format });
  let off = 0;
  while (off < d.bytes.length) {
    const target = stream.readTarget();
    const n = Math.min(CHUNK, target.length, d.bytes.length - off);
    target.set(d.bytes.subarray(off, off + n));
    stream.push(n);
    off += n;
  }
  stream.end();
  return stream.counts.accepted;
}

/** Runs a TS reference block parser over the payload in 64 KiB chunks; returns the points. */
function tsLines(d: Dataset, parse: (chunk: Uint8Array, onPoint: () => void) => number): number {
  let points = 0;
  let off = 0;
  while (off < d.bytes.length) {
    const end = Math.min(off + CHUNK, d.bytes.length);
    const used = parse(d.bytes.subarray(off, end), () => points++);
    off += used;
    if (used === 0 && end === d.bytes.length) break;
    if (used === 0) throw new Error("a line longer than a chunk");
  }
  return points;
}

const influx = influxDataset(1000, 25, "influx: Telegraf cpu, 4k series x 10 fields x 25");
Deno.bench(`wasm influx ${influx.label} ${sizeTag(influx)}`, { group: "influx", ...RUNS }, (b) => {
  head.reset(MAX_POINTS);
  b.start();
  const n = wasmLines(influx, new InfluxLines({ separator: "." }));
  b.end();
  if (n !== influx.lines) throw new Error(`accepted ${n}`);
});
Deno.bench(
  `TS reference influx ${influx.label} ${sizeTag(influx)}`,
  { group: "influx", baseline: true, ...RUNS },
  () => {
    const opts = { separator: ".", now: 0 };
    const n = tsLines(
      influx,
      (chunk, onPoint) => parseInfluxBlock(chunk, opts, { point: onPoint, reject: () => {} }),
    );
    if (n !== influx.lines) throw new Error(`parsed ${n}`);
  },
);

const tsdb = openTsdbDataset(40_000, 25, "opentsdb: 40k series x 25");
Deno.bench(`wasm opentsdb ${tsdb.label} ${sizeTag(tsdb)}`, { group: "opentsdb", ...RUNS }, (b) => {
  head.reset(MAX_POINTS);
  b.start();
  const n = wasmLines(tsdb, OPENTSDB_LINES);
  b.end();
  if (n !== tsdb.lines) throw new Error(`accepted ${n}`);
});
Deno.bench(
  `TS reference opentsdb ${tsdb.label} ${sizeTag(tsdb)}`,
  { group: "opentsdb", baseline: true, ...RUNS },
  () => {
    const n = tsLines(
      tsdb,
      (chunk, onPoint) => parseTsdbBlock(chunk, 0, { point: onPoint, reject: () => {} }),
    );
    if (n !== tsdb.lines) throw new Error(`parsed ${n}`);
  },
);

const rw = remoteWriteStream(40_000, 25, 2000, "remote_write: 40k series x 25, 2000 a request");
const rwTag = `[lines=${rw.samples} bytes=${rw.bytes}]`;
Deno.bench(`wasm remote_write ${rw.label} ${rwTag}`, { group: "remote_write", ...RUNS }, (b) => {
  head.reset(MAX_POINTS);
  let accepted = 0;
  b.start();
  for (const request of rw.requests) {
    const app = head.appender();
    app.appendRemoteWrite(request, { snappy: true, maxDecoded: 1 << 25 });
    accepted += app.commit().accepted;
  }
  b.end();
  if (accepted !== rw.samples) throw new Error(`accepted ${accepted}`);
});
Deno.bench(
  `TS reference remote_write ${rw.label} ${rwTag}`,
  { group: "remote_write", baseline: true, ...RUNS },
  () => {
    let points = 0;
    for (const request of rw.requests) {
      seriesPoints(decodeWriteRequest(snappyDecode(request)), {
        point: () => points++,
        reject: () => {},
      });
    }
    if (points !== rw.samples) throw new Error(`decoded ${points}`);
  },
);
