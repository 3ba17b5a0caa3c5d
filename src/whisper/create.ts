// Creating Whisper files byte-identical to whisper.py 1.1.4's `create`: header, then either zeros
// (preallocated) or a hole ended by one zero byte (sparse). The bytes go to a dot-file first (beside
// the target, or in a given directory on the same file system), which is then hard-linked into
// place (link fails if the target exists, where a rename would replace it): neither a reader nor a
// crash ever sees a half-written header (issue 9). The scan of the data directory skips
// dot-files, so a crash's leftover is inert.

import { type ArchiveSpec, validateArchiveList } from "./archive_list.ts";
import { type AggregationMethod, encodeHeader, isAggregationMethod, MAX_U32 } from "./format.ts";

/** Options for {@linkcode create}. */
export interface CreateOptions {
  /** Fraction of known points needed to propagate, from 0 to 1. Default 0.5 (whisper's). */
  xFilesFactor?: number;
  /** Consolidation function. Default "average" (whisper's). */
  aggregationMethod?: AggregationMethod;
  /** Leave the data area as a hole (whisper's `sparse=True`). Default false: write zeros. */
  sparse?: boolean;
  /**
   * Directory for the temporary file, on the same file system as `path`; default `path`'s
   * directory. A short one makes creation cheaper: Deno's permission check `readlink`s every
   * component of a new file's path, twice. When the link crosses file systems (a mount inside
   * the data directory), files of that directory are made beside their target from then on.
   */
  tempDir?: string;
}

const ZERO_CHUNK_BYTES = 1 << 20;
let zeros: Uint8Array | undefined;

/** Start of the temporary names: a dot-file, short enough for any file name to fit beside. */
export const TEMP_PREFIX = ".wsp-tmp-";
/** One token per module instance (each persister worker thread has its own), and a counter. */
const tempToken = crypto.randomUUID().slice(0, 8);
let tempCount = 0;

/** Directories where a link from `tempDir` crossed file systems (EXDEV); bounded. */
const crossDeviceDirs = new Set<string>();
const MAX_CROSS_DEVICE_DIRS = 10_000;

function tempPath(path: string, tempDir: string | undefined): string {
  const dir = tempDir === undefined || crossDeviceDirs.has(parentOf(path))
    ? parentOf(path)
    : tempDir.endsWith("/")
    ? tempDir
    : `${tempDir}/`;
  return `${dir}${TEMP_PREFIX}${tempToken}-${tempCount++}`;
}

/** `path`'s directory, ending in "/" ("" for a bare file name). */
function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/") + 1);
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = file.writeSync(done === 0 ? bytes : bytes.subarray(done));
    if (n === 0) throw new Deno.errors.WriteZero("Cannot write whisper file");
    done += n;
  }
}

/** A file {@linkcode createOpen} has just written, still open for reading and writing. */
export interface CreatedFile {
  file: Deno.FsFile;
  /** The header bytes written at offset 0. */
  header: Uint8Array;
  fileSize: number;
}

/**
 * Creates a Whisper file. Archives are validated and sorted by precision as whisper's
 * `validateArchiveList` does; the file must not exist. Parent directories are not created.
 * The file appears at `path` only once complete; on an IO error nothing is left behind.
 *
 * @example
 * ```ts ignore
 * create("cpu.wsp", parseRetentionDefs("10s:6h,1m:7d,10m:5y"), {
 *   xFilesFactor: 0.5,
 *   aggregationMethod: "average",
 * });
 * ```
 * @throws {RangeError} for an invalid archive list, xFilesFactor or aggregation method
 * @throws {Deno.errors.AlreadyExists} `File <path> already exists` when the file exists
 */
export function create(
  path: string,
  archives: readonly ArchiveSpec[],
  options: CreateOptions = {},
): void {
  createOpen(path, archives, options).file.close();
}

/**
 * {@linkcode create}, leaving the new file open for reading and writing (positioned at its end)
 * so that a first update needs no second open.
 */
export function createOpen(
  path: string,
  archives: readonly ArchiveSpec[],
  options: CreateOptions = {},
): CreatedFile {
  const { bytes, fileSize } = encodeNew(archives, options);
  const file = place(path, options, (file) => {
    if (options.sparse === true) {
      writeAll(file, bytes);
      file.seekSync(fileSize - 1, Deno.SeekMode.Start);
      writeAll(file, new Uint8Array(1));
    } else if (fileSize <= ZERO_CHUNK_BYTES) {
      // Header and zeros in one write: most files are tens of kilobytes.
      zeros ??= new Uint8Array(ZERO_CHUNK_BYTES);
      zeros.set(bytes);
      try {
        writeAll(file, zeros.subarray(0, fileSize));
      } finally {
        zeros.fill(0, 0, bytes.length);
      }
    } else {
      writeAll(file, bytes);
      zeros ??= new Uint8Array(ZERO_CHUNK_BYTES);
      for (let left = fileSize - bytes.length; left > 0; left -= ZERO_CHUNK_BYTES) {
        writeAll(file, left >= ZERO_CHUNK_BYTES ? zeros : zeros.subarray(0, left));
      }
    }
  });
  return { file, header: bytes, fileSize };
}

/**
 * {@linkcode create} for a preallocated file of at most 1 MiB whose first points `fill` writes
 * into its bytes in memory (header, then zeros) before anything is written: the file is written
 * with one call and closed. Returns false, creating nothing, for a sparse or a larger file.
 * Nothing is created when `fill` throws.
 */
export function createFilled(
  path: string,
  archives: readonly ArchiveSpec[],
  options: CreateOptions,
  fill: (image: Uint8Array, header: Uint8Array) => void,
): boolean {
  const { bytes, fileSize } = encodeNew(archives, options);
  if (options.sparse === true || fileSize > ZERO_CHUNK_BYTES) return false;
  zeros ??= new Uint8Array(ZERO_CHUNK_BYTES);
  const image = zeros.subarray(0, fileSize);
  try {
    image.set(bytes);
    fill(image, bytes);
    place(path, options, (file) => writeAll(file, image)).close();
  } finally {
    image.fill(0);
  }
  return true;
}

/** Validates the options and archives and encodes the header. */
function encodeNew(
  archives: readonly ArchiveSpec[],
  options: CreateOptions,
): { bytes: Uint8Array; fileSize: number } {
  const xFilesFactor = options.xFilesFactor ?? 0.5;
  const aggregationMethod = options.aggregationMethod ?? "average";
  if (typeof xFilesFactor !== "number" || !(xFilesFactor >= 0 && xFilesFactor <= 1)) {
    throw new RangeError(`Invalid xFilesFactor ${xFilesFactor}, not between 0 and 1`);
  }
  if (!isAggregationMethod(aggregationMethod)) {
    throw new RangeError(`Unrecognized aggregation method: ${aggregationMethod}`);
  }
  const sorted = validateArchiveList(archives);
  const encoded = encodeHeader(sorted, { aggregationMethod, xFilesFactor });
  if (encoded.fileSize > MAX_U32) {
    throw new RangeError(
      `Archives need ${encoded.fileSize} bytes, more than 4 GiB whisper can address`,
    );
  }
  return encoded;
}

/**
 * Writes the file to a temporary name with `write`, links it to `path` and returns it open;
 * once more beside `path` when the link from `options.tempDir` crossed file systems.
 */
function place(path: string, options: CreateOptions, write: (file: Deno.FsFile) => void) {
  try {
    return writeAndLink(path, options.tempDir, write);
  } catch (error) {
    if ((error as { code?: string }).code !== "EXDEV" || options.tempDir === undefined) throw error;
    if (crossDeviceDirs.size >= MAX_CROSS_DEVICE_DIRS) crossDeviceDirs.clear();
    crossDeviceDirs.add(parentOf(path));
    return writeAndLink(path, options.tempDir, write);
  }
}

function writeAndLink(
  path: string,
  tempDir: string | undefined,
  write: (file: Deno.FsFile) => void,
): Deno.FsFile {
  const tmp = tempPath(path, tempDir);
  const file = Deno.openSync(tmp, { read: true, write: true, createNew: true });
  try {
    write(file);
    try {
      Deno.linkSync(tmp, path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new Deno.errors.AlreadyExists(`File ${path} already exists`, { cause: error });
      }
      throw error;
    }
  } catch (error) {
    file.close();
    Deno.removeSync(tmp);
    throw error;
  }
  Deno.removeSync(tmp);
  return file;
}
