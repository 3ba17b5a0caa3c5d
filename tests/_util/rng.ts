// A seeded xorshift PRNG for randomized tests, so that a failure can be replayed.

/** Returns a generator of numbers in [0, 1) from `seed`. */
export function rng(seed: number): () => number {
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
