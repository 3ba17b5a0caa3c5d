// Reads length-prefixed frames (a 4-byte big-endian length, then the body) from a stream, as
// carbon's pickle receiver and carbonlink speak them. The length is checked against the limit
// before any of the body is read, so a hostile 2 GiB length costs nothing. With a ByteBudget,
// a frame's bytes are taken from it before its body is read (reads wait while it is spent) and
// given back when the next frame is asked for or the reader is released.

import type { ByteBudget } from "./byte_budget.ts";

/**
 * Where frames are read from: a connection (StreamServer's, which notes the bytes read), and
 * how to tell it that a wait was the reader's own, not the peer's (the read timeout restarts).
 */
export interface FrameSource {
  read(p: Uint8Array): Promise<number | null>;
  progress(): void;
}

const HEADER_BYTES = 4;
const FIRST_BUFFER_BYTES = 65_536;

/** One frame, or why there is none. */
export type Frame =
  | { payload: Uint8Array }
  | { error: "too_large"; length: number }
  | { error: "truncated"; have: number; length: number };

/** Reads frames from one connection. */
export class FrameReader {
  #conn: FrameSource;
  #maxSize: number;
  #buf = new Uint8Array(FIRST_BUFFER_BYTES);
  #have = 0;
  #consumed = 0;
  #budget: ByteBudget | undefined;
  /** Bytes of the budget this reader holds (the current frame's). */
  #held = 0;

  /** `budget`, if given, bounds the frame bytes buffered by every reader sharing it. */
  constructor(conn: FrameSource, maxSize: number, budget?: ByteBudget) {
    this.#conn = conn;
    this.#maxSize = maxSize;
    this.#budget = budget;
  }

  /** Gives back the budget bytes held. */
  release(): void {
    if (this.#held > 0) this.#budget!.release(this.#held);
    this.#held = 0;
  }

  /** Gives back the budget bytes and the buffer's memory; the reader is done. */
  close(): void {
    this.release();
    freeNow(this.#buf);
    this.#buf = new Uint8Array(0);
    this.#have = this.#consumed = 0;
  }

  /**
   * The next frame, or null when the stream ends cleanly between frames. A payload is valid
   * until the next call. After an error frame the stream cannot be trusted to be framed.
   */
  async next(): Promise<Frame | null> {
    this.release();
    this.#compact();
    if (!(await this.#fill(HEADER_BYTES))) {
      return this.#have === 0 ? null : { error: "truncated", have: this.#have, length: -1 };
    }
    const length = new DataView(this.#buf.buffer).getUint32(0);
    if (length > this.#maxSize) return { error: "too_large", length };
    if (this.#budget) {
      await this.#budget.acquire(length);
      this.#held = length;
      this.#conn.progress(); // the wait was ours, not the peer's
    }
    const end = HEADER_BYTES + length;
    if (end > this.#buf.length) {
      // exactly what the frame needs (rounded up): the budget counts frames, not slack
      const size = Math.ceil(end / FIRST_BUFFER_BYTES) * FIRST_BUFFER_BYTES;
      const bigger = new Uint8Array(size);
      bigger.set(this.#buf.subarray(0, this.#have));
      this.#buf = bigger;
    }
    if (!(await this.#fill(end))) {
      return { error: "truncated", have: this.#have - HEADER_BYTES, length };
    }
    this.#consumed = end;
    return { payload: this.#buf.subarray(HEADER_BYTES, end) };
  }

  /** Drops the last frame returned; gives back a one-off big frame's memory. */
  #compact(): void {
    if (this.#consumed === 0) return;
    this.#buf.copyWithin(0, this.#consumed, this.#have);
    this.#have -= this.#consumed;
    this.#consumed = 0;
    if (this.#buf.length > FIRST_BUFFER_BYTES && this.#have <= FIRST_BUFFER_BYTES) {
      const big = this.#buf;
      this.#buf = big.slice(0, FIRST_BUFFER_BYTES);
      freeNow(big);
    }
  }

  /** Reads until `need` bytes are buffered; false at end of stream. */
  async #fill(need: number): Promise<boolean> {
    while (this.#have < need) {
      const n = await this.#conn.read(this.#buf.subarray(this.#have));
      if (n === null) return false;
      this.#have += n;
    }
    return true;
  }
}

/**
 * Frees a big buffer's memory now instead of at the next major GC (detaching it): under a flood
 * of large frames, buffers waiting for the collector were most of the peak RSS.
 */
function freeNow(buf: Uint8Array): void {
  if (buf.byteLength > FIRST_BUFFER_BYTES) (buf.buffer as ArrayBuffer).transfer(0);
}
