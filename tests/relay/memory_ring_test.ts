// The memory buffer of a queue (src/relay/memory_ring.ts): bounded, and every record it still
// holds reads back intact however the writes wrapped round.

import assert from "node:assert/strict";
import { MemoryRing } from "../../src/relay/memory_ring.ts";
import { rng } from "../_util/rng.ts";

Deno.test("memory ring: held records read back intact through wraps, acks and evictions", () => {
  const random = rng(7);
  const ring = new MemoryRing(10_000);
  const bodies = new Map<number, Uint8Array>();
  let seq = 0;
  for (let i = 0; i < 5000; i++) {
    const len = 1 + Math.floor(random() * 3000);
    const body = new Uint8Array(len).map(() => Math.floor(random() * 256));
    const lines = 1 + Math.floor(random() * 5);
    assert.ok(ring.push(body, { seqEnd: seq + lines, lines, segment: 0, end: i }));
    bodies.set(seq, body);
    seq += lines;
    // the newest record is always held; every record held is intact
    assert.deepEqual(ring.body(ring.find(seq - lines)!), body);
    if (random() < 0.1) ring.dropThrough(seq - Math.floor(random() * 20));
    assert.ok(ring.bytes <= ring.capacity);
    for (let s = ring.first ? ring.first.seqEnd - ring.first.lines : seq; s < seq;) {
      const r = ring.find(s);
      if (!r) break;
      assert.deepEqual(ring.body(r), bodies.get(s), `record after line ${s}`);
      s = r.seqEnd;
    }
  }
  assert.equal(
    ring.push(new Uint8Array(10_001), { seqEnd: 1, lines: 1, segment: 0, end: 0 }),
    false,
  );
});
