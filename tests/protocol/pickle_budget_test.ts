// The decoding budget of a pickle-receiver frame (issue 9): derived from the frame's length and
// the points it can hold, checked as the decoder runs, refusing hostile frames at the first value
// over it (by budget), while frames as clients write them decode whole; and the sliced decoder,
// which yields to the event loop while a large pickle decodes.

import assert from "node:assert/strict";
import { concat } from "../_util/bytes.ts";
import { bin } from "./pickle_oracle.ts";
import {
  decodePickle,
  decodePickleSliced,
  type PickleBudget,
  PickleBudgetError,
  pickleTuple,
} from "../../src/protocol/pickle_decode.ts";
import {
  decodePickleFrame,
  FRAME_MAX_POINTS,
  frameBudget,
  MIN_POINT_BYTES,
} from "../../src/protocol/pickle_metrics.ts";
import { encodePickle } from "../../src/protocol/pickle_encode.ts";

/** Decodes `payload` as the receiver does; returns the budget it broke, or the points. */
async function receive(payload: Uint8Array): Promise<PickleBudget | number> {
  let n = 0;
  try {
    await decodePickleFrame(payload, () => n++);
    return n;
  } catch (err) {
    if (err instanceof PickleBudgetError) return err.budget;
    throw err;
  }
}

const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte);

Deno.test("frameBudget() grows with the frame's length up to the points a frame may hold", () => {
  const small = frameBudget(1_000);
  assert.equal(small.maxPoints, 1_000 / MIN_POINT_BYTES);
  assert.equal(small.maxObjects, 5 * 200 + 64);
  assert.equal(small.maxContainers, 2 * 200 + 64);
  assert.equal(small.maxMemo, 1_000);
  assert.equal(small.maxDepth, 8);
  const big = frameBudget(64 << 20);
  assert.equal(big.maxPoints, FRAME_MAX_POINTS);
  assert.equal(big.maxContainers, 2 * FRAME_MAX_POINTS + 64);
});

Deno.test("a frame of nested lists is refused at its container budget, however it nests", async () => {
  const n = 100_000;
  // ]]]...aaa: lists appended each into the one below
  assert.equal(
    await receive(concat(bin("\x80\x02"), repeat(0x5d, n), repeat(0x61, n - 1), bin("."))),
    "containers",
  );
  // (](](]...: lists under marks, never closed
  const marked = new Uint8Array(2 * n).map((_, i) => (i % 2 === 0 ? 0x28 : 0x5d));
  assert.equal(await receive(concat(bin("\x80\x02"), marked, bin("."))), "containers");
  // empty tuples and bytes cost as much as lists
  assert.equal(await receive(concat(bin("\x80\x02"), repeat(0x29, n), bin("."))), "containers");
  const bytes = new Uint8Array(2 * n).map((_, i) => (i % 2 === 0 ? 0x43 : 0));
  assert.equal(await receive(concat(bin("\x80\x03"), bytes, bin("."))), "containers");
});

Deno.test("a frame is refused at its object, depth, memo and integer budgets", async () => {
  // one-byte values: past FRAME_MAX_POINTS, more than 5 a point
  const nones = repeat(0x4e, 6 * FRAME_MAX_POINTS);
  assert.equal(await receive(concat(bin("\x80\x02"), nones, bin("."))), "objects");
  // a list 9 deep, far under the generic limit of 64
  const deep = concat(bin("\x80\x02N"), repeat(0x85, 9), bin("."));
  assert.equal(await receive(deep), "depth");
  assert.doesNotThrow(() => decodePickle(deep));
  // a memo index past the frame's objects
  assert.equal(await receive(bin("\x80\x02Nr\x00\x00\x01\x00.")), "memo");
  // ten million digits: refused before a string is made of them
  const digits = concat(bin("\x80\x02L"), repeat(0x39, 10_000_000), bin("\n."));
  assert.equal(await receive(digits), "integer");
});

Deno.test("frames as clients write them decode whole within their budget", async () => {
  const now = 1_700_000_000;
  // Python carbon's shape with a name repeated through the memo: the tightest real frame
  const points = Array.from(
    { length: 5_000 },
    (_, i) => pickleTuple("a.b", pickleTuple(now + i, i)),
  );
  assert.equal(await receive(encodePickle(points)), 5_000);
  // go-carbon's (name, point, point, ...) entries with one-byte values
  const wide = [pickleTuple("x", ...Array.from({ length: 5_000 }, () => pickleTuple(0, 0)))];
  assert.equal(await receive(encodePickle(wide)), 5_000);
});

Deno.test("decodePickleSliced() lets timers run while a large pickle decodes, with the same result", async () => {
  const n = 400_000;
  const big = concat(bin("\x80\x02]("), repeat(0x4e, n), bin("e."));
  let ticks = 0;
  let decoding = true;
  const tick = () => {
    ticks++;
    if (decoding) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const value = await decodePickleSliced(big, {}, 1);
  decoding = false;
  assert.ok(ticks > 0, "a timer fired during the decode");
  assert.equal((value as unknown[]).length, n);
  assert.deepEqual(value, decodePickle(big));
});
