// Snappy compression in wasm: byte for byte what the TS reference (src/remote/snappy_encode.ts)
// gives, for every size class and kind of input and many random shapes, and it decodes back.

import assert from "node:assert/strict";
import { SnappyEncoder } from "../../src/remote/snappy_encode.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { WasmSnappy } from "../../src/wasm/snappy.ts";
import { compressible, compressibleCases } from "../_util/bytes.ts";
import { snappyDecode } from "../_util/remote_write_decode.ts";
import { rng } from "../_util/rng.ts";

const wasm = await WasmInstance.load({ maxPoints: 1, maxLineLen: 64, debug: true });

Deno.test("WasmSnappy gives the TS reference's bytes for every size class and kind", () => {
  const snappy = new WasmSnappy(wasm);
  const reference = new SnappyEncoder();
  for (const { input, what } of compressibleCases()) {
    const block = snappy.encode(input);
    assert.deepEqual(block, reference.encode(input), `bytes at ${what}`);
    assert.deepEqual(snappyDecode(block), input, `round trip at ${what}`);
  }
});

Deno.test("WasmSnappy gives the TS reference's bytes for many random shapes (seeded)", () => {
  const snappy = new WasmSnappy(wasm);
  const reference = new SnappyEncoder();
  const r = rng(77);
  for (let i = 0; i < 300; i++) {
    const input = compressible(Math.floor(r() * 20_000), 1 + Math.floor(r() * 255), 5000 + i);
    assert.deepEqual(snappy.encode(input), reference.encode(input), `case ${i}`);
  }
});
