// The remote_write case table, run against the TS reference decoder and both wasm builds:
// WriteRequests built by tests/_util/remote_write_encode.ts, the points they give (names as
// the cache holds them), what they refuse and skip; and bodies that must not decode.

import type { RejectReason } from "../../src/protocol/plaintext.ts";
import type { RemoteWriteSkips } from "../../src/wasm/structured.ts";
import { encodeWriteRequest, type SeriesSpec } from "../_util/remote_write_encode.ts";

const MS = 1_700_000_000_000;
const T = 1_700_000_000;
const STALE = 0x7ff0000000000002n;

/** One case: a request, the points it gives, its refusals and skips. */
export interface RwCase {
  name: string;
  request: Uint8Array;
  points: [name: string, value: number, timestamp: number][];
  rejected?: Partial<Record<RejectReason, number>>;
  skips?: Partial<RemoteWriteSkips>;
}

const series = (labels: [string, string][], ...samples: [number, number][]): SeriesSpec => ({
  labels,
  samples: samples.map(([value, timestamp]) => ({ value, timestamp })),
});

export const RW_CASES: RwCase[] = [
  {
    name: "a series, its labels as tags in carbon's order",
    request: encodeWriteRequest([
      series([["__name__", "up"], ["job", "node"], ["instance", "h:9100"]], [1, MS]),
    ]),
    points: [["up;instance=h:9100;job=node", 1, T]],
  },
  {
    name: "labels sorted before __name__ (uppercase) still give the path",
    request: encodeWriteRequest([series([["A", "1"], ["__name__", "m"], ["z", "2"]], [2, MS])]),
    points: [["m;A=1;z=2", 2, T]],
  },
  {
    name: "milliseconds floored, several samples",
    request: encodeWriteRequest([
      series([["__name__", "m"]], [1, MS + 999], [2, MS + 1000], [3, MS + 61_500]),
    ]),
    points: [["m", 1, T], ["m", 2, T + 1], ["m", 3, T + 61]],
  },
  {
    name: "stale markers and NaN skipped, infinities refused",
    request: encodeWriteRequest([{
      labels: [["__name__", "m"]],
      samples: [
        { value: 1, timestamp: MS },
        { value: NaN, timestamp: MS + 1000, bits: STALE },
        { value: NaN, timestamp: MS + 2000 },
        { value: Infinity, timestamp: MS + 3000 },
        { value: -Infinity, timestamp: MS + 4000 },
      ],
    }]),
    points: [["m", 1, T]],
    rejected: { bad_value: 2 },
    skips: { stale: 1, nan: 1 },
  },
  {
    name: "a series without __name__ is refused",
    request: encodeWriteRequest([
      series([["job", "x"]], [1, MS], [2, MS + 1000]),
      series([["__name__", "ok"]], [3, MS]),
    ]),
    points: [["ok", 3, T]],
    rejected: { empty_name: 2 },
    skips: { unnamed: 1 },
  },
  {
    name: "labels mended for carbon's rules, empty values left out",
    request: encodeWriteRequest([
      series(
        [["__name__", "a;b"], ["k!", "v;w"], ["q^=", "~~y"], ["empty", ""], ["le", "+Inf"]],
        [1, MS],
      ),
    ]),
    points: [["a_b;k_=v_w;le=+Inf;q__=y", 1, T]],
  },
  {
    name: "negative and far-future timestamps refused",
    request: encodeWriteRequest([series([["__name__", "m"]], [1, -1000], [2, 2 ** 32 * 1000])]),
    points: [],
    rejected: { bad_timestamp: 2 },
  },
  {
    name: "a dotted __name__ is a Graphite path",
    request: encodeWriteRequest([series([["__name__", "servers.web01.cpu"]], [0.5, MS])]),
    points: [["servers.web01.cpu", 0.5, T]],
  },
  {
    name: "native histograms skipped, metadata ignored",
    request: encodeWriteRequest(
      [
        { labels: [["__name__", "h"]], samples: [], histograms: 2 },
        series([["__name__", "m"]], [
          1,
          MS,
        ]),
      ],
      3,
    ),
    points: [["m", 1, T]],
    skips: { histograms: 2 },
  },
  { name: "a metadata-only request", request: encodeWriteRequest([], 5), points: [] },
  { name: "an empty request", request: new Uint8Array(0), points: [] },
  {
    name: "a bad path refuses the series' samples",
    request: encodeWriteRequest([series([["__name__", "a/b"]], [1, MS], [2, MS + 1000])]),
    points: [],
    rejected: { bad_name: 2 },
  },
  {
    name: "UTF-8 labels",
    request: encodeWriteRequest([series([["__name__", "température"], ["pièce", "séjour"]], [
      21.5,
      MS,
    ])]),
    points: [["température;pièce=séjour", 21.5, T]],
  },
  {
    name: "many series",
    request: encodeWriteRequest(
      Array.from(
        { length: 50 },
        (_, i) => series([["__name__", `m${i % 7}`], ["i", `${i}`]], [i, MS]),
      ),
    ),
    points: Array.from(
      { length: 50 },
      (_, i) => [`m${i % 7};i=${i}`, i, T] as [string, number, number],
    ),
  },
];

/** Bodies that are not WriteRequests: both decoders refuse them whole. */
export const RW_MALFORMED: { name: string; request: Uint8Array }[] = [
  { name: "a truncated varint", request: Uint8Array.from([0x0a, 0x80]) },
  { name: "a length past the end", request: Uint8Array.from([0x0a, 0x05, 0x0a]) },
  { name: "timeseries with the wrong wire type", request: Uint8Array.from([0x08, 0x01]) },
  { name: "a group wire type", request: Uint8Array.from([0x0b]) },
  {
    name: "a label with the wrong wire type",
    request: Uint8Array.from([0x0a, 0x02, 0x08, 0x01]),
  },
  {
    name: "a sample value that is a varint",
    request: Uint8Array.from([0x0a, 0x04, 0x12, 0x02, 0x08, 0x01]),
  },
  { name: "a varint of 11 bytes", request: Uint8Array.from([0x08, ...Array(10).fill(0xff), 0x01]) },
  { name: "text", request: new TextEncoder().encode("hello, world") },
];
