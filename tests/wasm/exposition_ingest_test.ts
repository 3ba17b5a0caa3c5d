// The wasm exposition parser (assembly/expfmt.ts) against the TS reference: every case of the
// shared table, and every prefix of every case (a body cut at any byte), give the same samples
// or the same failure, on the debug build (assertions on). Then the scrape cache: a second
// scrape finds every series, NaN samples and dropped series are counted, out-of-order samples
// are left out, sample_limit stops staging, and a rolled-back scrape leaves nothing.

import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import {
  type ExposedSeries,
  type ExpositionFormat,
  parseExposition,
} from "../../src/protocol/exposition.ts";
import type { ExpositionCounts } from "../../src/wasm/exposition.ts";
import type { CommitResult } from "../../src/appender/appender.ts";
import { EXPOSITION_CASES } from "../protocol/exposition_cases.ts";

const enc = new TextEncoder();
const NOW = 1_700_000_000;

const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144, debug: true });

/** A series' name in these tests: `s<n>`, n its place in `known` (so names map back). */
function namer(known: string[]): (s: ExposedSeries) => string {
  return (s) => {
    const key = JSON.stringify([s.name, s.labels]);
    let i = known.indexOf(key);
    if (i < 0) i = known.push(key) - 1;
    return `s${i}`;
  };
}

/** What the reference says a body stores: name -> [ts, value][] (NaN and bad timestamps left out). */
function expected(body: Uint8Array, format: ExpositionFormat, known: string[]) {
  const r = parseExposition(body, format);
  const name = namer(known);
  const out = new Map<string, [number, number][]>();
  for (const s of r.samples) {
    if (Number.isNaN(s.value)) continue;
    const ts = s.timestampMs === null ? NOW : Math.floor(s.timestampMs / 1000);
    if (ts < 0 || ts > 0xffffffff) continue;
    const n = name(s);
    if (!out.has(n)) out.set(n, []);
    out.get(n)!.push([ts, s.value]);
  }
  return { result: r, points: new Map([...out].sort((a, b) => (a[0] < b[0] ? -1 : 1))) };
}

/** Appends a body through the wasm parser into an emptied cache; commits unless it failed. */
function scrapeWasm(body: Uint8Array, format: ExpositionFormat, known: string[]) {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  const app = head.appender();
  const counts = app.appendExposition(body, cache, {
    format,
    timestamp: NOW,
    honorTimestamps: true,
    sampleLimit: 0,
    name: namer(known),
  });
  if (counts.error !== null) app.rollback();
  else app.commit();
  return { counts, points: dumpCache(head.drain) };
}

function compare(body: Uint8Array, format: ExpositionFormat, what: string): void {
  const known: string[] = [];
  const want = expected(body, format, known);
  const got = scrapeWasm(body, format, known);
  assertEquals(got.counts.error !== null, want.result.error !== null, `${what}: error`);
  assertEquals(got.counts.samples, want.result.samples.length, `${what}: samples`);
  if (want.result.error === null) assertEquals(got.points, want.points, `${what}: points`);
}

for (const c of EXPOSITION_CASES) {
  Deno.test(`wasm exposition parser matches the reference: ${c.format}: ${c.name}`, () => {
    const body = enc.encode(c.body);
    compare(body, c.format, "whole body");
    for (let k = 0; k < body.length; k++) compare(body.subarray(0, k), c.format, `cut at ${k}`);
  });
}

/** A node_exporter-like body of `n` series. */
function nodeBody(n: number, value = 1): string {
  let text = "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n" +
    "# TYPE node_cpu_seconds_total counter\n";
  for (let i = 0; i < n; i++) {
    text += `node_cpu_seconds_total{cpu="${i >> 3}",mode="m${i & 7}"} ${value + i * 0.25}\n`;
  }
  return text;
}

function append(
  body: string,
  opts: Partial<{ sampleLimit: number; timestamp: number; drop: (s: ExposedSeries) => boolean }>,
  cache = head.scrapeCache(),
): { counts: ExpositionCounts; commit: () => CommitResult; rollback: () => void } {
  const app = head.appender();
  const counts = app.appendExposition(enc.encode(body), cache, {
    format: "text",
    timestamp: opts.timestamp ?? NOW,
    honorTimestamps: true,
    sampleLimit: opts.sampleLimit ?? 0,
    name: (
      s,
    ) => (opts.drop?.(s)
      ? null
      : `${s.name};${s.labels.map(([k, v]) => `${k}=${v}`).join(";")}`.replace(/;$/, "")),
  });
  return { counts, commit: () => app.commit(), rollback: () => app.rollback() };
}

Deno.test("a second scrape finds every series in the scrape cache, across batch rounds", () => {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  const body = nodeBody(40_000);
  const first = append(body, {}, cache);
  first.commit();
  assertEquals([first.counts.samples, first.counts.cacheHits, first.counts.seriesAdded], [
    40_000,
    0,
    40_000,
  ]);
  const second = append(body, { timestamp: NOW + 1 }, cache);
  second.commit();
  assertEquals([second.counts.samples, second.counts.cacheHits, second.counts.seriesAdded], [
    40_000,
    40_000,
    0,
  ]);
  assertEquals(cache.entries, 40_000);
  assertEquals(head.drain.counters().cachedPoints, 80_000);
  cache.free();
});

Deno.test("NaN samples are counted and not stored; dropped series are not counted after relabeling", () => {
  head.reset(1_000_000);
  const r = append("a NaN\nb 1\nc 2\n", { drop: (s) => s.name === "c" });
  r.commit();
  assertEquals([r.counts.samples, r.counts.postRelabel, r.counts.nan], [3, 2, 1]);
  assertEquals([...dumpCache(head.drain).keys()], ["b"]);
});

Deno.test("samples with their own timestamp older than the series' newest are left out and counted", () => {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  append("a 1 1700000100000\nb 1\n", {}, cache).commit();
  const r = append("a 2 1700000050000\nb 2\n", { timestamp: NOW + 10 }, cache);
  r.commit();
  assertEquals(r.counts.outOfOrder, 1);
  assertEquals(dumpCache(head.drain).get("a"), [[1700000100, 1]]);
  assertEquals(dumpCache(head.drain).get("b"), [[NOW, 1], [NOW + 10, 2]]);
});

Deno.test("past sample_limit nothing is staged; a rollback leaves no series, point or count", () => {
  head.reset(1_000_000);
  const before = head.drain.counters();
  const r = append(nodeBody(20_000), { sampleLimit: 19_999 });
  assert.ok(r.counts.limitExceeded);
  assertEquals(r.counts.samples, 20_000);
  r.rollback();
  const after = head.drain.counters();
  assertEquals([after.series, after.cachedPoints, after.accepted], [0, 0, before.accepted]);
  assertEquals(head.drain.takeNewSeries()?.length, 0);
});

Deno.test("a syntax error after many samples rolls back whole", () => {
  head.reset(1_000_000);
  const r = append(nodeBody(30_000) + "broken line\n", {});
  assert.match(r.counts.error!, /line 30003/);
  r.rollback();
  assertEquals(head.drain.counters().series, 0);
});

Deno.test("a series name the cache refuses is counted as rejected, the scrape goes on", () => {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  const body = 'a{x="1\\n2"} 1\nb 2\n'; // a newline in a tag value: no file name carbon takes
  for (const ts of [NOW, NOW + 1]) {
    const r = append(body, { timestamp: ts }, cache); // a miss, then a hit on the refusal
    assertEquals([r.counts.samples, r.counts.error], [2, null]);
    const committed = r.commit();
    assertEquals([committed.accepted, committed.rejectedBy], [1, { bad_name: 1 }]);
  }
  assertEquals([...dumpCache(head.drain).keys()], ["b"]);
});

Deno.test("a deleted series' hint in the scrape cache is not followed: its record, reused by another series, gets none of its points", () => {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  // `fresh` is created and hinted in the first round; the body breaks in the second
  const broken = append(`fresh 1\n${nodeBody(20_000)}broken line\n`, {}, cache);
  assert.ok(broken.counts.error !== null);
  broken.rollback();
  // a series of the same name length, through another cache, takes a freed record
  append("other 5\n", {}, head.scrapeCache()).commit();
  const again = append("fresh 2\n", { timestamp: NOW + 1 }, cache);
  assertEquals(again.commit().accepted, 1);
  assertEquals(dumpCache(head.drain), new Map([["fresh", [[NOW + 1, 2]]], ["other", [[NOW, 5]]]]));
});

Deno.test("hints of a committed scrape are followed and its points land in their series", () => {
  head.reset(1_000_000);
  const cache = head.scrapeCache();
  for (const ts of [NOW, NOW + 1, NOW + 2]) {
    append("a 1\nb 2\nc 3\n", { timestamp: ts }, cache).commit();
  }
  const points = dumpCache(head.drain);
  for (const [name, value] of [["a", 1], ["b", 2], ["c", 3]] as const) {
    assertEquals(points.get(name), [[NOW, value], [NOW + 1, value], [NOW + 2, value]]);
  }
});
