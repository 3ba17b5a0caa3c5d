// The log's files: segments named by an 8-digit index (`00000000`, `00000001`...), checkpoints
// as `checkpoint.NNNNNNNN` directories holding segments of their own (written as
// `checkpoint.NNNNNNNN.tmp`, renamed when complete), and `corrupt/` where damaged segments are
// copied before they are repaired. The same listing and chunked reading serve the replay and
// any later reader of the log (a remote_write sender, relay queues).

import { join } from "node:path";

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
    const path = join(dir, entry.name);
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
    if (!best || index > best.index) best = { index, path: join(dir, entry.name) };
  }
  return best;
}

/** Every complete checkpoint of `dir` older than `index`, and every unfinished one. */
export function staleCheckpoints(dir: string, index: number): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const m = CHECKPOINT_NAME.exec(entry.name);
    if ((m && Number(m[1]) < index) || /^checkpoint\.\d{8}\.tmp$/.test(entry.name)) {
      out.push(join(dir, entry.name));
    }
  }
  return out;
}

/**
 * Reads a segment in chunks from `offset` (a page boundary or the end of a record): `fill` gets a
 * buffer to read into and returns it, `take` is called with the bytes read and their file
 * offset, and may return false to stop there. Returns the offset reading stopped at.
 * Synchronous, so that a buffer in wasm memory stays valid throughout.
 */
export function readSegment(
  path: string,
  fill: (size: number) => Uint8Array,
  take: (len: number, fileOffset: number) => boolean | void,
  offset = 0,
): number {
  const file = Deno.openSync(path, { read: true });
  try {
    if (offset > 0) file.seekSync(offset, Deno.SeekMode.Start);
    let at = offset;
    while (true) {
      const buf = fill(READ_CHUNK_BYTES);
      let len = 0;
      while (len < buf.length) {
        const n = file.readSync(buf.subarray(len));
        if (n === null) break;
        len += n;
      }
      const more = len > 0 ? take(len, at) : undefined;
      at += len;
      if (len < buf.length || more === false) return at;
    }
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
