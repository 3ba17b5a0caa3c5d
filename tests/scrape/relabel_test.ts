// Relabeling as Prometheus 2.42's relabel.Process: every action, Go's $-expansion, anchoring.

import { assertEquals } from "../_util/assert.ts";
import { compileRegex, expand, relabel, type RelabelRule } from "../../src/scrape/relabel.ts";

function rule(r: Partial<RelabelRule> & { regexText?: string }): RelabelRule {
  const regexText = r.regexText ?? "(.*)";
  return {
    sourceLabels: [],
    separator: ";",
    targetLabel: "",
    replacement: "$1",
    modulus: 0,
    action: "replace",
    ...r,
    regexText,
    regex: compileRegex(regexText),
  };
}

const labels = (o: Record<string, string>) => new Map(Object.entries(o));

Deno.test("replace joins source labels, expands groups, and deletes on an empty result", () => {
  const set = labels({ a: "x", b: "y", c: "z" });
  assertEquals(
    relabel(set, [
      rule({
        sourceLabels: ["a", "b"],
        regexText: "(.)-?;(.)",
        targetLabel: "d",
        replacement: "$1$2",
      }),
    ]),
    labels({ a: "x", b: "y", c: "z", d: "xy" }),
  );
  // anchored: "x" does not match "." followed by more
  assertEquals(
    relabel(set, [
      rule({ sourceLabels: ["a"], regexText: "", targetLabel: "d", replacement: "no" }),
    ]),
    set,
  );
  assertEquals(
    relabel(set, [rule({ sourceLabels: ["missing"], targetLabel: "c", replacement: "" })]),
    labels({ a: "x", b: "y" }),
  );
  assertEquals(
    relabel(set, [rule({ sourceLabels: ["a"], targetLabel: "${1}_t", replacement: "v" })]),
    labels({ a: "x", b: "y", c: "z", x_t: "v" }),
  );
});

Deno.test("keep, drop, keepequal and dropequal decide on the joined value", () => {
  const set = labels({ job: "node", env: "prod", copy: "node" });
  assertEquals(
    relabel(set, [rule({ action: "keep", sourceLabels: ["job"], regexText: "no.*" })]),
    set,
  );
  assertEquals(
    relabel(set, [rule({ action: "keep", sourceLabels: ["job"], regexText: "db" })]),
    null,
  );
  assertEquals(
    relabel(set, [rule({ action: "drop", sourceLabels: ["env"], regexText: "prod" })]),
    null,
  );
  assertEquals(
    relabel(set, [rule({ action: "keepequal", sourceLabels: ["job"], targetLabel: "copy" })]),
    set,
  );
  assertEquals(
    relabel(set, [rule({ action: "dropequal", sourceLabels: ["job"], targetLabel: "copy" })]),
    null,
  );
});

Deno.test("labelmap, labeldrop and labelkeep work on label names", () => {
  const set = labels({ __meta_zone: "a", __meta_rack: "r1", job: "x" });
  assertEquals(
    relabel(set, [rule({ action: "labelmap", regexText: "__meta_(.+)" })]),
    labels({ __meta_zone: "a", __meta_rack: "r1", job: "x", zone: "a", rack: "r1" }),
  );
  assertEquals(
    relabel(set, [rule({ action: "labeldrop", regexText: "__meta_.*" })]),
    labels({ job: "x" }),
  );
  assertEquals(
    relabel(set, [rule({ action: "labelkeep", regexText: "job" })]),
    labels({ job: "x" }),
  );
});

Deno.test("hashmod, lowercase and uppercase", () => {
  const set = labels({ a: "Foo" });
  // Prometheus takes the last 8 bytes of md5("Foo") big-endian modulo the modulus (Python's
  // hashlib: int.from_bytes(md5(b"Foo").digest()[8:], "big") % 1000 == 229)
  const hashed = relabel(set, [
    rule({ action: "hashmod", sourceLabels: ["a"], targetLabel: "h", modulus: 1000 }),
  ]);
  assertEquals(hashed!.get("h"), "229");
  assertEquals(
    relabel(set, [rule({ action: "lowercase", sourceLabels: ["a"], targetLabel: "l" })])!.get("l"),
    "foo",
  );
  assertEquals(
    relabel(set, [rule({ action: "uppercase", sourceLabels: ["a"], targetLabel: "u" })])!.get("u"),
    "FOO",
  );
});

Deno.test("expand() follows Go's Regexp.Expand", () => {
  const m = /^(?<first>a)(b)$/.exec("ab")!;
  assertEquals(expand("$1-$2-${first}-$first-$$-$3-$1x-${1}x", m), "a-b-a-a-$---ax");
});

Deno.test("compileRegex() reads Go's named groups and leading flags", () => {
  assertEquals(compileRegex("(?P<x>a+)").exec("aa")?.groups?.x, "aa");
  assertEquals(compileRegex("(?i)abc").test("ABC"), true);
  assertEquals(compileRegex("a|b").test("ab"), false);
});
