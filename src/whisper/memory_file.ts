// A file's bytes held in memory behind the synchronous calls WhisperFile makes on a Deno.FsFile
// (seek, read, write, close): a new file gets its first points before it is written at all
// (WhisperFile.createWithPoints), which saves a seek, read or write call per step.

/** The calls WhisperFile makes on an open file. */
export type FileIO = Pick<Deno.FsFile, "seekSync" | "readSync" | "writeSync" | "close">;

/** A fixed-size byte array read and written as a file; writes past its end are cut short. */
export class MemoryFile implements FileIO {
  #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  seekSync(offset: number | bigint, whence: Deno.SeekMode): number {
    const base = whence === Deno.SeekMode.Start
      ? 0
      : whence === Deno.SeekMode.Current
      ? this.#pos
      : this.#bytes.length;
    this.#pos = base + Number(offset);
    return this.#pos;
  }

  readSync(p: Uint8Array): number | null {
    const n = Math.min(p.length, this.#bytes.length - this.#pos);
    if (n <= 0) return null;
    p.set(this.#bytes.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return n;
  }

  writeSync(p: Uint8Array): number {
    const n = Math.max(0, Math.min(p.length, this.#bytes.length - this.#pos));
    this.#bytes.set(p.subarray(0, n), this.#pos);
    this.#pos += n;
    return n;
  }

  close(): void {}
}
