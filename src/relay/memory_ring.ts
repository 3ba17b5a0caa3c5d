// A destination's newest queued records in memory: one buffer of `buffer-size` bytes allocated
// once and written round, so that queuing allocates nothing per batch; writing a record evicts
// the oldest ones it overwrites (they stay on disk). Records are found by sequence number.

/** A record held in memory. */
export interface RingRecord {
  /** Sequence number of its last line. */
  seqEnd: number;
  lines: number;
  segment: number;
  /** File offset just past the record in its segment. */
  end: number;
  /** Where its bytes are in the buffer. */
  at: number;
  len: number;
}

/** The newest records of a queue, in one reused buffer. */
export class MemoryRing {
  readonly capacity: number;
  #buf: Uint8Array;
  #records: RingRecord[] = [];
  #head = 0;
  #write = 0;
  #bytes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#buf = new Uint8Array(capacity);
  }

  /** Bytes of the records held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The oldest record held, or undefined. */
  get first(): RingRecord | undefined {
    return this.#records[this.#head];
  }

  /** Copies `body` in as a new record, evicting what it overwrites; false when it cannot fit. */
  push(body: Uint8Array, rec: Omit<RingRecord, "at" | "len">): boolean {
    const len = body.length;
    if (len > this.capacity || len === 0) return false;
    if (this.#write + len > this.capacity) {
      // wrap: whatever lies past the write position is from the lap before, and oldest
      while (this.first && this.first.at >= this.#write) this.#drop();
      this.#write = 0;
    }
    const from = this.#write;
    const to = from + len;
    while (this.first && this.first.at < to && this.first.at + this.first.len > from) {
      this.#drop();
    }
    this.#buf.set(body, from);
    this.#records.push({ ...rec, at: from, len });
    this.#write = to;
    this.#bytes += len;
    return true;
  }

  /** The record starting right after line `seq`, if held. */
  find(seq: number): RingRecord | undefined {
    const records = this.#records;
    let lo = this.#head;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (records[mid].seqEnd <= seq) lo = mid + 1;
      else hi = mid;
    }
    const rec = records[lo];
    return rec && rec.seqEnd - rec.lines === seq ? rec : undefined;
  }

  /** A record's bytes: a view, valid until the next push(). */
  body(rec: RingRecord): Uint8Array {
    return this.#buf.subarray(rec.at, rec.at + rec.len);
  }

  /** Forgets the records up to and including line `seq`. */
  dropThrough(seq: number): void {
    while (this.first && this.first.seqEnd <= seq) this.#drop();
  }

  #drop(): void {
    this.#bytes -= this.#records[this.#head++].len;
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }
}
