// Tests for Graphite glob compilation: graphite-web's semantics (fnmatch per segment after brace
// expansion), the documented deviations, matcher shapes, and hostile patterns.

import assert from "node:assert/strict";
import {
  compareCodePoints,
  compileGlob,
  type GlobOptions,
  hasGlobSyntax,
  matchGlob,
} from "../../src/index/glob.ts";

function matching(pattern: string, names: readonly string[], options?: GlobOptions): string[] {
  const glob = compileGlob(pattern, options);
  return names.filter((n) => matchGlob(glob, n)).sort(compareCodePoints);
}

function sorted(names: readonly string[]): string[] {
  return [...names].sort(compareCodePoints);
}

// Segment names and the matches graphite-web gives, computed with graphite-web's
// `finders.expand_braces` and Python 3.11 `fnmatch.filter` (a name never matches as empty).
const FNMATCH_NAMES = [
  "a",
  "b",
  "c",
  "ab",
  "abc",
  "b-c",
  "b_c",
  "b:c",
  "é",
  "日本",
  "x^",
  "!x",
  "[a",
  "{b",
  "a,b",
  "😀",
  "a}",
  "}",
  "ba",
  "bab",
  "abab",
  "aXbYc",
  "-",
  "^",
  "z😀z",
  "\uffff",
  "\ue000",
];

const FNMATCH_CASES: [string, string[]][] = [
  ["{a,b}", ["a", "b"]],
  ["{a,{b,c}}", ["a", "b", "c"]],
  ["{a,}", ["a"]],
  ["a{,}b", ["ab"]],
  ["{a", []],
  ["a}", ["a}"]],
  ["[!a]", ["-", "^", "b", "c", "}", "é", "\ue000", "\uffff", "😀"]],
  ["[a-]", ["-", "a"]],
  ["[]a]", ["a"]],
  ["[z-a]", []],
  ["[bz-ac]", ["b", "c"]],
  ["?", ["-", "^", "a", "b", "c", "}", "é", "\ue000", "\uffff", "😀"]],
  ["??", ["!x", "[a", "ab", "a}", "ba", "x^", "{b", "日本"]],
  ["*", [
    "!x",
    "-",
    "[a",
    "^",
    "a",
    "a,b",
    "aXbYc",
    "ab",
    "abab",
    "abc",
    "a}",
    "b",
    "b-c",
    "b:c",
    "b_c",
    "ba",
    "bab",
    "c",
    "x^",
    "z😀z",
    "{b",
    "}",
    "é",
    "日本",
    "\ue000",
    "\uffff",
    "😀",
  ]],
  ["a,b", ["a,b"]],
  ["{a,b}}", ["a}"]],
  ["{{a,b}", ["{b"]],
  ["[a", ["[a"]],
  ["{a,b}{c,d}", []],
  ["b[-_:]c", ["b-c", "b:c", "b_c"]],
  ["[a-c-e]", ["-", "a", "b", "c"]],
  ["*b", ["a,b", "ab", "abab", "b", "bab", "{b"]],
  ["a*", ["a", "a,b", "aXbYc", "ab", "abab", "abc", "a}"]],
  ["*a*", ["[a", "a", "a,b", "aXbYc", "ab", "abab", "abc", "a}", "ba", "bab"]],
  ["a*b", ["a,b", "ab", "abab"]],
  ["*?*", [
    "!x",
    "-",
    "[a",
    "^",
    "a",
    "a,b",
    "aXbYc",
    "ab",
    "abab",
    "abc",
    "a}",
    "b",
    "b-c",
    "b:c",
    "b_c",
    "ba",
    "bab",
    "c",
    "x^",
    "z😀z",
    "{b",
    "}",
    "é",
    "日本",
    "\ue000",
    "\uffff",
    "😀",
  ]],
  ["?*?", [
    "!x",
    "[a",
    "a,b",
    "aXbYc",
    "ab",
    "abab",
    "abc",
    "a}",
    "b-c",
    "b:c",
    "b_c",
    "ba",
    "bab",
    "x^",
    "z😀z",
    "{b",
    "日本",
  ]],
  ["a*b*c", ["aXbYc", "abc"]],
  ["*[b-c]", ["a,b", "aXbYc", "ab", "abab", "abc", "b", "b-c", "b:c", "b_c", "bab", "c", "{b"]],
  ["[!a-b]*", [
    "!x",
    "-",
    "[a",
    "^",
    "c",
    "x^",
    "z😀z",
    "{b",
    "}",
    "é",
    "日本",
    "\ue000",
    "\uffff",
    "😀",
  ]],
  ["{a*,*c}", ["a", "a,b", "aXbYc", "ab", "abab", "abc", "a}", "b-c", "b:c", "b_c", "c"]],
  ["{?,??}", [
    "!x",
    "-",
    "[a",
    "^",
    "a",
    "ab",
    "a}",
    "b",
    "ba",
    "c",
    "x^",
    "{b",
    "}",
    "é",
    "日本",
    "\ue000",
    "\uffff",
    "😀",
  ]],
  ["{a{b,c},b}", ["ab", "b"]],
  ["*{b,c}*", [
    "a,b",
    "aXbYc",
    "ab",
    "abab",
    "abc",
    "b",
    "b-c",
    "b:c",
    "b_c",
    "ba",
    "bab",
    "c",
    "{b",
  ]],
  ["{[a-b]?,x*}", ["ab", "a}", "ba", "x^"]],
  ["[--0]", ["-"]],
  ["[😀]", ["😀"]],
  ["?z", []],
  ["z?z", ["z😀z"]],
  ["*😀*", ["z😀z", "😀"]],
  ["[\ue000-\uffff]", ["\ue000", "\uffff"]],
  ["[!\u{10000}-\u{10ffff}]", ["-", "^", "a", "b", "c", "}", "é", "\ue000", "\uffff"]],
];

for (const maxGlobs of [100, 1]) {
  const how = maxGlobs === 1 ? "unexpanded (automaton)" : "expanded";
  Deno.test(`matchGlob() agrees with graphite-web's fnmatch on one segment, braces ${how}`, () => {
    const names = FNMATCH_NAMES.filter((n) => n !== "").map((n) => `s.${n}`);
    for (const [pattern, expected] of FNMATCH_CASES) {
      assert.deepEqual(
        matching(`s.${pattern}`, names, { maxGlobs }),
        sorted(expected.map((n) => `s.${n}`)),
        pattern,
      );
    }
  });
}

const TREE = [
  "a",
  "a.b",
  "a.c",
  "a.bc",
  "a.ab",
  "a.ba",
  "a.b.c",
  "a.b.d",
  "a.c.d",
  "a.d.d",
  "a.b-c.d",
  "a.b_c.d",
  "a.b:c.d",
  "a.é",
  "a.日本",
  "a.😀",
  "x.b.c",
  "y.b.c",
];

const GRAPHITE_CASES: [string, string[]][] = [
  ["a.*", ["a.b", "a.c", "a.bc", "a.ab", "a.ba", "a.é", "a.日本", "a.😀"]],
  ["a.b*", ["a.b", "a.bc", "a.ba"]],
  ["*.b.c", ["a.b.c", "x.b.c", "y.b.c"]],
  ["a.{b,c}.d", ["a.b.d", "a.c.d"]],
  ["a.[bc].d", ["a.b.d", "a.c.d"]],
  ["a.?", ["a.b", "a.c", "a.é", "a.😀"]],
  ["a.??", ["a.bc", "a.ab", "a.ba", "a.日本"]],
  ["a.*.d", ["a.b.d", "a.c.d", "a.d.d", "a.b-c.d", "a.b_c.d", "a.b:c.d"]],
  ["a.b[-_:]c.d", ["a.b-c.d", "a.b_c.d", "a.b:c.d"]],
  ["a.b?c.d", ["a.b-c.d", "a.b_c.d", "a.b:c.d"]],
  ["a.[!b]*", ["a.c", "a.ab", "a.é", "a.日本", "a.😀"]],
  ["a.日*", ["a.日本"]],
  ["{a,x}.b.c", ["a.b.c", "x.b.c"]],
  ["a.{b,c,}", ["a.b", "a.c"]],
  ["*", ["a"]],
  ["a.b.c", ["a.b.c"]],
  ["a.b.e", []],
  ["a.{b{,c},c}.d", ["a.b.d", "a.c.d"]],
];

Deno.test("matchGlob() follows graphite-web on whole paths; * never crosses a dot", () => {
  for (const [pattern, expected] of GRAPHITE_CASES) {
    assert.deepEqual(matching(pattern, TREE), sorted(expected), pattern);
  }
});

Deno.test("matchGlob() negates [^abc] like [!abc] (fnmatch would take ^ literally)", () => {
  assert.deepEqual(matching("a.[^b]*", TREE), matching("a.[!b]*", TREE));
});

Deno.test("matchGlob() expands braces that contain dots into separate paths (as go-carbon)", () => {
  assert.deepEqual(matching("a.{b.c,c.d}", TREE), ["a.b.c", "a.c.d"]);
  assert.deepEqual(matching("{a.b,x.b}.c", TREE), ["a.b.c", "x.b.c"]);
  assert.deepEqual(matching("{a.{b,c},x.b}.c", TREE), ["a.b.c", "x.b.c"]);
});

Deno.test("matchGlob() takes a backslash-escaped character literally", () => {
  const names = ["m.a*b", "m.axb", "m.{x}", "m.x"];
  assert.deepEqual(matching("m.a\\*b", names), ["m.a*b"]);
  assert.deepEqual(matching("m.a*b", names), ["m.a*b", "m.axb"]);
  assert.deepEqual(matching("m.\\{x}", names), ["m.{x}"]);
  assert.deepEqual(matching("m.{x}", names), ["m.x"]);
});

Deno.test("matchGlob() treats ** like * within one segment", () => {
  assert.deepEqual(matching("a.**", TREE), matching("a.*", TREE));
});

Deno.test("matchGlob() treats a dot inside [] as a separator, so the [ is literal", () => {
  assert.deepEqual(matching("a.[b.c]", ["a.[b.c]", "a.b"]), ["a.[b.c]"]);
});

Deno.test("compileGlob() turns literal segments into exact lookups", () => {
  const kinds = (p: string, o?: GlobOptions) =>
    compileGlob(p, o).alternatives.map((alt) => alt.map((m) => m.kind));
  assert.deepEqual(kinds("a.b.*"), [["literal", "literal", "all"]]);
  assert.deepEqual(kinds("a.*.c"), [["literal", "all", "literal"]]);
  assert.deepEqual(kinds("a.{c,b,b}.d"), [["literal", "set", "literal"]]);
  assert.deepEqual(compileGlob("a.{c,b,b}.d").alternatives[0][1].values, ["b", "c"]);
  assert.deepEqual(kinds("a.{b}.d"), [["literal", "literal", "literal"]]);
  assert.deepEqual(kinds("a.b*.{x?,y}"), [["literal", "pattern", "pattern"]]);
  assert.deepEqual(kinds("a.{b,c}", { maxGlobs: 1 }), [["literal", "pattern"]]);
  assert.deepEqual(kinds("a.{b.c,d}"), [["literal", "literal", "literal"], ["literal", "literal"]]);
  assert.deepEqual(kinds("a.{}.c"), []);
});

Deno.test("compileGlob() reports expansions and exactness", () => {
  assert.equal(compileGlob("a.{b,c}.{d,e,f}").expansions, 6);
  assert.equal(compileGlob("a.{b,{c,d}}").expansions, 3);
  assert.equal(compileGlob("a.b.c").isExact, true);
  assert.equal(compileGlob("a.b\\*").isExact, true);
  assert.equal(compileGlob("a.b*").isExact, false);
  assert.equal(compileGlob("a.{b}").isExact, false);
});

Deno.test("hasGlobSyntax() spots * ? [ { as graphite-web's is_pattern", () => {
  assert.deepEqual(
    ["a.b", "a.*", "a.?", "a.[b]", "a.{b}", "a,b"].map(hasGlobSyntax),
    [false, true, true, true, true, false],
  );
});

Deno.test("compareCodePoints() orders astral characters after U+FFFF, as Python does", () => {
  assert.deepEqual(["😀", "\uff5a", "z"].sort(compareCodePoints), ["z", "\uff5a", "😀"]);
  assert.ok(compareCodePoints("a", "ab") < 0);
  assert.equal(compareCodePoints("ab", "ab"), 0);
});

const HOSTILE: [string, string, GlobOptions?][] = [
  ["", "empty pattern"],
  ["a..b", "empty segment"],
  [".a", "empty segment"],
  ["a.", "empty segment"],
  ["a".repeat(20_000), "20000 characters exceed the limit of 16384"],
  ["a." + "b".repeat(9_000), "a segment is longer than 8192 characters"],
  ["a.b\u0000c", "control character U+0000 at 3"],
  ["a.b\tc", "control character U+0009"],
  ["a.b\x7f", "control character U+007F"],
  ["a.\ud800", "unpaired surrogate at 2"],
  ["a.\udc00x", "unpaired surrogate at 2"],
  ["{".repeat(9) + "a" + "}".repeat(9), "braces nested deeper than 8"],
  ["a.{b,{c,{d}}}", "braces nested deeper than 2", { maxBraceDepth: 2 }],
  [
    "n." + "{0,1,2,3,4,5,6,7,8,9}".repeat(6),
    "1000000 brace expansions exceed max-globs (100)",
    { failOnMaxGlobs: true },
  ],
  ["a." + "{a,b}".repeat(60), "1.15e+18 brace expansions exceed max-globs", {
    failOnMaxGlobs: true,
  }],
  ["{a,b.c}.".repeat(7) + "x", "braces containing dots expand to more than max-globs (100)"],
  [Array(65).fill("a").join("."), "65 segments exceed the limit of 64"],
  ["{a.a.a.a,b}." + Array(61).fill("a").join("."), "65 segments exceed the limit of 64"],
];

Deno.test("compileGlob() rejects hostile patterns with a RangeError that says why", () => {
  for (const [pattern, message, options] of HOSTILE) {
    assert.throws(() => compileGlob(pattern, options), (err: unknown) => {
      assert.ok(err instanceof RangeError, `${pattern.slice(0, 30)}: ${err}`);
      assert.ok(err.message.startsWith("Invalid glob pattern"), err.message);
      assert.ok(err.message.includes(message), `${err.message} lacks ${message}`);
      assert.ok(!err.message.endsWith("."), err.message);
      assert.ok(err.message.length < 200, "the message quotes a shortened pattern");
      return true;
    });
  }
});

Deno.test("compileGlob() accepts the limits themselves", () => {
  compileGlob("{".repeat(8) + "a" + "}".repeat(8));
  compileGlob(Array(64).fill("a").join("."));
  compileGlob("a." + "{0,1,2,3,4,5,6,7,8,9}".repeat(2), { failOnMaxGlobs: true });
  compileGlob("{a,b.c}.".repeat(6) + "x");
});

Deno.test("compileGlob() matches 10^6 brace alternatives without expanding them", () => {
  const glob = compileGlob("n." + "{0,1,2,3,4,5,6,7,8,9}".repeat(6));
  assert.equal(glob.expansions, 1_000_000);
  assert.equal(glob.alternatives[0][1].kind, "pattern");
  assert.equal(matchGlob(glob, "n.123456"), true);
  assert.equal(matchGlob(glob, "n.12345"), false);
  assert.equal(matchGlob(glob, "n.12345x"), false);
});

Deno.test("compileGlob() matches 2^60 alternatives in one segment by automaton", () => {
  const glob = compileGlob("a." + "{a,b}".repeat(60));
  assert.equal(matchGlob(glob, "a." + "ab".repeat(30)), true);
  assert.equal(matchGlob(glob, "a." + "ab".repeat(29) + "c"), false);
});

Deno.test("matchGlob() stays linear on patterns that make backtracking regexps explode", () => {
  const long = "a".repeat(5_000);
  assert.equal(matchGlob(compileGlob("x." + "*a".repeat(30) + "*b"), `x.${long}`), false);
  assert.equal(matchGlob(compileGlob("x." + "{*a,a*}".repeat(30) + "b"), `x.${long}`), false);
  assert.equal(matchGlob(compileGlob("x." + "*a".repeat(30)), `x.${long}`), true);
});

Deno.test("compileGlob() prefix and suffix shortcuts never reject a real match", () => {
  const names = ["s.abc", "s.abcabc", "s.😀a", "s.😁bzz", "s.😀b", "s.ab", "s.xaby", "s.aXbc"];
  assert.deepEqual(matching("s.{abc,abc}", names, { maxGlobs: 1 }), ["s.abc"]);
  assert.deepEqual(matching("s.{😀a,😁b}*", names), ["s.😀a", "s.😁bzz"]);
  assert.deepEqual(matching("s.{a?,a}{b,Xb}c", names), sorted(["s.abc", "s.aXbc"]));
  assert.deepEqual(matching("s.*{b,ab}{y,}", names), sorted(["s.ab", "s.xaby", "s.😀b"]));
  assert.deepEqual(matching("s.a[!x]*c", names), sorted(["s.abc", "s.abcabc", "s.aXbc"]));
});

Deno.test("compileGlob() stays exact once its automaton cache is full", () => {
  // 2,000 alternatives led by a star: every automaton state holds thousands of NFA states, so
  // the cache budget runs out and later steps are computed uncached.
  const numbers = Array.from({ length: 2_000 }, (_, i) => String(i * 37 + 1000));
  const pattern = `x.{${numbers.map((n) => `*${n}`).join(",")}}`;
  const glob = compileGlob(pattern, { maxSegmentChars: 16_384 });
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const name = Array.from({ length: 12 }, () => Math.floor(random() * 10)).join("") +
      (i % 3 === 0 ? numbers[i] : "");
    const expected = numbers.some((n) => name.endsWith(n));
    assert.equal(matchGlob(glob, `x.${name}`), expected, name);
  }
});

Deno.test("compileGlob() quotes the rejected pattern with control characters escaped", () => {
  assert.throws(
    () => compileGlob("a.b\u0000c"),
    {
      name: "RangeError",
      message: 'Invalid glob pattern "a.b\\u0000c": control character U+0000 at 3',
    },
  );
});
