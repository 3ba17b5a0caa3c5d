// The snappy block encoder: every input decodes back to itself (by a decoder written from the
// format description), compresses what repeats, stays within the reference's size bound and
// gives the same bytes every time.

import assert from "node:assert/strict";
import { maxEncodedLength, SnappyEncoder } from "../../src/remote/snappy_encode.ts";
import { snappyDecode } from "../_util/remote_write_decode.ts";
import { rng } from "../_util/rng.ts";
import { compressible as sample, compressibleCases } from "../_util/bytes.ts";

Deno.test("SnappyEncoder round-trips inputs of every size class and kind", () => {
  const enc = new SnappyEncoder();
  for (const { input, what } of compressibleCases()) {
    const block = enc.encode(input);
    assert.ok(block.length <= maxEncodedLength(input.length), `size bound at ${what}`);
    assert.deepEqual(snappyDecode(block), input, `round trip at ${what}`);
  }
});

Deno.test("SnappyEncoder shrinks repetitive input and leaves random input about as it is", () => {
  const enc = new SnappyEncoder();
  const repetitive = new TextEncoder().encode("__name__servers_web01_cpu_user".repeat(4000));
  assert.ok(enc.encode(repetitive).length < repetitive.length / 10);
  const random = sample(100_000, 256, 99).map((_, i) => (i * 2654435761) >>> 24);
  const block = enc.encode(random);
  assert.ok(block.length <= maxEncodedLength(random.length));
  assert.deepEqual(snappyDecode(block), random);
});

Deno.test("SnappyEncoder gives the same bytes for the same input, across encoders and calls", () => {
  const input = sample(300_000, 16, 7);
  const a = new SnappyEncoder();
  const first = a.encode(input).slice();
  a.encode(sample(1000, 3, 8)); // reuse in between must not matter
  assert.deepEqual(a.encode(input), first);
  assert.deepEqual(new SnappyEncoder().encode(input), first);
});

Deno.test("SnappyEncoder round-trips many random shapes (seeded)", () => {
  const enc = new SnappyEncoder();
  const r = rng(2024);
  for (let i = 0; i < 300; i++) {
    const input = sample(Math.floor(r() * 5000), 1 + Math.floor(r() * 255), 1000 + i);
    assert.deepEqual(snappyDecode(enc.encode(input)), input, `case ${i}`);
  }
});
