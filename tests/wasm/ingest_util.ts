// Helpers of the wasm ingest tests: the refusals a cache counted, and where to split inputs.

import type { RejectReason } from "../../src/protocol/plaintext.ts";
import type { WasmDrain } from "../../src/wasm/drain.ts";

/** The refusals counted so far, by reason (only the non-zero ones). */
export function rejectedOf(cache: WasmDrain): Partial<Record<RejectReason, number>> {
  const out: Partial<Record<RejectReason, number>> = {};
  for (const [reason, n] of Object.entries(cache.counters().rejected)) {
    if (n > 0) out[reason as RejectReason] = n;
  }
  return out;
}

/** Offsets to split an input at: every byte for short inputs, a spread for long ones. */
export function splitOffsets(len: number): number[] {
  if (len <= 600) return Array.from({ length: len + 1 }, (_, i) => i);
  const offsets = new Set<number>([0, 1, len - 1, len]);
  for (let i = 0; i <= 200; i++) offsets.add(Math.floor((len * i) / 200));
  return [...offsets];
}
