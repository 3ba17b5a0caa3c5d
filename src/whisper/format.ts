// Whisper 1.1 on-disk layout (see README.md beside this file): sizes, aggregation type codes,
// and the encoding and decoding of the header (metadata plus archive table).

import { WhisperCorruptionError } from "./errors.ts";

/** Bytes of the metadata block: aggregation type u32, max retention u32, xFilesFactor f32, archive count u32. */
export const METADATA_SIZE = 16;
/** Bytes of one archive-info record: offset u32, seconds per point u32, points u32. */
export const ARCHIVE_INFO_SIZE = 12;
/** Bytes of one point: timestamp u32, value f64, both big-endian. */
export const POINT_SIZE = 12;
/** Largest value of an unsigned 32-bit header field. */
export const MAX_U32 = 0xffff_ffff;

/** Aggregation methods in type-code order: the code stored in the file is the index plus one. */
export const AGGREGATION_METHODS = [
  "average",
  "sum",
  "last",
  "max",
  "min",
  "avg_zero",
  "absmax",
  "absmin",
] as const;

/** How points are consolidated into a lower-precision archive. */
export type AggregationMethod = typeof AGGREGATION_METHODS[number];

/** One archive of a Whisper file, as `whisper.info()` describes it. */
export interface ArchiveInfo {
  /** Byte offset of the archive's first point. */
  readonly offset: number;
  /** Seconds covered by one point. */
  readonly secondsPerPoint: number;
  /** Number of points (slots) in the ring. */
  readonly points: number;
  /** Seconds covered by the archive: `secondsPerPoint * points`. */
  readonly retention: number;
  /** Bytes of the archive: `points * 12`. */
  readonly size: number;
}

/** The header of a Whisper file, as `whisper.info()` returns it. */
export interface WhisperHeader {
  /** Consolidation function used when propagating to lower-precision archives. */
  readonly aggregationMethod: AggregationMethod;
  /** Retention of the longest archive, in seconds. */
  readonly maxRetention: number;
  /** Fraction of known higher-precision points needed to propagate (stored as a float32). */
  readonly xFilesFactor: number;
  /** Archives in file order (highest precision first in files made by `create`). */
  readonly archives: readonly ArchiveInfo[];
}

/** Returns true when `name` is one of {@linkcode AGGREGATION_METHODS}. */
export function isAggregationMethod(name: unknown): name is AggregationMethod {
  return typeof name === "string" && (AGGREGATION_METHODS as readonly string[]).includes(name);
}

/** Returns the header size in bytes for a file with `archiveCount` archives. */
export function headerSize(archiveCount: number): number {
  return METADATA_SIZE + ARCHIVE_INFO_SIZE * archiveCount;
}

/** What {@linkcode decodeHeader} checks the header against. */
export interface DecodeHeaderOptions {
  /** Size of the whole file in bytes. */
  fileSize: number;
  /** Path, for the error. */
  path: string;
}

/**
 * Decodes a header from `bytes` (the start of the file, as much as was read) and checks it
 * against the file size: the checks whisper.py's `__readHeader` makes (known aggregation type,
 * xFilesFactor within [0, 1], complete records) plus archives that are non-empty and inside the
 * file, so later reads can never run past its end.
 *
 * Throws {@linkcode WhisperCorruptionError} with the offset of the first bad field.
 */
export function decodeHeader(bytes: Uint8Array, options: DecodeHeaderOptions): WhisperHeader {
  const { fileSize, path } = options;
  const available = bytes.length;
  if (available < METADATA_SIZE) {
    throw new WhisperCorruptionError(
      `metadata is truncated (${available} of ${METADATA_SIZE} bytes)`,
      { path, offset: 0 },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, available);
  const type = view.getUint32(0);
  if (type < 1 || type > AGGREGATION_METHODS.length) {
    throw new WhisperCorruptionError(`unknown aggregation type ${type}`, { path, offset: 0 });
  }
  const maxRetention = view.getUint32(4);
  const xFilesFactor = view.getFloat32(8);
  if (!(xFilesFactor >= 0 && xFilesFactor <= 1)) {
    throw new WhisperCorruptionError(`xFilesFactor ${xFilesFactor} is not between 0 and 1`, {
      path,
      offset: 8,
    });
  }
  const count = view.getUint32(12);
  if (count === 0) {
    throw new WhisperCorruptionError("archive count is 0", { path, offset: 12 });
  }
  if (headerSize(count) > fileSize) {
    throw new WhisperCorruptionError(
      `header of ${count} archives (${
        headerSize(count)
      } bytes) is longer than the file (${fileSize} bytes)`,
      { path, offset: 12 },
    );
  }
  const archives: ArchiveInfo[] = [];
  for (let i = 0; i < count; i++) {
    const at = METADATA_SIZE + ARCHIVE_INFO_SIZE * i;
    if (at + ARCHIVE_INFO_SIZE > available) {
      throw new WhisperCorruptionError(`archive ${i} info is truncated`, { path, offset: at });
    }
    const offset = view.getUint32(at);
    const secondsPerPoint = view.getUint32(at + 4);
    const points = view.getUint32(at + 8);
    if (secondsPerPoint === 0) {
      throw new WhisperCorruptionError(`archive ${i} has 0 seconds per point`, {
        path,
        offset: at + 4,
      });
    }
    if (points === 0) {
      throw new WhisperCorruptionError(`archive ${i} has 0 points`, { path, offset: at + 8 });
    }
    const size = points * POINT_SIZE;
    if (offset + size > fileSize) {
      throw new WhisperCorruptionError(
        `archive ${i} (offset ${offset}, ${size} bytes) ends past the end of the file (${fileSize} bytes)`,
        { path, offset: at },
      );
    }
    archives.push({ offset, secondsPerPoint, points, retention: secondsPerPoint * points, size });
  }
  return {
    aggregationMethod: AGGREGATION_METHODS[type - 1],
    maxRetention,
    xFilesFactor,
    archives,
  };
}

/**
 * Encodes the header of a new file with archives of `(secondsPerPoint, points)` laid out one
 * after another right behind the header, exactly as whisper.py's `create` writes it.
 * Returns the header bytes and the total file size.
 */
export function encodeHeader(
  archives: readonly { readonly secondsPerPoint: number; readonly points: number }[],
  options: { aggregationMethod: AggregationMethod; xFilesFactor: number },
): { bytes: Uint8Array; fileSize: number } {
  const { aggregationMethod, xFilesFactor } = options;
  const size = headerSize(archives.length);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let maxRetention = 0;
  for (const a of archives) maxRetention = Math.max(maxRetention, a.secondsPerPoint * a.points);
  view.setUint32(0, AGGREGATION_METHODS.indexOf(aggregationMethod) + 1);
  view.setUint32(4, maxRetention);
  view.setFloat32(8, xFilesFactor);
  view.setUint32(12, archives.length);
  let offset = size;
  archives.forEach((a, i) => {
    const at = METADATA_SIZE + ARCHIVE_INFO_SIZE * i;
    view.setUint32(at, offset);
    view.setUint32(at + 4, a.secondsPerPoint);
    view.setUint32(at + 8, a.points);
    offset += a.points * POINT_SIZE;
  });
  return { bytes, fileSize: offset };
}
