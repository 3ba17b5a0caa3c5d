// The [tags] send queue in `local-dir`: tagged series names waiting to be posted to an external
// TagDB, kept on disk so that a restart or a TagDB outage loses none (go-carbon keeps a leveldb
// there). Two files (docs/tags_formats.md):
//
//   queue   names, one per line ("name\n"), appended
//   pos     the byte offset in `queue` of the first name not yet acknowledged, as decimal text
//
// A name is appended when it is queued; `pos` moves past a chunk once the TagDB answered 200;
// when it reaches the end both files are emptied. The queue is bounded in bytes: a name that
// would pass the bound is dropped and counted. A torn last line (crash mid-append) is cut off.

const QUEUE_FILE = "queue";
const POS_FILE = "pos";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A bounded, persistent FIFO of names. */
export class SendQueue {
  readonly dir: string;
  #maxBytes: number;
  #file: Deno.FsFile | null = null;
  #size = 0;
  #pos = 0;
  #dropped = 0;
  #queued = 0;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir.replace(/\/+$/, "");
    this.#maxBytes = maxBytes;
  }

  /** Opens (creating) the queue, cutting off a torn last line; returns the names waiting. */
  open(): number {
    Deno.mkdirSync(this.dir, { recursive: true });
    this.#file = Deno.openSync(`${this.dir}/${QUEUE_FILE}`, {
      read: true,
      write: true,
      create: true,
    });
    const bytes = Deno.readFileSync(`${this.dir}/${QUEUE_FILE}`);
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) this.#file.truncateSync(end);
    this.#size = end;
    try {
      const pos = Number(Deno.readTextFileSync(`${this.dir}/${POS_FILE}`).trim());
      this.#pos = Number.isInteger(pos) && pos >= 0 && pos <= end ? pos : 0;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      this.#pos = 0;
    }
    let waiting = 0;
    for (let i = this.#pos; i < end; i++) if (bytes[i] === 0x0a) waiting++;
    return waiting;
  }

  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  /** Appends a name; false (and counted) when the queue is full. */
  push(name: string): boolean {
    const line = encoder.encode(`${name}\n`);
    if (this.#size + line.length > this.#maxBytes) {
      this.#dropped++;
      return false;
    }
    const file = this.#file!;
    file.seekSync(this.#size, Deno.SeekMode.Start);
    let off = 0;
    while (off < line.length) off += file.writeSync(line.subarray(off));
    this.#size += line.length;
    this.#queued++;
    return true;
  }

  /** Up to `n` names from the head, and the offset just past them (for ack()). */
  peek(n: number): { names: string[]; next: number } {
    if (this.#pos >= this.#size) return { names: [], next: this.#pos };
    const want = Math.min(this.#size - this.#pos, 64 * 1024 + n * 4100);
    const buf = new Uint8Array(want);
    const file = this.#file!;
    file.seekSync(this.#pos, Deno.SeekMode.Start);
    let got = 0;
    while (got < want) {
      const r = file.readSync(buf.subarray(got));
      if (r === null || r === 0) break;
      got += r;
    }
    const names: string[] = [];
    let start = 0;
    while (names.length < n) {
      const lf = buf.subarray(0, got).indexOf(0x0a, start);
      if (lf < 0) break;
      names.push(decoder.decode(buf.subarray(start, lf)));
      start = lf + 1;
    }
    return { names, next: this.#pos + start };
  }

  /** The names up to `next` were delivered. */
  ack(next: number): void {
    this.#pos = next;
    if (this.#pos >= this.#size) {
      this.#file!.truncateSync(0);
      this.#size = 0;
      this.#pos = 0;
    }
    Deno.writeTextFileSync(`${this.dir}/${POS_FILE}`, `${this.#pos}\n`);
  }

  /** Bytes waiting. */
  get pendingBytes(): number {
    return this.#size - this.#pos;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get queued(): number {
    return this.#queued;
  }
}
