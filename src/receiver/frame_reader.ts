// Reads length-prefixed frames (a 4-byte big-endian length, then the body) from a stream, as
// carbon's pickle receiver and carbonlink speak them. The length is checked against the limit
// before any of the body is read, so a hostile 2 GiB length costs nothing.

const HEADER_BYTES = 4;
const FIRST_BUFFER_BYTES = 65_536;

/** One frame, or why there is none. */
export type Frame =
  | { payload: Uint8Array }
  | { error: "too_large"; length: number }
  | { error: "truncated"; have: number; length: number };

/** Where frames are read from: a connection (StreamServer's, which notes the bytes). */
export interface FrameSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Reads frames from one connection. */
export class FrameReader {
  #conn: FrameSource;
  #maxSize: number;
  #buf = new Uint8Array(FIRST_BUFFER_BYTES);
  #have = 0;
  #consumed = 0;

  constructor(conn: FrameSource, maxSize: number) {
    this.#conn = conn;
    this.#maxSize = maxSize;
  }

  /**
   * The next frame, or null when the stream ends cleanly between frames. A payload is valid
   * until the next call. After an error frame the stream cannot be trusted to be framed.
   */
  async next(): Promise<Frame | null> {
    this.#compact();
    if (!(await this.#fill(HEADER_BYTES))) {
      return this.#have === 0 ? null : { error: "truncated", have: this.#have, length: -1 };
    }
    const length = new DataView(this.#buf.buffer).getUint32(0);
    if (length > this.#maxSize) return { error: "too_large", length };
    const end = HEADER_BYTES + length;
    if (end > this.#buf.length) {
      let size = this.#buf.length;
      while (size < end) size *= 2;
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
      this.#buf = this.#buf.slice(0, FIRST_BUFFER_BYTES);
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
