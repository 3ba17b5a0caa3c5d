// A position in the write-ahead log as a remote_write sender reads it: a segment and the file
// offset of a record's end in it, or an offset inside the checkpoint that covers a segment
// (read only when the segments it stands for are gone). Positions are what the sender
// acknowledges and persists; it never reads by sample timestamp (wave2.md 0.2).

/** Where a reader of the log stands. */
export interface WalPosition {
  /** Segment index; for a checkpoint, the last segment it covers (`checkpoint.N`). */
  segment: number;
  /** File offset of a record's end (or 0). */
  offset: number;
  /** True inside `checkpoint.<segment>/00000000`: after all of segment N, before N+1. */
  checkpoint: boolean;
}

/** Negative, zero or positive as `a` is before, at or after `b` in the log. */
export function comparePositions(a: WalPosition, b: WalPosition): number {
  if (a.segment !== b.segment) return a.segment - b.segment;
  if (a.checkpoint !== b.checkpoint) return a.checkpoint ? 1 : -1;
  return a.offset - b.offset;
}

/** The start of a segment. */
export function segmentStart(segment: number): WalPosition {
  return { segment, offset: 0, checkpoint: false };
}

/** `00000007:1234` or `checkpoint.00000006:512`, for logs. */
export function formatPosition(p: WalPosition): string {
  const seg = String(p.segment).padStart(8, "0");
  return `${p.checkpoint ? "checkpoint." : ""}${seg}:${p.offset}`;
}

/** The first segment a reader at `p` still needs the log to keep. */
export function segmentNeeded(p: WalPosition): number {
  return p.checkpoint ? p.segment + 1 : p.segment;
}
