// The remote_write sender's CPU per sample, in pieces: WriteRequest encoding and snappy of a
// 2000-sample request whose samples are 2000 distinct series (the shape 100k series each sending
// once a minute give: labels dominate), and the same with 200 series of 10 samples; snappy in
// TS (the reference) and in wasm (what the sender uses); labels of a new series
// (docs/benchmarks.md).
//
//   deno bench tests/bench/remote_encode_bench.ts

import { NameMapper } from "../../src/remote/names.ts";
import { SnappyEncoder } from "../../src/remote/snappy_encode.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { WasmSnappy } from "../../src/wasm/snappy.ts";
import { SeriesTable } from "../../src/remote/series.ts";
import {
  type EncodableSeries,
  type SampleColumns,
  WriteRequestEncoder,
} from "../../src/remote/write_request.ts";
import { encodableSeries } from "../remote/names_oracle.ts";

const N = 2000;
const T = 1_700_000_000_000;

function request(series: number): SampleColumns {
  const all: EncodableSeries[] = [];
  for (let m = 0; m < series; m++) {
    const name = `sys.host-${String(m % 10_000).padStart(4, "0")}.cpu.cpu-${m % 8}.user`;
    all.push(encodableSeries([["__name__", name]]));
  }
  const cols = { series: [] as EncodableSeries[], t: new Float64Array(N), v: new Float64Array(N) };
  for (let i = 0; i < N; i++) {
    cols.series.push(all[i % series]);
    cols.t[i] = T + Math.floor(i / series) * 60_000;
    cols.v[i] = ((i * 7919) % 100_000) / 1000;
  }
  return cols;
}

const wide = request(N);
const narrow = request(200);
const encoder = new WriteRequestEncoder();
const snappy = new SnappyEncoder();
const wasmSnappy = new WasmSnappy(await WasmInstance.load({ maxPoints: 1, maxLineLen: 64 }));
const wideBytes = encoder.encode(wide, { from: 0, to: N }).slice();
const narrowBytes = encoder.encode(narrow, { from: 0, to: N }).slice();

Deno.bench("encode 2000 samples of 2000 series", { group: "encode", baseline: true }, () => {
  encoder.encode(wide, { from: 0, to: N });
});
Deno.bench("encode 2000 samples of 200 series", { group: "encode" }, () => {
  encoder.encode(narrow, { from: 0, to: N });
});
Deno.bench(
  `snappy ${wideBytes.length} bytes (2000 series)`,
  { group: "snappy", baseline: true },
  () => {
    snappy.encode(wideBytes);
  },
);
Deno.bench(`snappy ${narrowBytes.length} bytes (200 series)`, { group: "snappy" }, () => {
  snappy.encode(narrowBytes);
});
Deno.bench(`wasm snappy ${wideBytes.length} bytes (2000 series)`, { group: "snappy" }, () => {
  wasmSnappy.encode(wideBytes);
});
Deno.bench(`wasm snappy ${narrowBytes.length} bytes (200 series)`, { group: "snappy" }, () => {
  wasmSnappy.encode(narrowBytes);
});

const utf8 = new TextEncoder();
const names = Array.from({ length: 10_000 }, (_, i) => utf8.encode(`sys.host-${i}.cpu.cpu-7.user`));
const mapper = new NameMapper({ names: "sanitized", include: [], exclude: [], mapping: [] });
let k = 0;
Deno.bench("labels of a new series (sanitized name, encoded)", { group: "series" }, () => {
  const name = names[k++ % names.length];
  mapper.map(name, 0, name.length);
});
Deno.bench("a new series in the table (raw name: labels, output series, reference)", {
  group: "series",
}, (b) => {
  const table = new SeriesTable(
    new NameMapper({ names: "raw", include: [], exclude: [], mapping: [] }),
  );
  b.start();
  for (let ref = 0; ref < names.length; ref++) table.add(ref, names[ref], 0, names[ref].length, 0);
  b.end();
});
