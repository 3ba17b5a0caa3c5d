// Graphite names to labels: the sanitized and raw styles, tags, include/exclude, mapping rules,
// mapped from the name's bytes; and the same labels and shard hash as the string implementation
// first written (names_oracle.ts) on many names: UTF-8, bad UTF-8, tags, globs and rules.

import assert from "node:assert/strict";
import { isLabelName, NameMapper, type NameMapperOptions } from "../../src/remote/names.ts";
import {
  decodeLabels,
  encodeLabels,
  type Label,
  labelsHash,
  StringNameMapper,
} from "./names_oracle.ts";

const PLAIN: NameMapperOptions = { names: "sanitized", include: [], exclude: [], mapping: [] };
const utf8 = new TextEncoder();

/** What the mapper makes of `name`: its labels, or null when excluded. */
function labelsOf(m: NameMapper, name: string | Uint8Array): Label[] | null {
  const bytes = typeof name === "string" ? utf8.encode(name) : name;
  if (!m.map(bytes, 0, bytes.length)) return null;
  return decodeLabels(m.built.out.subarray(0, m.built.length));
}

const sanitizeMetricName = (name: string) => labelsOf(new NameMapper(PLAIN), name)![0][1];
const sanitizeLabelName = (name: string) =>
  labelsOf(new NameMapper(PLAIN), `x;${name}=1`)!.find(([, v]) => v === "1")![0];

Deno.test("NameMapper: a metric name has each byte outside [a-zA-Z0-9_:] replaced and a leading digit guarded", () => {
  const cases: [string, string][] = [
    ["servers.web-01.cpu", "servers_web_01_cpu"],
    ["a:b_c.D9", "a:b_c_D9"],
    ["café.p99", "caf___p99"], // é is two UTF-8 bytes
    ["東京.x", "_______x"], // three bytes per character
    ["\u{1F600}x", "____x"], // four bytes
    ["\ud800x", "___x"], // a lone surrogate is encoded as U+FFFD: three bytes
    ["1min.load", "_1min_load"],
    ["already_fine", "already_fine"],
  ];
  for (const [name, want] of cases) assert.equal(sanitizeMetricName(name), want, name);
  assert.equal(sanitizeLabelName("a:b"), "a_b");
  // bytes that are not UTF-8 read as TextDecoder reads them: U+FFFD, three bytes
  assert.equal(labelsOf(new NameMapper(PLAIN), new Uint8Array([0x61, 0xff, 0x62]))![0][1], "a___b");
  assert.equal(sanitizeLabelName("9lives"), "_9lives");
  assert.ok(isLabelName("host_1") && !isLabelName("1host") && !isLabelName("a:b"));
});

Deno.test("NameMapper: tags become labels, sorted, empty ones left out, __name__ wins", () => {
  const m = new NameMapper(PLAIN);
  assert.deepEqual(labelsOf(m, "disk.used;rack=a1;dc=east;zone-id=3;empty=;=x;__name__=no"), [
    ["__name__", "disk_used"],
    ["dc", "east"],
    ["rack", "a1"],
    ["zone_id", "3"],
  ]);
  assert.deepEqual(labelsOf(m, "plain"), [["__name__", "plain"]]);
});

Deno.test('NameMapper: names = "raw" keeps the dotted path and the tag keys', () => {
  const m = new NameMapper({ ...PLAIN, names: "raw" });
  assert.deepEqual(labelsOf(m, "servers.web-01.cpu;zone-id=3"), [
    ["__name__", "servers.web-01.cpu"],
    ["zone-id", "3"],
  ]);
});

Deno.test("NameMapper: include and exclude globs decide what is sent (on the path, not the tags)", () => {
  const m = new NameMapper({
    ...PLAIN,
    include: ["servers.*.cpu.*", "apps.{a,b}.*"],
    exclude: ["servers.test-*.cpu.*"],
  });
  assert.ok(labelsOf(m, "servers.web01.cpu.user") !== null);
  assert.ok(labelsOf(m, "servers.web01.cpu.user;dc=x") !== null);
  assert.equal(labelsOf(m, "servers.test-1.cpu.user"), null);
  assert.equal(labelsOf(m, "servers.web01.mem.used"), null);
  assert.ok(labelsOf(m, "apps.b.requests") !== null);
  assert.equal(labelsOf(m, "apps.c.requests"), null);
  const excludeOnly = new NameMapper({ ...PLAIN, exclude: ["carbon.agents.**"] });
  assert.equal(labelsOf(excludeOnly, "carbon.agents.host1"), null); // ** is * (one segment)
  assert.ok(labelsOf(excludeOnly, "carbon.agents.host1.cache.size") !== null);
});

Deno.test("NameMapper: the first matching rule names the series and fills labels from its wildcards", () => {
  const m = new NameMapper({
    ...PLAIN,
    mapping: [
      { match: "servers.*.cpu.*", name: "cpu_usage", labels: { host: "$1", mode: "$2" } },
      { match: "servers.*.cpu.total", name: "never", labels: {} },
      { match: "apps.web-*.{get,post}.latency", name: "http_$2_latency", labels: { app: "$1" } },
      { match: "x.*", name: "$9", labels: { gone: "$7" } },
    ],
  });
  assert.deepEqual(labelsOf(m, "servers.web01.cpu.total;dc=east;host=tag"), [
    ["__name__", "cpu_usage"],
    ["dc", "east"],
    ["host", "web01"], // the rule's label wins over the tag
    ["mode", "total"],
  ]);
  assert.deepEqual(labelsOf(m, "apps.web-eu.post.latency"), [
    ["__name__", "http_post_latency"],
    ["app", "web-eu"],
  ]);
  // an unknown $n is empty: the name falls back to the path, the label is left out
  assert.deepEqual(labelsOf(m, "x.y"), [["__name__", "x_y"]]);
  // no rule matches: the default
  assert.deepEqual(labelsOf(m, "servers.web01.mem"), [["__name__", "servers_web01_mem"]]);
});

Deno.test("NameMapper refuses a bad glob, naming it", () => {
  assert.throws(
    () => new NameMapper({ ...PLAIN, include: ["a..b"] }),
    /Invalid glob pattern "a..b"/,
  );
});

/** Names with dots, tags, digits, colons, dashes, empty parts, UTF-8 of every length. */
function randomNames(n: number, seed: number): string[] {
  const pieces = [
    "a",
    "b",
    "web",
    "cpu",
    "x",
    "0",
    "9",
    "1min",
    "_",
    ":",
    "-",
    " ",
    ".",
    ".",
    ".",
    ";",
    "=",
    ";k=v",
    ";dc=east",
    ";zone-id=3",
    ";=x",
    ";empty=",
    ";__name__=n",
    ";host=h",
    ";a:b=1",
    ";9k=v",
    "é",
    "東京",
    "\u{1F600}",
    "servers",
    "apps",
    "total",
    "post",
  ];
  let s = seed;
  const rand = (k: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    let name = "";
    for (let k = rand(12); k >= 0; k--) name += pieces[rand(pieces.length)];
    names.push(name);
  }
  return names;
}

const CONFIGS: NameMapperOptions[] = [
  PLAIN,
  { ...PLAIN, names: "raw" },
  { ...PLAIN, include: ["*.*", "servers.*.*.*"], exclude: ["a.*"] },
  {
    ...PLAIN,
    mapping: [
      { match: "servers.*.cpu.*", name: "cpu_usage", labels: { host: "$1", mode: "$2" } },
      { match: "*.*", name: "m_$2", labels: { k: "$1", dc: "", host: "é$1" } },
      { match: "*.*.*", name: "$5", labels: { zone_id: "$3" } },
    ],
  },
  {
    names: "raw",
    include: [],
    exclude: ["*"],
    mapping: [{ match: "{a,web}.*", name: "1$1.x", labels: { a: "$2" } }],
  },
];

Deno.test("NameMapper gives the labels and shard hash of the string implementation, on many names", () => {
  const names = [
    ...randomNames(20_000, 7),
    ";",
    ";a=b",
    "servers.web01.cpu.user;host=x",
    "東京.café;ключ=значение;\u{1F600}=\u{1F600}",
  ];
  for (const opts of CONFIGS) {
    const bytes = new NameMapper(opts);
    const strings = new StringNameMapper(opts);
    for (const name of names) {
      const want = strings.labels(name);
      const encoded = utf8.encode(name);
      if (want === null) {
        assert.equal(bytes.map(encoded, 0, encoded.length), false, name);
        continue;
      }
      if (name === "" && want.length === 1 && want[0][1] === "") continue; // below
      // the name inside a larger buffer, as in a WAL record
      const record = new Uint8Array(encoded.length + 6).fill(0x3b);
      record.set(encoded, 3);
      assert.ok(bytes.map(record, 3, 3 + encoded.length), name);
      assert.deepEqual(bytes.built.out.subarray(0, bytes.built.length), encodeLabels(want), name);
      assert.equal(bytes.built.hash, labelsHash(want), name);
    }
  }
});

Deno.test("NameMapper: an empty name has no labels (the string implementation gave an empty __name__)", () => {
  for (const opts of [PLAIN, { ...PLAIN, names: "raw" as const }]) {
    assert.deepEqual(labelsOf(new NameMapper(opts), ""), []);
  }
});

Deno.test("NameMapper reads bad UTF-8 as TextDecoder does, as the string implementation saw it", () => {
  const bad = [[0xff], [0xc3], [0xe6, 0x9d], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98], [0xc0, 0xaf]];
  for (const opts of CONFIGS) {
    const bytes = new NameMapper(opts);
    const strings = new StringNameMapper(opts);
    for (const seq of bad) {
      const name = new Uint8Array([
        ...utf8.encode("web.a"),
        ...seq,
        ...utf8.encode(";k=v"),
        ...seq,
      ]);
      const want = strings.labels(new TextDecoder().decode(name));
      assert.deepEqual(labelsOf(bytes, name), want, seq.join(","));
      if (want !== null) assert.equal(bytes.built.hash, labelsHash(want));
    }
  }
});
