// The cache's carbon semantics through the drain side: one value per second, pop/confirm,
// overflow, snapshots in write-strategy order, memory growth, stable references and the
// collection of empty idle series.

import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache, feed, pairs, popPairs } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";

const enc = new TextEncoder();
const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES });
const cache = head.drain;

function ingestText(text: string): void {
  feed(new PlainStream(head.appender(), MAX_LINE_BYTES), enc.encode(text));
}

Deno.test("The cache keeps one value per second: last arrival wins, order of first arrival", () => {
  head.reset(1000);
  ingestText("a 1 10\na 2 20\na 3 10\na 4 5\na 5 20\n");
  assertEquals(dumpCache(cache).get("a"), [[10, 3], [20, 5], [5, 4]]);
});

Deno.test("WasmDrain.pop() hands points over once and keeps them readable until confirm()", () => {
  head.reset(1000);
  ingestText("s 1 10\ns 2 10\ns 3 11\n");
  const series = cache.lookup("s");
  assert.ok(series !== 0);
  assertEquals(popPairs(cache, series), [[10, 2], [11, 3]]);
  assertEquals(cache.pop(series), -1, "a second pop before confirm is refused");
  ingestText("s 9 11\ns 4 12\n");
  assertEquals(pairs(cache.points(series)), [[10, 2], [11, 9], [12, 4]]);
  let c = cache.counters();
  assertEquals([c.cachedPoints, c.notConfirmed, c.series], [2, 3, 1]);
  cache.confirm(series);
  assertEquals(pairs(cache.points(series)), [[11, 9], [12, 4]]);
  assertEquals(popPairs(cache, series), [[11, 9], [12, 4]]);
  cache.confirm(series);
  c = cache.counters();
  assertEquals([c.cachedPoints, c.notConfirmed, c.series], [0, 0, 1]);
  assertEquals(cache.lookup("s"), series, "an empty series keeps its record and reference");
});

Deno.test("WasmDrain.collectGarbage() drops empty series idle for a whole epoch, never reuses refs", () => {
  head.reset(1000);
  ingestText("idle 1 10\nbusy 1 10\nheld 1 10\n");
  const ref = (name: string) => cache.seriesRef(cache.lookup(name));
  const refs = [ref("idle"), ref("busy"), ref("held")];
  assertEquals(new Set(refs).size, 3);
  for (const name of ["idle", "busy"]) {
    const s = cache.lookup(name);
    cache.pop(s);
    cache.confirm(s);
  }
  cache.pop(cache.lookup("held")); // popped, not confirmed: not empty
  assertEquals(cache.collectGarbage(), 0, "points were committed in this epoch");
  ingestText("busy 2 20\n");
  const busy = cache.lookup("busy");
  cache.pop(busy);
  cache.confirm(busy);
  assertEquals(cache.collectGarbage(), 1);
  assertEquals(cache.lookup("idle"), 0);
  assert.ok(cache.lookup("busy") !== 0 && cache.lookup("held") !== 0);
  assertEquals(cache.counters().collectedSeries, 1);
  ingestText("idle 3 30\n");
  assert.ok(ref("idle") > refs.reduce((a, b) => (a > b ? a : b)), "a new reference");
  assertEquals(dumpCache(cache).get("idle"), [[30, 3]]);
});

Deno.test("The cache counts overflow when max-size is reached and never blocks", () => {
  head.reset(10);
  let text = "";
  for (let i = 0; i < 15; i++) text += `m.${i % 3} ${i} ${i}\n`;
  ingestText(text);
  let c = cache.counters();
  assertEquals([c.accepted, c.overflow, c.cachedPoints], [10, 5, 10]);
  const snap = cache.snapshot();
  for (const s of snap.series) {
    cache.pop(s);
    cache.confirm(s);
  }
  ingestText("m.0 1 100\n");
  c = cache.counters();
  assertEquals([c.overflow, c.cachedPoints], [5, 1]);
});

Deno.test("WasmDrain.dropPoints() frees a failed series' popped and cached points and their room in max-size", () => {
  head.reset(10);
  ingestText("bad 1 1\nbad 2 2\nbad 3 3\nok 1 1\n");
  const bad = cache.lookup("bad");
  cache.pop(bad);
  ingestText("bad 4 4\nbad 5 5\nbad 6 6\nbad 7 7\nbad 8 8\nbad 9 9\nok 2 2\n");
  let c = cache.counters();
  assertEquals([c.cachedPoints, c.notConfirmed, c.overflow], [7, 3, 1], "full");
  cache.setFailed(bad, true);
  assertEquals(cache.dropPoints(bad), 9);
  c = cache.counters();
  assertEquals([c.cachedPoints, c.notConfirmed], [1, 0]);
  assertEquals(cache.points(bad).timestamps.length, 0);
  assertEquals(cache.pop(bad), 0, "nothing left to write, and no pop pending");
  ingestText("bad 10 10\nok 3 3\n");
  c = cache.counters();
  assertEquals([c.rejected.series_failed, c.cachedPoints, c.overflow], [1, 2, 1]);
  assertEquals(cache.collectGarbage(), 0, "the failed series is kept, with its mark");
  assertEquals(cache.lookup("bad"), bad);
});

Deno.test("WasmDrain.snapshot() orders series by write strategy, ties in table order", () => {
  head.reset(100_000);
  let text = "";
  const expected: [string, number, number][] = [];
  for (let s = 0; s < 3000; s++) {
    const count = 1 + ((s * 7919) % 50);
    const oldest = 1_000_000 + ((s * 104729) % 100_000);
    for (let p = 0; p < count; p++) text += `order.${s} ${p} ${oldest + p}\n`;
    expected.push([`order.${s}`, count, oldest]);
  }
  ingestText(text);
  const rows = (strategy: "max" | "sorted" | "noop") => {
    const snap = cache.snapshot(strategy);
    return [...snap.series].map((s, i) => [cache.seriesName(s), snap.counts[i], snap.oldest[i]]);
  };
  const noop = rows("noop");
  assertEquals([...noop].sort(), [...expected].sort());
  const position = new Map(noop.map((r, i) => [r[0], i]));
  const byMax = [...noop].sort((a, b) =>
    (b[1] as number) - (a[1] as number) || position.get(a[0])! - position.get(b[0])!
  );
  const bySorted = [...noop].sort((a, b) =>
    (a[2] as number) - (b[2] as number) || position.get(a[0])! - position.get(b[0])!
  );
  assertEquals(rows("max"), byMax);
  assertEquals(rows("sorted"), bySorted);
});

Deno.test("WasmDrain.snapshot() reports point counts and oldest timestamps", () => {
  head.reset(1000);
  ingestText("q 1 50\nq 1 40\nq 1 60\nr 1 7\n");
  const snap = cache.snapshot();
  const rows = [...snap.series].map((
    s,
    i,
  ) => [cache.seriesName(s), snap.counts[i], snap.oldest[i]]);
  rows.sort();
  assertEquals(rows, [["q", 3, 40], ["r", 1, 7]]);
});

Deno.test("The cache grows memory under 300k series and finds every one", () => {
  head.reset(2_000_000);
  const stream = new PlainStream(head.appender(), MAX_LINE_BYTES);
  const before = cache.counters().heapBytes;
  for (let batch = 0; batch < 30; batch++) {
    let text = "";
    for (let i = 0; i < 10_000; i++) text += `grow.host-${batch}.metric-${i} ${i} 1700000000\n`;
    feed(stream, enc.encode(text));
  }
  const c = cache.counters();
  assertEquals([c.series, c.cachedPoints], [300_000, 300_000]);
  assert.ok(c.heapBytes > before + 300_000 * 48);
  for (
    const name of ["grow.host-0.metric-0", "grow.host-29.metric-9999", "grow.host-17.metric-4242"]
  ) {
    const s = cache.lookup(name);
    assert.ok(s !== 0, name);
    assertEquals(cache.seriesName(s), name);
  }
  assertEquals(cache.lookup("grow.host-30.metric-0"), 0);
});
