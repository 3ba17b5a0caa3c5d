// The wasm parser and shard table: the shared plaintext table on both builds, every split of
// every input across two chunks, a float-conversion fuzz against Number(), and the cache's
// carbon semantics (dedup, pop/confirm, overflow, lookup, growth).

import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache, feed, groupPoints, pairs, popPairs } from "../_util/cache_dump.ts";
import { WasmCache } from "../../src/wasm/wasm_cache.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import {
  MAX_LINE_BYTES,
  parsePlainBlock,
  REJECT_REASONS,
  type RejectReason,
} from "../../src/protocol/plaintext.ts";
import { caseBytes, PLAIN_CASES } from "../protocol/plaintext_cases.ts";

const enc = new TextEncoder();

function rejectedOf(cache: WasmCache): Partial<Record<RejectReason, number>> {
  const out: Partial<Record<RejectReason, number>> = {};
  for (const [reason, n] of Object.entries(cache.counters().rejected)) {
    if (n > 0) out[reason as RejectReason] = n;
  }
  return out;
}

/** Offsets to split an input at: every byte for short inputs, a spread for long ones. */
function splitOffsets(len: number): number[] {
  if (len <= 600) return Array.from({ length: len + 1 }, (_, i) => i);
  const offsets = new Set<number>([0, 1, len - 1, len]);
  for (let i = 0; i <= 200; i++) offsets.add(Math.floor((len * i) / 200));
  return [...offsets];
}

for (const debug of [false, true]) {
  const build = debug ? "debug" : "release";
  const cache = await WasmCache.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug });

  for (const c of PLAIN_CASES) {
    Deno.test(`wasm ${build}: ${c.name}`, () => {
      cache.reset(1_000_000);
      const stream = new PlainStream(cache);
      feed(stream, caseBytes(c));
      stream.close();
      assertEquals(dumpCache(cache), groupPoints(c.points));
      assertEquals(rejectedOf(cache), c.rejected ?? {});
      assertEquals(cache.counters().accepted, c.points.length);
    });

    Deno.test(`wasm ${build}: ${c.name}, split at every offset`, () => {
      const bytes = caseBytes(c);
      const expected = groupPoints(c.points);
      for (const at of splitOffsets(bytes.length)) {
        cache.reset(1_000_000);
        const stream = new PlainStream(cache);
        feed(stream, bytes.subarray(0, at));
        feed(stream, bytes.subarray(at));
        stream.close();
        assertEquals(dumpCache(cache), expected, `split at ${at}`);
        assertEquals(rejectedOf(cache), c.rejected ?? {}, `split at ${at}`);
      }
    });
  }
}

const cache = await WasmCache.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES });

function ingestText(text: string): void {
  const stream = new PlainStream(cache);
  feed(stream, enc.encode(text));
  stream.close();
}

/** A seeded xorshift PRNG, so failures can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

/**
 * 19 significant digits just below (or just above) the exact midpoint between |d| and the next
 * double up: the inputs where a 64-bit shortcut would round the wrong way.
 */
function nearHalfway(d: number, above: boolean): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const raw = view.getBigUint64(0);
  const biased = Number(raw >> 52n);
  const fraction = raw & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const twice = 2n * m + 1n; // midpoint = twice * 2^(e-1)
  const f = e - 1;
  const exact = f >= 0 ? twice << BigInt(f) : twice * 5n ** BigInt(-f);
  const scale = f >= 0 ? 0 : f; // exact * 10^scale is the midpoint
  const digits = exact.toString();
  const kept = BigInt(digits.slice(0, 19)) + (above ? 1n : 0n);
  return `${kept}e${scale + digits.length - Math.min(19, digits.length)}`;
}

/** Decimal strings that stress the conversion: random doubles printed many ways, near-halfway. */
function floatStrings(count: number, seed: number): string[] {
  const rand = rng(seed);
  const out: string[] = [];
  const bits = new DataView(new ArrayBuffer(8));
  while (out.length < count) {
    bits.setUint32(0, Math.floor(rand() * 0x7fefffff), true);
    bits.setUint32(4, Math.floor(rand() * 0x1_0000_0000), false);
    const d = bits.getFloat64(0, true) * (rand() < 0.5 ? -1 : 1);
    if (!Number.isFinite(d)) continue;
    const digits = 1 + Math.floor(rand() * 20);
    switch (out.length % 6) {
      case 0:
        out.push(String(d));
        break;
      case 1:
        out.push(d.toExponential(Math.min(digits, 100)));
        break;
      case 2:
        out.push((d / 10 ** Math.floor(rand() * 300)).toPrecision(Math.min(digits, 21)));
        break;
      case 3:
        out.push(nearHalfway(d, rand() < 0.5));
        break;
      case 4: {
        let s = String(Math.floor(rand() * 9) + 1);
        for (let i = 1; i < digits; i++) s += String(Math.floor(rand() * 10));
        out.push(`${s}e${Math.floor(rand() * 700) - 350}`);
        break;
      }
      default:
        out.push((rand() * 1e6).toFixed(Math.floor(rand() * 10)));
    }
  }
  return out;
}

Deno.test("wasm parses random and near-halfway decimals exactly as Number() does", () => {
  const strings = floatStrings(200_000, 42);
  const byKey = new Map<string, number>();
  let text = "";
  strings.forEach((s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) return;
    byKey.set(`f.${i}`, v);
    text += `f.${i} ${s} 1\n`;
  });
  cache.reset(1_000_000);
  ingestText(text);
  const dump = dumpCache(cache);
  let checked = 0;
  for (const [key, expected] of byKey) {
    const got = dump.get(key)?.[0]?.[1];
    assert.ok(Object.is(got, expected), `${key}: ${strings[Number(key.slice(2))]} gave ${got}`);
    checked++;
  }
  assert.ok(checked > 190_000);
});

Deno.test("wasm agrees with the reference on random lines of good and bad tokens", () => {
  const rand = rng(7);
  const names = ["a.b", "x", "a..b", ".a", "a/b", ";t=1", "a\tb", "ok.name", "c.d.e", ""];
  const values = ["1", "-2.5", "1e3", "nan", "1x", "", "0.1", ".", "+4", "1e400", "7"];
  const stamps = ["10", "20.5", "-1", "abc", "", "1e9", "4294967296", "30", "0"];
  let text = "";
  const expected: [string, number, number][] = [];
  const rejected: Partial<Record<RejectReason, number>> = {};
  for (let i = 0; i < 5000; i++) {
    const fields = [names, values, stamps].map((list) => list[Math.floor(rand() * list.length)]);
    const line = fields.join(rand() < 0.2 ? "\t" : " ");
    text += line + (rand() < 0.1 ? "\r\n" : "\n");
  }
  // The reference decides the expectation line by line.
  parsePlainBlock(enc.encode(text), (line) => {
    if ("reason" in line) rejected[line.reason] = (rejected[line.reason] ?? 0) + 1;
    else expected.push([new TextDecoder().decode(line.name), line.value, line.timestamp]);
  });
  cache.reset(1_000_000);
  ingestText(text);
  assertEquals(rejectedOf(cache), rejected);
  assertEquals(cache.counters().accepted, expected.length);
});

Deno.test("WasmCache keeps one value per second: last arrival wins, order of first arrival", () => {
  cache.reset(1000);
  ingestText("a 1 10\na 2 20\na 3 10\na 4 5\na 5 20\n");
  assertEquals(dumpCache(cache).get("a"), [[10, 3], [20, 5], [5, 4]]);
});

Deno.test("WasmCache.pop() hands points over once and keeps them readable until confirm()", () => {
  cache.reset(1000);
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
  assertEquals([c.cachedPoints, c.notConfirmed, c.series], [0, 0, 0]);
  assertEquals(cache.lookup("s"), 0, "an empty series leaves the table");
});

Deno.test("WasmCache counts overflow when max-size is reached and never blocks", () => {
  cache.reset(10);
  let text = "";
  for (let i = 0; i < 15; i++) text += `m.${i % 3} ${i} ${i}\n`;
  ingestText(text);
  let c = cache.counters();
  assertEquals([c.accepted, c.overflow, c.cachedPoints], [15, 5, 10]);
  const snap = cache.snapshot();
  for (const s of snap.series) {
    cache.pop(s);
    cache.confirm(s);
  }
  ingestText("m.0 1 100\n");
  c = cache.counters();
  assertEquals([c.overflow, c.cachedPoints], [5, 1]);
});

Deno.test("WasmCache.snapshot() orders series by write strategy, ties in table order", () => {
  cache.reset(100_000);
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

Deno.test("WasmCache.snapshot() reports point counts and oldest timestamps", () => {
  cache.reset(1000);
  ingestText("q 1 50\nq 1 40\nq 1 60\nr 1 7\n");
  const snap = cache.snapshot();
  const rows = [...snap.series].map((
    s,
    i,
  ) => [cache.seriesName(s), snap.counts[i], snap.oldest[i]]);
  rows.sort();
  assertEquals(rows, [["q", 3, 40], ["r", 1, 7]]);
});

Deno.test("WasmCache grows memory under 300k series and finds every one", () => {
  cache.reset(2_000_000);
  const stream = new PlainStream(cache);
  const before = cache.counters().heapBytes;
  for (let batch = 0; batch < 30; batch++) {
    let text = "";
    for (let i = 0; i < 10_000; i++) text += `grow.host-${batch}.metric-${i} ${i} 1700000000\n`;
    feed(stream, enc.encode(text));
  }
  stream.close();
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

Deno.test("WasmCache rejected-reason list matches the module", () => {
  assertEquals(cache.layout.REASON_COUNT, REJECT_REASONS.length);
});

Deno.test("WasmCache.addPoints() checks names as the plaintext parser does and batches past the batch size", () => {
  cache.reset(100_000);
  const names = ["ok.a", "a..b", "/etc/x", "", "x".repeat(5000), "café.ok", ";t=1"];
  const accepted = cache.addPoints(names, names.map(() => 100), names.map((_, i) => i));
  assertEquals([accepted, cache.lastAccepted, cache.lastRejected], [2, 2, 5]);
  const c = cache.counters();
  assertEquals([c.rejected.bad_name, c.rejected.empty_name], [3, 2]);
  assertEquals(dumpCache(cache), new Map([["café.ok", [[100, 5]]], ["ok.a", [[100, 0]]]]));
  const many = Array.from({ length: 40_000 }, (_, i) => `many.m${i}`);
  assertEquals(cache.addPoints(many, many.map(() => 1), many.map((_, i) => i)), 40_000);
  assertEquals(cache.counters().series, 40_002);
});
