// The tagged-name case table: what each name is stored as. Run against the TS reference
// (tagged_name_test.ts), the wasm parser through the plaintext table (plaintext_cases.ts, both
// builds, every split), and Debian's carbon 1.1.7 (carbon_tags_test.ts: the same file paths).
// Expected names were taken from carbon's own TaggedSeries.parse(...).path.

import type { RejectReason } from "../../src/protocol/plaintext.ts";

/** One name: the name it is stored under, or the reason carbonado refuses it. */
export interface TagCase {
  name: string;
  /** The name as sent (UTF-8 text or raw bytes; no blanks: it goes into plaintext lines). */
  input: string | Uint8Array;
  /** The name stored (canonical, or the input itself when its tags are invalid). */
  stored?: string;
  /** Refused by carbonado, for this reason. */
  reason?: RejectReason;
  /** The input's tags are invalid: kept as it came, counted as tags_invalid. */
  tagsInvalid?: boolean;
  /** Leave out of the comparison with carbon (a documented difference). */
  notCarbon?: string;
}

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
  );

export const TAG_CASES: TagCase[] = [
  // Order: the `;k=v` strings sorted as strings (carbon), not by key.
  { name: "tags sorted", input: "cpu.load;host=a;dc=east", stored: "cpu.load;dc=east;host=a" },
  {
    name: "already canonical",
    input: "cpu.load;dc=east;host=a",
    stored: "cpu.load;dc=east;host=a",
  },
  { name: "host2 sorts before host", input: "m;host=h;host2=x", stored: "m;host2=x;host=h" },
  { name: "many tags", input: "a;z=1;a=1;m=1", stored: "a;a=1;m=1;z=1" },
  // Duplicates: the last one wins (a Python dict).
  { name: "duplicate key, last wins", input: "m;b=1;a=2;b=3", stored: "m;a=2;b=3" },
  { name: "explicit name tag dropped", input: "a;name=x;k=v", stored: "a;k=v" },
  // `~` in front of the path.
  { name: "leading tilde stripped", input: "~a.b", stored: "a.b" },
  { name: "leading tildes stripped, tagged", input: "~~a.b;k=v", stored: "a.b;k=v" },
  { name: "only a tilde: kept", input: "~", stored: "~", tagsInvalid: true },
  { name: "tilde path with tags: kept", input: "~;k=v", stored: "~;k=v", tagsInvalid: true },
  // Invalid tags: the name is kept as it came (carbon logs and stores it).
  { name: "segment without =", input: "a;b", stored: "a;b", tagsInvalid: true },
  { name: "empty segment", input: "a;;k=v", stored: "a;;k=v", tagsInvalid: true },
  { name: "trailing semicolon", input: "a;k=v;", stored: "a;k=v;", tagsInvalid: true },
  { name: "empty key", input: "a;=v", stored: "a;=v", tagsInvalid: true },
  { name: "empty value", input: "a;k=", stored: "a;k=", tagsInvalid: true },
  { name: "value starting with tilde", input: "a;k=~v", stored: "a;k=~v", tagsInvalid: true },
  { name: "key with !", input: "a;k!=v", stored: "a;k!=v", tagsInvalid: true },
  { name: "key with ^", input: "a;k^=v", stored: "a;k^=v", tagsInvalid: true },
  { name: "value with =", input: "a;k==v", stored: "a;k==v" },
  { name: "value with = inside", input: "a;k=a=b", stored: "a;k=a=b" },
  { name: "value with {", input: "a;k=v{x", stored: "a;k=v{x" },
  // Tag values may hold what a path may not: the file is named by a hash.
  { name: "value with slashes", input: "a.b;path=/var/log", stored: "a.b;path=/var/log" },
  { name: "value with dots", input: "a.b;ip=1.2.3.4", stored: "a.b;ip=1.2.3.4" },
  { name: "UTF-8 path and value", input: "café.x;h=été", stored: "café.x;h=été" },
  // OpenMetrics form.
  { name: "OpenMetrics form", input: 'a{host="a",dc="east"}', stored: "a;dc=east;host=a" },
  { name: "OpenMetrics, :, separator", input: 'a{k="v":,j="w"}', stored: "a;j=w;k=v" },
  { name: "OpenMetrics, escaped quote", input: 'a{k="x\\"y"}', stored: 'a;k=x"y' },
  { name: "OpenMetrics, escaped backslash", input: 'a{k="x\\\\y"}', stored: "a;k=x\\y" },
  {
    name: "OpenMetrics, lone backslash: kept",
    input: 'a{k="x\\y"}',
    stored: 'a{k="x\\y"}',
    tagsInvalid: true,
  },
  {
    name: "OpenMetrics, ; in value: kept",
    input: 'a{k="v;w"}',
    stored: 'a{k="v;w"}',
    tagsInvalid: true,
  },
  { name: "OpenMetrics, duplicate key", input: 'a{k="v",k="w"}', stored: "a;k=w" },
  { name: "OpenMetrics, name tag dropped", input: 'a{name="q",k="v"}', stored: "a;k=v" },
  {
    name: "OpenMetrics, tilde value: kept",
    input: 'a{k="~v"}',
    stored: 'a{k="~v"}',
    tagsInvalid: true,
  },
  {
    name: "OpenMetrics, empty value: kept",
    input: 'a{k=""}',
    stored: 'a{k=""}',
    tagsInvalid: true,
  },
  { name: "OpenMetrics, empty key: kept", input: 'a{="v"}', stored: 'a{="v"}', tagsInvalid: true },
  {
    name: "OpenMetrics, no path: kept",
    input: '{k="v"}',
    stored: '{k="v"}',
    tagsInvalid: true,
  },
  {
    name: "OpenMetrics, two braces: kept",
    input: 'a{k="v"}{"}',
    stored: 'a{k="v"}{"}',
    tagsInvalid: true,
  },
  { name: "braces without quotes: a plain name", input: "a{k=v}", stored: "a{k=v}" },
  // Refused by carbonado (carbon would store them; a path must stay a safe path).
  { name: "no path before tags", input: ";k=v", reason: "empty_name", notCarbon: "empty path" },
  { name: "path ending in a dot", input: "a.;k=v", reason: "bad_name", notCarbon: "path rules" },
  {
    name: "control byte in a tag",
    input: bytes("a;k=", [1], "v"),
    reason: "bad_name",
    notCarbon: "control bytes are refused",
  },
  // UTF-8: carbon fails to decode the line and drops the connection; carbonado counts it.
  { name: "invalid UTF-8 byte", input: bytes("caf", [0xe9], ".x"), reason: "bad_utf8" },
  { name: "overlong UTF-8", input: bytes("a", [0xc0, 0xaf]), reason: "bad_utf8" },
  { name: "UTF-8 surrogate", input: bytes("a", [0xed, 0xa0, 0x80]), reason: "bad_utf8" },
  { name: "truncated UTF-8", input: bytes("a;k=", [0xe2, 0x82]), reason: "bad_utf8" },
  { name: "above U+10FFFF", input: bytes("a", [0xf4, 0x90, 0x80, 0x80]), reason: "bad_utf8" },
  { name: "four-byte UTF-8", input: "a.😀;k=😀", stored: "a.😀;k=😀" },
];

/** The case's input as bytes. */
export function tagCaseBytes(c: TagCase): Uint8Array {
  return typeof c.input === "string" ? new TextEncoder().encode(c.input) : c.input;
}
