// The log's files: segments named by an 8-digit index (`00000000`, `00000001`...), checkpoints
// as `checkpoint.NNNNNNNN` directories holding segments of their own (written as
// `checkpoint.NNNNNNNN.tmp`, renamed when complete), and `corrupt/` where damaged segments are
// copied before they are repaired. The same listing and chunked reading serve the replay and
// any later reader of the log (a remote_write sender, relay queues).

import { joinPath } from "../storage/path.ts";

/** Bytes read per chunk when a segment is read back (a whole number of 32 KiB pages). */
export const READ_CHUNK_BYTES = 4 * 2 ** 20;

const SEGMENT_NAME = /^\d{8}$/;
const CHECKPOINT_NAME = /^checkpoint\.(\d{8})$/;

/** A segment's file name: its index as 8 decimal digits. */
export function segmentName(index: number): string {
  return String(index).padStart(8, "0");
}

/** A checkpoint's directory name. */
export function checkpointName(index: number): string {
  return `checkpoint.${segmentName(index)}`;
}

/** A segment on disk. */
export interface SegmentFile {
  index: number;
  path: string;
  size: number;
}

/** The segments of `dir` (a log, or a checkpoint), by index. */
export function listSegments(dir: string): SegmentFile[] {
  const out: SegmentFile[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !SEGMENT_NAME.test(entry.name)) continue;
    const path = joinPath(dir, entry.name);
    out.push({ index: Number(entry.name), path, size: Deno.statSync(path).size });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The newest complete checkpoint of `dir`, or null. */
export function lastCheckpoint(dir: string): { index: number; path: string } | null {
  let best: { index: number; path: string } | null = null;
  for (const entry of Deno.readDirSync(dir)) {
    const m = CHECKPOINT_NAME.exec(entry.name);
    if (!m || !entry.isDirectory) continue;
    const index = Number(m[1]);
    if (!best || index > best.index) best = { index, path: joinPath(dir, entry.name) };
  }
  return best;
}

/** Every complete checkpoint of `dir` older than `index`, and every unfinished one. */
export function staleCheckpoints(dir: string, index: number): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const m = CHECKPOINT_NAME.exec(entry.name);
    if ((m && Number(m[1]) < index) || /^checkpoint\.\d{8}\.tmp$/.test(entry.name)) {
      out.push(joinPath(dir, entry.name));
    }
  }
  return out;
}

/** What {@linkcode readSegment} reads and where the bytes go. */
export interface ChunkedRead {
  /** Returns a buffer to read the next chunk into (at most `size` bytes are used). */
  fill: (size: number) => Uint8Array;
  /** Takes the `len` bytes read into the buffer, which start at file offset `fileOffset`. */
  take: (len: number, fileOffset: number) => void;
  /** Where to start: a page boundary or the end of a record (default 0). */
  offset?: number;
  /** Stop at this file offset (the committed end of a live segment); default: the file's end. */
  end?: number;
  /** Stop after about this many bytes (whole chunks); default: no limit. */
  maxBytes?: number;
}

/**
 * Reads a segment in chunks and returns the offset reached. Chunks end on multiples of
 * READ_CHUNK_BYTES (whole pages), so a fragment is never split between two chunks even when
 * the read starts inside a page. Synchronous, so that a buffer in wasm memory stays valid.
 */
export function readSegment(path: string, read: ChunkedRead): number {
  const offset = read.offset ?? 0;
  const end = read.end ?? Infinity;
  const budget = read.maxBytes ?? Infinity;
  const file = Deno.openSync(path, { read: true });
  try {
    if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
    let at = offset;
    while (at < end && at - offset < budget) {
      const chunkEnd = Math.min(end, (Math.floor(at / READ_CHUNK_BYTES) + 1) * READ_CHUNK_BYTES);
      const want = chunkEnd - at;
      const buf = read.fill(want).subarray(0, want);
      let len = 0;
      while (len < want) {
        const n = file.readSync(buf.subarray(len));
        if (n === null) break;
        len += n;
      }
      if (len > 0) read.take(len, at);
      at += len;
      if (len < want) return at;
    }
    return at;
  } finally {
    file.close();
  }
}

/** fsyncs a directory, so that names created or removed in it survive a power loss. */
export function syncDir(dir: string): void {
  const d = Deno.openSync(dir, { read: true });
  try {
    d.syncSync();
  } finally {
    d.close();
  }
}

/** syncDir() without blocking the thread (for writers that have other work meanwhile). */
export async function syncDirAsync(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}
