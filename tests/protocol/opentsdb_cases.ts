// The OpenTSDB telnet case table, run against the TS reference parser, both wasm builds, and
// every split of each input across two chunks. Names are as the cache holds them (tags in
// carbon's order).

import type { RejectReason } from "../../src/protocol/plaintext.ts";

/** Unix seconds standing for "now" in the cases. */
export const NOW = 1_700_000_100;
const T = 1_700_000_000;

/** One case: input, the points it gives (in any order), what it refuses. */
export interface TsdbCase {
  name: string;
  input: string;
  points: [name: string, value: number, timestamp: number][];
  rejected?: Partial<Record<RejectReason, number>>;
}

export const TSDB_CASES: TsdbCase[] = [
  {
    name: "put with tags",
    input: `put sys.cpu.user ${T} 42.5 host=web01 cpu=0\n`,
    points: [["sys.cpu.user;cpu=0;host=web01", 42.5, T]],
  },
  { name: "no tags", input: `put m ${T} 1\n`, points: [["m", 1, T]] },
  {
    name: "milliseconds by OpenTSDB's mask",
    input: `put ms ${T}123 1\nput s 4294967295 2\nput ms2 4294967296 3\n`,
    points: [["ms", 1, T], ["s", 2, 4294967295], ["ms2", 3, 4294967]],
  },
  { name: "timestamp 0 is now", input: "put m 0 1\n", points: [["m", 1, NOW]] },
  {
    name: "a decimal timestamp drops its fraction",
    input: `put m ${T}.75 1\nput n ${T}. 2\n`,
    points: [["m", 1, T], ["n", 2, T]],
  },
  {
    name: "runs of blanks, CRLF, blank lines",
    input: `  put\tm  ${T} \t 1   a=b  \r\n\n \r\n`,
    points: [["m;a=b", 1, T]],
  },
  {
    name: "value forms",
    input: `put a ${T} -1.5e3\nput b ${T} +7\nput c ${T} .25\nput d ${T} 12345678901234567890123\n`,
    points: [["a", -1500, T], ["b", 7, T], ["c", 0.25, T], ["d", 12345678901234567890123, T]],
  },
  {
    name: "bad values and timestamps",
    input: `put a ${T} abc\nput b ${T} NaN\nput c -1 1\nput d 1e9 1\nput e 12a 1\n` +
      `put f 99999999999999999999 1\n`,
    points: [],
    rejected: { bad_value: 2, bad_timestamp: 4 },
  },
  {
    name: "not a put, missing fields, a tag without =",
    input: `version\nput\nput m\nput m ${T}\nputm ${T} 1\nput m ${T} 1 host\nPUT m ${T} 1\n`,
    points: [],
    rejected: { fields: 7 },
  },
  {
    name: "tags mended, empty ones left out, the last duplicate kept",
    input: `put a;b ${T} 1 k!=v;w empty= =x ~t=~~y dup=1 dup=2\n`,
    points: [["a_b;dup=2;k_=v_w;~t=y", 1, T]],
  },
  {
    name: "a slash in a tag value is fine, in the metric it is not",
    input: `put disk ${T} 1 path=/var\nput a/b ${T} 1\n`,
    points: [["disk;path=/var", 1, T]],
    rejected: { bad_name: 1 },
  },
  {
    name: "a last line without newline",
    input: `put m ${T} 1\nput n ${T} 2`,
    points: [["m", 1, T], ["n", 2, T]],
  },
  {
    name: "many lines",
    input: Array.from({ length: 30 }, (_, i) => `put m.${i % 4} ${T + i} ${i} h=${i % 2}\n`).join(
      "",
    ),
    points: Array.from(
      { length: 30 },
      (_, i) => [`m.${i % 4};h=${i % 2}`, i, T + i] as [string, number, number],
    ),
  },
];
