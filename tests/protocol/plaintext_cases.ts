// The plaintext case table, run against the TS reference parser, both wasm builds, and every
// split of each input across two chunks. Modelled on go-carbon's receiver/parse plain_test.go,
// carbon's test_protocols.py and VictoriaMetrics' graphite parser tests.

import type { RejectReason } from "../../src/protocol/plaintext.ts";
import { TAG_CASES, tagCaseBytes } from "../tags/tagged_name_cases.ts";

/** One case: input bytes, the points it must give (in order), the rejections it must count. */
export interface PlainCase {
  name: string;
  /** UTF-8 text, or raw bytes. */
  input: string | Uint8Array;
  points: [name: string, value: number, timestamp: number][];
  rejected?: Partial<Record<RejectReason, number>>;
}

const long = (n: number, c = "a") => c.repeat(n);
const raw = (...parts: (string | number[])[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
  );
const MAX_LINE_NAME = `${long(1000, "ab.")}x`; // 3001 bytes
const maxLine = (extra: number) => `${MAX_LINE_NAME} ${long(262_144 - 3001 - 4 + extra, "0")}1 2\n`;

export const PLAIN_CASES: PlainCase[] = [
  // Accepted forms.
  { name: "simple line", input: "a.b.c 1 1700000000\n", points: [["a.b.c", 1, 1700000000]] },
  {
    name: "CRLF line end",
    input: "a.b.c 1.5 1700000000\r\n",
    points: [["a.b.c", 1.5, 1700000000]],
  },
  { name: "tabs", input: "a.b.c\t2\t1700000000\n", points: [["a.b.c", 2, 1700000000]] },
  {
    name: "runs of spaces and tabs",
    input: "a.b.c  \t 42 \t\t 1700000000\n",
    points: [["a.b.c", 42, 1700000000]],
  },
  {
    name: "leading and trailing blanks",
    input: "  \ta.b.c 1 1700000000 \t \n",
    points: [["a.b.c", 1, 1700000000]],
  },
  { name: "trailing blank then CR", input: "a 1 5 \r\n", points: [["a", 1, 5]] },
  { name: "blank lines are skipped", input: "\n  \n\t\r\n\r\na 1 2\n\n", points: [["a", 1, 2]] },
  {
    name: "several lines",
    input: "x.1 1 10\nx.2 2 20\nx.3 3 30\n",
    points: [["x.1", 1, 10], ["x.2", 2, 20], ["x.3", 3, 30]],
  },
  {
    name: "float timestamp is truncated",
    input: "a 1 1700000000.9\n",
    points: [["a", 1, 1700000000]],
  },
  {
    name: "timestamp with a long fraction",
    input: "a 1 1700000000.123456789\n",
    points: [["a", 1, 1700000000]],
  },
  { name: "timestamp in exponent form", input: "a 1 1.7e9\n", points: [["a", 1, 1700000000]] },
  { name: "timestamp with plus sign", input: "a 1 +1700000000\n", points: [["a", 1, 1700000000]] },
  {
    name: "timestamp with leading zeros",
    input: "a 1 0001700000000\n",
    points: [["a", 1, 1700000000]],
  },
  { name: "timestamp zero", input: "a 1 0\n", points: [["a", 1, 0]] },
  { name: "largest timestamp", input: "a 1 4294967295\n", points: [["a", 1, 4294967295]] },
  { name: "negative zero timestamp", input: "a 1 -0\n", points: [["a", 1, 0]] },
  { name: "timestamp -0.5 truncates to 0", input: "a 1 -0.5\n", points: [["a", 1, 0]] },
  { name: "negative value with exponent", input: "a -1.5e-3 1\n", points: [["a", -1.5e-3, 1]] },
  { name: "value with plus sign", input: "a +2 1\n", points: [["a", 2, 1]] },
  { name: "value without integer part", input: "a .5 1\n", points: [["a", 0.5, 1]] },
  { name: "value without fraction digits", input: "a 5. 1\n", points: [["a", 5, 1]] },
  { name: "upper-case exponent", input: "a 1E3 1\n", points: [["a", 1000, 1]] },
  { name: "zero", input: "a 0 1\n", points: [["a", 0, 1]] },
  { name: "negative zero value", input: "a -0 1\n", points: [["a", -0, 1]] },
  { name: "leading zeros in value", input: "a 007.50 1\n", points: [["a", 7.5, 1]] },
  { name: "underflow to zero", input: "a 1e-400 1\n", points: [["a", 0, 1]] },
  {
    name: "17 significant digits",
    input: "a 0.30000000000000004 1\n",
    points: [["a", 0.30000000000000004, 1]],
  },
  { name: "pi", input: "a 3.141592653589793 1\n", points: [["a", 3.141592653589793, 1]] },
  {
    name: "2^53 + 1 rounds to even",
    input: "a 9007199254740993 1\n",
    points: [["a", 9007199254740992, 1]],
  },
  {
    name: "more than 19 significant digits",
    input: "a 123456789012345678901234567890 1\n",
    points: [["a", 123456789012345678901234567890, 1]],
  },
  { name: "smallest subnormal", input: "a 4.9e-324 1\n", points: [["a", 5e-324, 1]] },
  {
    name: "largest double",
    input: "a 1.7976931348623157e308 1\n",
    points: [["a", 1.7976931348623157e308, 1]],
  },
  {
    name: "smallest normal double",
    input: "a 2.2250738585072014e-308 1\n",
    points: [["a", 2.2250738585072014e-308, 1]],
  },
  { name: "0.1", input: "a 0.1 1\n", points: [["a", 0.1, 1]] },
  { name: "large exponent digit run", input: "a 1e0000000000003 1\n", points: [["a", 1000, 1]] },
  {
    name: "names with - _ : # characters",
    input: "a-b_c:d#e.f 1 1\n",
    points: [["a-b_c:d#e.f", 1, 1]],
  },
  { name: "tagged name", input: "a.b;tag=v;x=y 1 1\n", points: [["a.b;tag=v;x=y", 1, 1]] },
  { name: "UTF-8 name", input: "café.latency 1 1\n", points: [["café.latency", 1, 1]] },
  {
    name: "251-byte path segment",
    input: `a.${long(251)} 1 1\n`,
    points: [[`a.${long(251)}`, 1, 1]],
  },
  {
    name: "name of 33 bytes crosses two vector blocks",
    input: "abcdefghijklmnop.qrstuvwxyz012345 1 1\n",
    points: [["abcdefghijklmnop.qrstuvwxyz012345", 1, 1]],
  },

  // Wrong field count.
  { name: "two fields", input: "a.b.c 1\n", points: [], rejected: { fields: 1 } },
  { name: "one field", input: "a.b.c\n", points: [], rejected: { fields: 1 } },
  { name: "four fields", input: "a.b.c 1 2 3\n", points: [], rejected: { fields: 1 } },
  { name: "two fields, CRLF", input: "a.b.c 1\r\n", points: [], rejected: { fields: 1 } },
  { name: "bad value but two fields", input: "a.b.c nan\n", points: [], rejected: { fields: 1 } },

  // Names.
  {
    name: "empty name before tags",
    input: ";tag=v 1 2\n",
    points: [],
    rejected: { empty_name: 1 },
  },
  { name: "double dot", input: "a..b 1 2\n", points: [], rejected: { bad_name: 1 } },
  {
    name: "double dot across a vector block",
    input: `${long(15)}..b 1 2\n`,
    points: [],
    rejected: { bad_name: 1 },
  },
  { name: "leading dot", input: ".a 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "trailing dot", input: "a. 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "only dots", input: ".. 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "absolute path", input: "/etc/passwd 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "slash inside", input: "a/b.c 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "parent directory", input: "a./...b 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "NUL byte", input: "a\0b 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "control byte", input: "a\x01b 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "DEL byte", input: "a\x7fb 1 2\n", points: [], rejected: { bad_name: 1 } },
  { name: "CR inside a name", input: "a\rb 1 2\n", points: [], rejected: { bad_name: 1 } },
  {
    name: "252-byte path segment",
    input: `a.${long(252)} 1 2\n`,
    points: [],
    rejected: { bad_name: 1 },
  },
  {
    name: "name over 4096 bytes",
    input: `${long(4097, "a.")} 1 2\n`,
    points: [],
    rejected: { bad_name: 1 },
  },

  // Values.
  { name: "nan", input: "a nan 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "NaN", input: "a NaN 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "inf", input: "a inf 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "Infinity", input: "a -Infinity 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "overflow to infinity", input: "a 1e400 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "negative overflow", input: "a -2e308 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "trailing letters", input: "a 1.5x 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "hex", input: "a 0x10 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "lone sign", input: "a - 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "lone dot", input: "a . 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "exponent without digits", input: "a 1e 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "underscore", input: "a 1_000 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "two signs", input: "a +-1 2\n", points: [], rejected: { bad_value: 1 } },
  { name: "CR inside a value", input: "a 1\r 2\n", points: [], rejected: { bad_value: 1 } },

  // Timestamps.
  { name: "word timestamp", input: "a 1 abc\n", points: [], rejected: { bad_timestamp: 1 } },
  { name: "negative timestamp", input: "a 1 -5\n", points: [], rejected: { bad_timestamp: 1 } },
  {
    name: "timestamp past 2^32",
    input: "a 1 4294967296\n",
    points: [],
    rejected: { bad_timestamp: 1 },
  },
  {
    name: "huge exponent timestamp",
    input: "a 1 1e20\n",
    points: [],
    rejected: { bad_timestamp: 1 },
  },
  {
    name: "trailing letters in timestamp",
    input: "a 1 12x\n",
    points: [],
    rejected: { bad_timestamp: 1 },
  },
  { name: "nan timestamp", input: "a 1 nan\n", points: [], rejected: { bad_timestamp: 1 } },
  { name: "lone dot timestamp", input: "a 1 .\n", points: [], rejected: { bad_timestamp: 1 } },
  { name: "CR then blank", input: "a 1 2\r \n", points: [], rejected: { bad_timestamp: 1 } },
  {
    name: "20-digit timestamp",
    input: "a 1 17000000000000000000\n",
    points: [],
    rejected: { bad_timestamp: 1 },
  },

  // Lengths and mixtures.
  {
    name: "line longer than the maximum",
    input: `${long(262_141)} 1 2\nok 1 2\n`,
    points: [["ok", 1, 2]],
    rejected: { line_too_long: 1 },
  },
  { name: "line of exactly the maximum", input: maxLine(0), points: [[MAX_LINE_NAME, 1, 2]] },
  {
    name: "line one byte over the maximum",
    input: maxLine(1),
    points: [],
    rejected: { line_too_long: 1 },
  },
  {
    name: "binary garbage between good lines",
    input: raw(
      "good.1 1 1\n",
      [0, 1, 0xff, 0xfe],
      " garbage ",
      [0],
      "\ngood.2 2 2\n",
      [0x7f, 0x80],
      " \t\n",
    ),
    points: [["good.1", 1, 1], ["good.2", 2, 2]],
    rejected: { bad_utf8: 1, fields: 1 },
  },
  {
    name: "every reason between good lines",
    input: "ok.1 1 1\na 1\n;t=1 1 1\na..b 1 1\na x 1\na 1 x\nok.2 2 2\n",
    points: [["ok.1", 1, 1], ["ok.2", 2, 2]],
    rejected: { fields: 1, empty_name: 1, bad_name: 1, bad_value: 1, bad_timestamp: 1 },
  },
];

// Every tagged-name case as a line, then all of them in one block between good lines.
for (const c of TAG_CASES) {
  PLAIN_CASES.push({
    name: `tags: ${c.name}`,
    input: raw([...tagCaseBytes(c)], " 1 1700000000\n"),
    points: c.stored === undefined ? [] : [[c.stored, 1, 1700000000]],
    rejected: c.reason === undefined ? undefined : { [c.reason]: 1 },
  });
}
PLAIN_CASES.push({
  name: "tags: every case in one block",
  input: raw(
    "good.1 1 1\n",
    ...TAG_CASES.flatMap((c, i) => [[...tagCaseBytes(c)], ` ${i} ${1700000000 + i}\n`]),
    "good.2 2 2\n",
  ),
  points: [
    ["good.1", 1, 1],
    ...TAG_CASES.flatMap((c, i): [string, number, number][] =>
      c.stored === undefined ? [] : [[c.stored, i, 1700000000 + i]]
    ),
    ["good.2", 2, 2],
  ],
  rejected: TAG_CASES.reduce((acc, c) => {
    if (c.reason) acc[c.reason] = (acc[c.reason] ?? 0) + 1;
    return acc;
  }, {} as Partial<Record<RejectReason, number>>),
});

/** The input of a case as bytes. */
export function caseBytes(c: PlainCase): Uint8Array {
  return typeof c.input === "string" ? new TextEncoder().encode(c.input) : c.input;
}
