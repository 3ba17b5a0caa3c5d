// Byte helpers for tests.

import { rng } from "./rng.ts";

/** The parts one after another in one array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes from an alphabet of `alphabet` symbols, with runs copied from earlier on. */
export function compressible(len: number, alphabet: number, seed: number): Uint8Array {
  const r = rng(seed);
  const out = new Uint8Array(len);
  for (let i = 0; i < len;) {
    if (i > 8 && r() < 0.3) {
      const from = Math.floor(r() * i);
      const n = Math.min(len - i, 1 + Math.floor(r() * 200));
      for (let k = 0; k < n; k++) out[i + k] = out[from + k];
      i += n;
    } else {
      out[i++] = Math.floor(r() * alphabet);
    }
  }
  return out;
}

/**
 * Compressor test inputs of every size class (around snappy's 64 KiB fragments and its
 * 17-byte minimum) and kind (one symbol, four, any byte), seeded: `what` names one in messages.
 */
export function* compressibleCases(): Generator<{ input: Uint8Array; what: string }> {
  const sizes = [0, 1, 4, 15, 16, 17, 18, 100, 4095, 65_535, 65_536, 65_537, 200_003, 1 << 20];
  let seed = 1;
  for (const len of sizes) {
    for (const alphabet of [1, 4, 256]) {
      yield { input: compressible(len, alphabet, seed++), what: `${len}/${alphabet}` };
    }
  }
}
