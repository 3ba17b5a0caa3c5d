// The Influx line protocol case table, run against the TS reference parser, both wasm builds,
// and every split of each input across two chunks. Names are as the cache holds them (tags in
// carbon's order). Modelled on VictoriaMetrics' lib/protoparser/influx parser tests; where
// carbonado reads a line differently from VictoriaMetrics 1.79 the case says so (checked live
// with /usr/bin/victoria-metrics).

import type { InfluxOptions } from "../../src/protocol/influx.ts";
import type { RejectReason } from "../../src/protocol/plaintext.ts";

/** Unix seconds standing for "now" in the cases. */
export const NOW = 1_700_000_100;
const T = 1_700_000_000;

/** One case: input, options, the points it gives (in any order), what it refuses and skips. */
export interface InfluxCase {
  name: string;
  input: string | Uint8Array;
  opts?: Partial<InfluxOptions>;
  points: [name: string, value: number, timestamp: number][];
  rejected?: Partial<Record<RejectReason, number>>;
  /** String fields that hold no number. */
  skipped?: number;
}

/** The options of a case: separator ".", now NOW, unless it says otherwise. */
export function caseOptions(c: InfluxCase): InfluxOptions {
  return { separator: ".", now: NOW, ...c.opts };
}

export const INFLUX_CASES: InfluxCase[] = [
  {
    name: "one field, one tag",
    input: `cpu,host=a usage=1.5 ${T}\n`,
    points: [["cpu.usage;host=a", 1.5, T]],
  },
  {
    name: "fields of every numeric type; tags in carbon's order",
    input: `cpu,host=a,cpu=cpu0 user=1,system=2i,idle=3u,neg=-4i ${T}\n`,
    points: [
      ["cpu.user;cpu=cpu0;host=a", 1, T],
      ["cpu.system;cpu=cpu0;host=a", 2, T],
      ["cpu.idle;cpu=cpu0;host=a", 3, T],
      ["cpu.neg;cpu=cpu0;host=a", -4, T],
    ],
  },
  { name: "no timestamp is now", input: "m f=1\n", points: [["m.f", 1, NOW]] },
  { name: "timestamp 0 is now", input: "m f=1 0\n", points: [["m.f", 1, NOW]] },
  {
    name: "units guessed by magnitude (VictoriaMetrics)",
    input: `s f=1 ${T}\nms f=1 ${T}123\nus f=1 ${T}123456\nns f=1 ${T}123456789\n` +
      "small f=1 99999999999\nms2 f=1 100000000000\n",
    points: [["s.f", 1, T], ["ms.f", 1, T], ["us.f", 1, T], ["ns.f", 1, T], [
      "ms2.f",
      1,
      100_000_000,
    ]],
    rejected: { bad_timestamp: 1 },
  },
  {
    name: "precision ms",
    input: `m f=1 ${T}999\n`,
    opts: { precision: "ms" },
    points: [["m.f", 1, T]],
  },
  { name: "precision s", input: `m f=1 ${T}\n`, opts: { precision: "s" }, points: [["m.f", 1, T]] },
  {
    name: "precision m",
    input: "m f=1 28333333\n",
    opts: { precision: "m" },
    points: [["m.f", 1, 28333333 * 60]],
  },
  {
    name: "precision h",
    input: "m f=1 472222\n",
    opts: { precision: "h" },
    points: [["m.f", 1, 472222 * 3600]],
  },
  {
    name: "precision ns on a seconds value floors to the epoch",
    input: `m f=1 ${T}\n`,
    opts: { precision: "ns" },
    points: [["m.f", 1, 1]],
  },
  {
    name: "precision s on a nanoseconds value is out of range",
    input: `m f=1 ${T}000000000\n`,
    opts: { precision: "s" },
    points: [],
    rejected: { bad_timestamp: 1 },
  },
  {
    name: "booleans",
    input: `b a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE,k=tRue ${T}\n`,
    points: [
      ["b.a", 1, T],
      ["b.b", 1, T],
      ["b.c", 1, T],
      ["b.d", 1, T],
      ["b.e", 1, T],
      ["b.f", 0, T],
      ["b.g", 0, T],
      ["b.h", 0, T],
      ["b.i", 0, T],
      ["b.j", 0, T],
    ],
    rejected: { bad_value: 1 },
  },
  {
    name: "strings: numbers kept, others skipped (VictoriaMetrics stores 0 for those)",
    input: `t5 s="abc",n="12.5",e="",q="a\\"b,c d",i=-3i ${T}\n`,
    points: [["t5.n", 12.5, T], ["t5.i", -3, T]],
    skipped: 3,
  },
  {
    name: "escapes in measurement, tag keys and values, field keys",
    input: `e1\\,x\\ y,t\\ a=v\\=1\\,2,t2=\\"q\\" f\\ k=1,f\\=2=2 ${T}\n`,
    points: [
      ['e1,x y.f k;t a=v=1,2;t2=\\"q\\"', 1, T],
      ['e1,x y.f=2;t a=v=1,2;t2=\\"q\\"', 2, T],
    ],
  },
  {
    name: "a backslash escapes a backslash; before another byte it is literal",
    input: `e19\\\\a,t=x\\y f=1 ${T}\n`,
    points: [["e19\\a.f;t=x\\y", 1, T]],
  },
  {
    name: "empty tag value: the tag is left out",
    input: `e2,t=,u=1 f=1 ${T}\n`,
    points: [["e2.f;u=1", 1, T]],
  },
  {
    name: "comments, blank lines, CRLF",
    input: `# comment\n\n  \r\ne3 f=1 ${T}\r\n  # indented comment\n`,
    points: [["e3.f", 1, T]],
  },
  {
    name: "duplicate tag: the last is kept (carbon)",
    input: `e4,a=1,a=2 f=1 ${T}\n`,
    points: [["e4.f;a=2", 1, T]],
  },
  { name: "no fields", input: `e5 ${T}\ne5b\n`, points: [], rejected: { fields: 2 } },
  {
    name: "a bad value refuses its field only (VictoriaMetrics stores 0)",
    input: `e6 f=abc,g=2,h=2x ${T}\n`,
    points: [["e6.g", 2, T]],
    rejected: { bad_value: 2 },
  },
  {
    name: "negative and fractional timestamps refuse the line",
    input: `e9 f=1 -5\ne17 f=1 ${T}.5\ne18 f=1 12a\ne20 f=1 abc\n`,
    points: [],
    rejected: { bad_timestamp: 4 },
  },
  {
    name: "float forms Go's ParseFloat takes (VictoriaMetrics reads -.5 and +3 as 0)",
    input: `e10 f=1i,g=1.5e3,h=-.5,k=+3,l=1E-2 ${T}\n`,
    points: [["e10.f", 1, T], ["e10.g", 1500, T], ["e10.h", -0.5, T], ["e10.k", 3, T], [
      "e10.l",
      0.01,
      T,
    ]],
  },
  {
    name: "non-finite values are refused",
    input: `e11 f=NaN,g=Inf,h=1e400,i=0x10 ${T}\n`,
    points: [],
    rejected: { bad_value: 4 },
  },
  {
    name: "leading blanks, runs of spaces before the timestamp, trailing blanks",
    input: `  e12 f=1 ${T}\ne13 f=1  ${T}\ne14 f=1 ${T}  \n`,
    points: [["e12.f", 1, T], ["e13.f", 1, T], ["e14.f", 1, T]],
  },
  {
    name: "an escaped space inside a tag value",
    input: `e18,t=v\\ x f=1 ${T}\n`,
    points: [["e18.f;t=v x", 1, T]],
  },
  {
    name: "db parameter becomes a tag unless the line has one",
    input: `p1,host=a f=1 ${T}\np2,db=own f=1 ${T}\n`,
    opts: { db: "mydb", dbTag: "db" },
    points: [["p1.f;db=mydb;host=a", 1, T], ["p2.f;db=own", 1, T]],
  },
  {
    name: "separator _",
    input: `cpu usage=1 ${T}\n`,
    opts: { separator: "_" },
    points: [["cpu_usage", 1, T]],
  },
  {
    name: "empty separator",
    input: `cpu usage=1 ${T}\n`,
    opts: { separator: "" },
    points: [["cpuusage", 1, T]],
  },
  {
    name: "integers at the ends of int64, more than 19 digits",
    input: `i a=-9223372036854775808i,b=9223372036854775807i,c=12345678901234567890123u ${T}\n` +
      `f a=1.2345678901234567890123 ${T}\n`,
    points: [
      ["i.a", -9223372036854775808, T],
      ["i.b", 9223372036854775807, T],
      ["i.c", 12345678901234567890123, T],
      ["f.a", 1.2345678901234567890123, T],
    ],
  },
  {
    name: "tags mended for carbon's rules",
    input: `a;b,k!=v;w,~x=~~y,q^=z f=1 ${T}\n`,
    points: [["a_b.f;k_=v_w;q_=z;~x=y", 1, T]],
  },
  {
    name: "malformed lines",
    input: `m,t f=1 ${T}\nm f="abc\nm f="1"x ${T}\nm f=1, ${T}\nm,t=1\n=1 ${T}\n`,
    points: [],
    rejected: { fields: 6 },
  },
  { name: "an empty value", input: `m f= ${T}\n`, points: [], rejected: { bad_value: 1 } },
  {
    name: "empty measurement",
    input: `,t=v f=1 ${T}\n`,
    points: [],
    rejected: { empty_name: 1 },
  },
  { name: "minus on u", input: `m f=-1u ${T}\n`, points: [], rejected: { bad_value: 1 } },
  {
    name: "a slash in a tag value is fine, in the path it is not",
    input: `disk,path=/var used=1 ${T}\nbad/m f=1 ${T}\n`,
    points: [["disk.used;path=/var", 1, T]],
    rejected: { bad_name: 1 },
  },
  {
    name: "a last line without newline",
    input: `m f=1 ${T}\nn f=2 ${T}`,
    points: [["m.f", 1, T], ["n.f", 2, T]],
  },
  {
    name: "UTF-8 names",
    input: `température,pièce=séjour valeur=21.5 ${T}\n`,
    points: [["température.valeur;pièce=séjour", 21.5, T]],
  },
  {
    name: "several lines and series",
    input: Array.from({ length: 20 }, (_, i) => `m,h=h${i % 3} f=${i},g=${-i} ${T + i}\n`)
      .join(""),
    points: Array.from({ length: 20 }, (_, i) =>
      [
        [`m.f;h=h${i % 3}`, i, T + i],
        [`m.g;h=h${i % 3}`, 0 - i, T + i],
      ] as [string, number, number][]).flat(),
  },
];
