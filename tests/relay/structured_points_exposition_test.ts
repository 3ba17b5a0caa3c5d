// The relay's appendExposition(): scraped bodies parsed by the TS reference into points, with
// the same counts, drops, sample_limit and failures the wasm path gives.

import { assertEquals } from "../_util/assert.ts";
import { structuredPoints } from "../../src/relay/structured_points.ts";
import type { ScrapeCache } from "../../src/wasm/exposition.ts";

const enc = new TextEncoder();

function relayScrape(body: string, sampleLimit = 0) {
  const points: [string, number, number][] = [];
  const rejected: string[] = [];
  const m = structuredPoints({
    points: (names, ts, values) => names.forEach((n, i) => points.push([n, ts[i], values[i]])),
    reject: (reason) => rejected.push(reason),
  });
  const counts = m.appendExposition(enc.encode(body), null as unknown as ScrapeCache, {
    format: "text",
    timestamp: 1_700_000_000,
    honorTimestamps: true,
    sampleLimit,
    name: (s) => (s.name === "dropped" ? null : `${s.name};job=j`),
  });
  return { counts, points, rejected };
}

Deno.test("relay appendExposition(): points, NaN and relabel drops, own timestamps", () => {
  const r = relayScrape("a 1\nb NaN\ndropped 2\nc 3 1700000100000\n");
  assertEquals(r.points, [["a;job=j", 1_700_000_000, 1], ["c;job=j", 1_700_000_100, 3]]);
  assertEquals([r.counts.samples, r.counts.postRelabel, r.counts.nan], [4, 3, 1]);
  assertEquals(r.counts.error, null);
});

Deno.test("relay appendExposition(): a syntax error or sample_limit forwards nothing", () => {
  const bad = relayScrape("a 1\nb x\n");
  assertEquals([bad.points, bad.counts.samples, bad.counts.error !== null], [[], 1, true]);
  const limited = relayScrape("a 1\nb 2\nc 3\n", 2);
  assertEquals([limited.points, limited.counts.limitExceeded], [[], true]);
});
