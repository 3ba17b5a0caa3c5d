// Shared pieces of the whisper tests: a seeded PRNG, temp dirs, point-set generators and
// byte/fetch comparisons against whisper.py through tests/_util/whisper_oracle.ts.

import assert from "node:assert/strict";
import type { ArchiveSpec } from "../../src/whisper/archive_list.ts";
import { hexToF64, type OracleFetch } from "../_util/whisper_oracle.ts";

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` with a fresh temp dir, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_whisper_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Asserts two Whisper files have the same bytes, naming the first differing offset. Two NaN
 * values count as equal whatever their bits: CPython on x86 gets the "default NaN" (sign bit set)
 * from inf + -inf where V8 may give a positive one, and both read back as NaN.
 */
export function assertSameBytes(actualPath: string, expectedPath: string, context: string): void {
  const actual = Deno.readFileSync(actualPath);
  const expected = Deno.readFileSync(expectedPath);
  if (actual.length !== expected.length) {
    assert.fail(`${context}: sizes differ, ${actual.length} vs ${expected.length}`);
  }
  const a = new DataView(actual.buffer);
  const e = new DataView(expected.buffer);
  const dataStart = actual.length >= 16 ? 16 + 12 * a.getUint32(12) : actual.length;
  let i = 0;
  for (;;) {
    while (i < actual.length && actual[i] === expected[i]) i++;
    if (i === actual.length) return;
    const point = dataStart + Math.floor((i - dataStart) / 12) * 12;
    const valueAt = point + 4;
    if (
      i >= dataStart && i >= valueAt && valueAt + 8 <= actual.length &&
      Number.isNaN(a.getFloat64(valueAt)) && Number.isNaN(e.getFloat64(valueAt))
    ) {
      i = point + 12;
      continue;
    }
    assert.fail(`${context}: files differ first at byte ${i} (of ${actual.length})`);
  }
}

/** Maps every NaN in a hex fetch result to "NaN" (see {@linkcode assertSameBytes}). */
export function sameNaN(result: OracleFetch | null): OracleFetch | null {
  if (result === null) return null;
  return {
    ...result,
    values: result.values.map((hex) => hex !== null && Number.isNaN(hexToF64(hex)) ? "NaN" : hex),
  };
}

/** Retention sets used across the tests. */
export const RETENTIONS: Record<string, ArchiveSpec[]> = {
  "1s:60s,10s:10m,60s:1h": [
    { secondsPerPoint: 1, points: 60 },
    { secondsPerPoint: 10, points: 60 },
    { secondsPerPoint: 60, points: 60 },
  ],
  "10s:6h,1m:7d,10m:5y": [
    { secondsPerPoint: 10, points: 2160 },
    { secondsPerPoint: 60, points: 10080 },
    { secondsPerPoint: 600, points: 262800 },
  ],
  "5s:1m,15s:3m,1m:10m,5m:1h": [
    { secondsPerPoint: 5, points: 12 },
    { secondsPerPoint: 15, points: 12 },
    { secondsPerPoint: 60, points: 10 },
    { secondsPerPoint: 300, points: 12 },
  ],
};

/** Options for {@linkcode generateBatch}. */
export interface BatchOptions {
  /** Include NaN, infinities and -0 among the values. */
  specials?: boolean;
}

/**
 * A batch of points around `now`: a dense run in the first archive (with holes), scattered
 * points across every archive, duplicates with other values, points older than the retention
 * and a few in the future, shuffled.
 */
export function generateBatch(
  rng: () => number,
  archives: readonly ArchiveSpec[],
  now: number,
  options: BatchOptions = {},
): [number, number][] {
  const points: [number, number][] = [];
  const value = (): number => {
    const r = rng();
    if (options.specials && r < 0.04) {
      return [NaN, Infinity, -Infinity, -0, 0][Math.floor(rng() * 5)];
    }
    if (r < 0.3) return Math.floor(rng() * 200) - 100;
    if (r < 0.6) return (rng() - 0.5) * 1e6;
    if (r < 0.8) return rng() / 3;
    return (rng() - 0.5) * 10 ** Math.floor(rng() * 30 - 10);
  };
  const step0 = archives[0].secondsPerPoint;
  const r0 = step0 * archives[0].points;
  const maxRetention = Math.max(...archives.map((a) => a.secondsPerPoint * a.points));
  if (rng() < 0.7) {
    const span = Math.floor(rng() * r0 * 1.2);
    const stride = rng() < 0.5 ? step0 : Math.max(1, Math.floor(step0 * (0.3 + rng() * 2)));
    for (let t = now - span; t <= now; t += stride) {
      if (rng() < 0.9) points.push([t + Math.floor(rng() * step0), value()]);
    }
  }
  const scattered = Math.floor(rng() * 120);
  for (let i = 0; i < scattered; i++) {
    const r = rng();
    let t: number;
    if (r < 0.45) t = now - Math.floor(rng() * r0);
    else if (r < 0.85) t = now - Math.floor(rng() * maxRetention);
    else if (r < 0.92) t = now - maxRetention - Math.floor(rng() * maxRetention);
    // The future, but never the step right after now's: a contiguous run through now and into
    // the future that is longer than the ring makes whisper.py write past the archive's end (we
    // do not, see the spill test), so random batches stay clear of that one case.
    else t = now - (now % step0) + 2 * step0 + Math.floor(rng() * step0 * 3);
    points.push([Math.max(0, t), value()]);
  }
  const duplicates = Math.floor(rng() * Math.min(20, points.length));
  for (let i = 0; i < duplicates; i++) {
    const [t] = points[Math.floor(rng() * points.length)];
    points.push([t, value()]);
  }
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [points[i], points[j]] = [points[j], points[i]];
  }
  return points;
}

/**
 * Fetch ranges worth checking after a batch: each archive's span, random ones, and with `full`
 * the whole retention (slow through whisper.py for a 5-year archive, so not after every batch).
 */
export function fetchRanges(
  rng: () => number,
  archives: readonly ArchiveSpec[],
  now: number,
  full = true,
): [number, number | undefined][] {
  const ranges: [number, number | undefined][] = [];
  const maxRetention = Math.max(...archives.map((a) => a.secondsPerPoint * a.points));
  for (const a of archives) {
    const retention = a.secondsPerPoint * a.points;
    if (full || retention < maxRetention) ranges.push([now - retention, undefined]);
  }
  if (full) ranges.push([now - maxRetention - 100, now + 100]);
  const reach = full ? maxRetention * 1.1 : archives[1]?.secondsPerPoint * archives[1]?.points;
  for (let i = 0; i < 3; i++) {
    const from = now - Math.floor(rng() * (reach || maxRetention));
    const until = from + Math.floor(rng() * (now - from + 50));
    ranges.push([from, until]);
  }
  ranges.push([now - 5, now - 5]);
  return ranges;
}
