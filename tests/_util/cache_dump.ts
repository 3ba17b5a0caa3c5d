// Reads back everything a cache holds, for assertions: name -> [timestamp, value][] as readers
// see them (order of first arrival, one value per second).

import type { Points, WasmDrain } from "../../src/wasm/drain.ts";
import type { PlainStream } from "../../src/receiver/plain_stream.ts";

/** Points as [timestamp, value] pairs. */
export function pairs(p: Points): [number, number][] {
  return [...p.timestamps].map((ts, i) => [ts, p.values[i]]);
}

/** What a reader sees for the series named `name`. */
export function readPairs(cache: WasmDrain, name: string): [number, number][] {
  return pairs(cache.points(cache.lookup(name)));
}

/** Pops a series and returns its points as pairs, or null when it is busy. */
export function popPairs(cache: WasmDrain, series: number): [number, number][] | null {
  const n = cache.pop(series);
  if (n < 0) return null;
  const p = { timestamps: new Uint32Array(n), values: new Float64Array(n) };
  cache.copyOut(n, p.timestamps, p.values);
  return pairs(p);
}

/** Every series with cached points, sorted by name. */
export function dumpCache(cache: WasmDrain): Map<string, [number, number][]> {
  const snap = cache.snapshot();
  const entries: [string, [number, number][]][] = [];
  for (const series of snap.series) {
    entries.push([cache.seriesName(series), pairs(cache.points(series))]);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(entries);
}

/** Writes `bytes` into a stream in as many reads as its buffer needs. */
export function feed(stream: PlainStream, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const target = stream.readTarget();
    const n = Math.min(target.length, bytes.length - off);
    target.set(bytes.subarray(off, off + n));
    stream.push(n);
    off += n;
  }
}

/** Expected points grouped by name, sorted by name, as dumpCache() returns them. */
export function groupPoints(
  points: [string, number, number][],
): Map<string, [number, number][]> {
  const byName = new Map<string, [number, number][]>();
  for (const [name, value, ts] of points) {
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name)!.push([ts, value]);
  }
  return new Map([...byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
