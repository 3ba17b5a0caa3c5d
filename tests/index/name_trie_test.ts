// Tests for the metric name index: add/has/delete, finds in Graphite's shape and order, limits,
// and wide levels that switch child storage.

import assert from "node:assert/strict";
import { compileGlob } from "../../src/index/glob.ts";
import { type FindMatch, NameTrie } from "../../src/index/name_trie.ts";

function trieOf(names: readonly string[], ...args: ConstructorParameters<typeof NameTrie>) {
  const trie = new NameTrie(...args);
  for (const n of names) trie.add(n);
  return trie;
}

const B = (path: string): FindMatch => ({ path, isLeaf: false });
const L = (path: string): FindMatch => ({ path, isLeaf: true });

const NAMES = [
  "a.b",
  "a.b.c",
  "a.b.d",
  "a.b.e.f",
  "a.c.d",
  "a.b-c.d",
  "a.b_c.d",
  "a.b:c.d",
  "sys.host-1.cpu.user",
  "sys.host-2.cpu.user",
  "sys.host-2.cpu.system",
  "x.b.c",
  "app.café.p99",
  "app.日本.p99",
];

Deno.test("NameTrie.find() returns branches and leaves at the pattern's depth, sorted", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual(trie.find("a.b.*").matches, [L("a.b.c"), L("a.b.d"), B("a.b.e")]);
  assert.deepEqual(trie.find("*").matches, [B("a"), B("app"), B("sys"), B("x")]);
  assert.deepEqual(trie.find("*.b.c").matches, [L("a.b.c"), L("x.b.c")]);
  assert.deepEqual(trie.find("sys.*.cpu.user").matches, [
    L("sys.host-1.cpu.user"),
    L("sys.host-2.cpu.user"),
  ]);
  assert.deepEqual(trie.find("a.{b,c}.d").matches, [L("a.b.d"), L("a.c.d")]);
  assert.deepEqual(trie.find("a.b[-_:]c.d").matches, [
    L("a.b-c.d"),
    L("a.b:c.d"),
    L("a.b_c.d"),
  ]);
  assert.deepEqual(trie.find("app.*.p99").matches, [L("app.café.p99"), L("app.日本.p99")]);
  assert.deepEqual(trie.find("app.caf?.*").matches, [L("app.café.p99")]);
  assert.deepEqual(trie.find("nope.*").matches, []);
  assert.deepEqual(trie.find("a.b.c.d").matches, []);
});

Deno.test("NameTrie.find() lists a path that is both a branch and a metric twice, branch first", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual(trie.find("a.*").matches, [
    B("a.b"),
    L("a.b"),
    B("a.b-c"),
    B("a.b:c"),
    B("a.b_c"),
    B("a.c"),
  ]);
  assert.deepEqual(trie.find("a.b").matches, [B("a.b"), L("a.b")]);
});

Deno.test("NameTrie.find() sorts by the whole path in code point order, as Python's sorted()", () => {
  const trie = trieOf(["u.😀", "u.\uff5a", "u.z", "a.b.c", "a-1.b.c"]);
  assert.deepEqual(trie.find("u.*").matches, [L("u.z"), L("u.\uff5a"), L("u.😀")]);
  // "-" (0x2d) sorts before "." (0x2e): the path string decides, not segment by segment.
  assert.deepEqual(trie.find("*.b.c").matches, [L("a-1.b.c"), L("a.b.c")]);
});

Deno.test("NameTrie.find() merges overlapping dotted-brace paths without duplicates", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual(trie.find("{a.b,a.*,x.b}.c").matches, [L("a.b.c"), L("x.b.c")]);
});

Deno.test("NameTrie.find() stops at maxResults and reports that the limit was reached", () => {
  const trie = trieOf(NAMES);
  const over = trie.find("a.b.*", { maxResults: 2 });
  assert.equal(over.limitReached, true);
  assert.equal(over.matches.length, 2);
  const exact = trie.find("a.b.*", { maxResults: 3 });
  assert.equal(exact.limitReached, false);
  assert.equal(exact.matches.length, 3);
  const none = trie.find("*.*.*", { maxResults: 0 });
  assert.deepEqual([none.limitReached, none.matches], [true, []]);
  assert.ok(trie.find("a.b.*").visited >= 3);
});

Deno.test("NameTrie.expand() returns only metric names, sorted, with its own limit", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual(trie.expand("a.b.*").names, ["a.b.c", "a.b.d"]);
  assert.deepEqual(trie.expand("a.*").names, ["a.b"]);
  assert.deepEqual(trie.expand("sys.host-2.cpu.*").names, [
    "sys.host-2.cpu.system",
    "sys.host-2.cpu.user",
  ]);
  const limited = trie.expand("*.*.*.*", { maxResults: 2 });
  assert.deepEqual([limited.limitReached, limited.names.length], [true, 2]);
});

Deno.test("NameTrie.find() accepts a compiled glob, compiled once", () => {
  const trie = trieOf(NAMES);
  const glob = compileGlob("sys.*.cpu.*");
  assert.equal(trie.find(glob).matches.length, 3);
  assert.equal(trie.expand(glob).names.length, 3);
});

Deno.test("NameTrie.find() applies the trie's glob options to string patterns", () => {
  const strict = trieOf(["n.1", "n.2"], { maxGlobs: 4, failOnMaxGlobs: true });
  assert.throws(() => strict.find("n.{1,2,3}{4,5}"), RangeError);
  assert.deepEqual(strict.find("n.{1,2}").matches, [L("n.1"), L("n.2")]);
  const lenient = trieOf(["n.14", "n.25"], { maxGlobs: 4 });
  assert.deepEqual(lenient.find("n.{1,2,3}{4,5}").matches, [L("n.14"), L("n.25")]);
});

Deno.test("NameTrie.find() answers a 10^6-alternative brace pattern completely", () => {
  const trie = trieOf(["n.000000", "n.123456", "n.999999", "n.12345x", "n.1234567"]);
  const pattern = "n." + "{0,1,2,3,4,5,6,7,8,9}".repeat(6);
  assert.deepEqual(trie.expand(pattern).names, ["n.000000", "n.123456", "n.999999"]);
  const strict = trieOf(["n.1"], { failOnMaxGlobs: true });
  assert.throws(
    () => strict.find(pattern),
    (err: unknown) =>
      err instanceof RangeError &&
      err.message.includes("1000000 brace expansions exceed max-globs (100)"),
  );
});

Deno.test("NameTrie.find() rejects hostile patterns with a RangeError before walking", () => {
  const trie = trieOf(NAMES);
  for (const p of ["a..b", "", "a." + "x".repeat(20_000), "{".repeat(20) + "}".repeat(20)]) {
    assert.throws(() => trie.find(p), RangeError);
  }
});

Deno.test("NameTrie.add() reports new names and counts metrics and branches", () => {
  const trie = new NameTrie();
  assert.equal(trie.add("a.b.c"), true);
  assert.equal(trie.add("a.b.c"), false);
  assert.equal(trie.add("a.b"), true);
  assert.equal(trie.add("a.b"), false);
  assert.equal(trie.add("a.b.d"), true);
  assert.equal(trie.add("a.b.c.e"), true);
  assert.equal(trie.size, 4);
  assert.deepEqual(trie.stats(), { metrics: 4, branches: 3, segments: 5 });
});

Deno.test("NameTrie.add() rejects names with an empty segment", () => {
  const trie = new NameTrie();
  for (const name of ["", "a..b", ".a", "a."]) {
    assert.throws(
      () => trie.add(name),
      (err: unknown) => err instanceof RangeError && err.message.includes("empty segment"),
      name,
    );
  }
  assert.equal(trie.size, 0);
});

Deno.test("NameTrie.has() and hasBranch() tell metrics from branches", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual(
    ["a.b", "a.b.c", "a.b.e", "a", "a.b.e.f", "zz", "a.b.c.d"].map((n) => trie.has(n)),
    [true, true, false, false, true, false, false],
  );
  assert.deepEqual(
    ["a.b", "a.b.c", "a.b.e", "a", "zz"].map((n) => trie.hasBranch(n)),
    [true, false, true, true, false],
  );
});

Deno.test("NameTrie.delete() removes a metric and prunes branches left empty", () => {
  const trie = trieOf(["a.b.c", "a.b", "x.y.z"]);
  assert.equal(trie.delete("a.b.c"), true);
  assert.equal(trie.delete("a.b.c"), false);
  assert.deepEqual(trie.find("a.*").matches, [L("a.b")]);
  assert.equal(trie.hasBranch("a.b"), false);
  assert.equal(trie.delete("x.y.z"), true);
  assert.deepEqual(trie.find("*").matches, [B("a")]);
  assert.equal(trie.delete("a"), false, "a branch is not a metric");
  assert.deepEqual(trie.stats().metrics, 1);
  assert.deepEqual(trie.stats().branches, 1);
});

Deno.test("NameTrie.delete() of a metric that is also a branch keeps the branch", () => {
  const trie = trieOf(["a.b", "a.b.c"]);
  assert.equal(trie.delete("a.b"), true);
  assert.deepEqual(trie.find("a.*").matches, [B("a.b")]);
  assert.equal(trie.has("a.b.c"), true);
  assert.equal(trie.delete("a.b.c"), true);
  assert.deepEqual(trie.find("*").matches, []);
  assert.deepEqual(trie.stats(), { metrics: 0, branches: 0, segments: 3 });
});

Deno.test("NameTrie.names() yields every metric once", () => {
  const trie = trieOf(NAMES);
  assert.deepEqual([...trie.names()].sort(), [...NAMES].sort());
});

Deno.test("NameTrie keeps wide levels correct across its array and Map storage", () => {
  const trie = new NameTrie();
  const names: string[] = [];
  for (let i = 0; i < 3000; i++) names.push(`w.n${String(i * 7919 % 3000).padStart(4, "0")}`);
  for (const n of names) trie.add(n);
  trie.add("w.n0001.sub");
  const all = trie.find("w.*").matches.filter((m) => m.isLeaf).map((m) => m.path);
  assert.deepEqual(all, [...names].sort());
  assert.deepEqual(trie.find("w.n0001").matches, [B("w.n0001"), L("w.n0001")]);
  assert.deepEqual(trie.find("w.n{0002,2999,9999}").matches, [L("w.n0002"), L("w.n2999")]);
  assert.deepEqual(trie.expand("w.n000?").names.length, 10);
  for (const n of names.slice(0, 2990)) assert.equal(trie.delete(n), true, n);
  assert.equal(trie.size, 11);
  assert.equal(trie.expand("w.*").names.length, 10);
  assert.deepEqual(trie.expand("w.*.*").names, ["w.n0001.sub"]);
  for (const n of names.slice(2990)) trie.delete(n);
  trie.delete("w.n0001.sub");
  assert.deepEqual(trie.stats(), { metrics: 0, branches: 0, segments: 3002 });
});

Deno.test("NameTrie.add() shares one copy of a repeated long segment", () => {
  const trie = new NameTrie();
  trie.add("h1.requests_per_second_total");
  trie.add("h2.requests_per_second_total");
  assert.equal(trie.stats().segments, 3);
});
