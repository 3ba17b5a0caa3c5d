// Benchmarks of the pickle codec: decoding and extracting a 1000-point frame as Python carbon's
// relay sends it (protocol 2) and as Python 3.8+ clients do (protocol 4), and writing a
// 1000-point carbonlink answer. Frames come from tests/fixtures/pickle/make_fixtures.py.

import { decodePickle, pickleTuple } from "../../src/protocol/pickle_decode.ts";
import { decodePickleMetrics, extractPoints } from "../../src/protocol/pickle_metrics.ts";
import { encodeDatapointsReply, encodePickle } from "../../src/protocol/pickle_encode.ts";

const fixtures = new URL("../fixtures/pickle/", import.meta.url);
const p2 = Deno.readFileSync(new URL("bench_1000_p2.pickle", fixtures));
const p4 = Deno.readFileSync(new URL("bench_1000_p4.pickle", fixtures));

// The same points as JSON, for a yardstick: V8's native parser on equivalent data.
const points: [string, number, number][] = [];
decodePickleMetrics(p2, (name, ts, value) => points.push([name, ts, value]));
if (points.length !== 1000) throw new RangeError(`Expected 1000 points, got ${points.length}`);
const json = JSON.stringify(points.map(([n, t, v]) => [n, [t, v]]));

let sink = 0;
const count = (_name: string, ts: number, value: number) => {
  sink += ts + value;
};

Deno.bench("JSON.parse of the same 1000 points (yardstick)", {
  group: "decode 1000 points",
  baseline: true,
}, () => {
  sink += JSON.parse(json).length;
});

Deno.bench("decodePickle protocol 2 (values only)", { group: "decode 1000 points" }, () => {
  sink += (decodePickle(p2) as unknown[]).length;
});

Deno.bench(
  "decodePickleMetrics protocol 2 (decode + extract)",
  { group: "decode 1000 points" },
  () => {
    decodePickleMetrics(p2, count);
  },
);

Deno.bench(
  "decodePickleMetrics protocol 4 (decode + extract)",
  { group: "decode 1000 points" },
  () => {
    decodePickleMetrics(p4, count);
  },
);

const decoded = decodePickle(p2);
Deno.bench("extractPoints alone", { group: "decode 1000 points" }, () => {
  extractPoints(decoded, count);
});

const timestamps = new Uint32Array(points.map((p) => p[1]));
const values = new Float64Array(points.map((p) => p[2]));
const asValues = new Map([[
  "datapoints",
  points.map(([, t, v]) => pickleTuple(t, v + 0.5)),
]]);

Deno.bench("encodePickle of the same reply built as JS values", {
  group: "carbonlink reply 1000 points",
  baseline: true,
}, () => {
  sink += encodePickle(asValues).length;
});

Deno.bench("encodeDatapointsReply from typed arrays", {
  group: "carbonlink reply 1000 points",
}, () => {
  sink += encodeDatapointsReply({ timestamps, values }, { framed: true }).length;
});
