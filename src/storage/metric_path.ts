// Metric name <-> Whisper file path: `a.b.c` is `<data-dir>/a/b/c.wsp`, as carbon and go-carbon
// lay files out. Names reach here already checked by the parser (no empty segments, no '/', no
// control bytes); metricPath() checks again so that nothing can resolve outside the data dir.
// A tagged name (one with `;`) lives under `_tagged/`, named by the sha256 of its canonical
// form (carbon's TaggedSeries.encode, go-carbon's tags.FilePath). A path the file system cannot
// hold (a segment over NAME_MAX, the whole over PATH_MAX) is refused here, where the data-dir is
// known, and not at parse time: the same name may still be relayed or sent to a remote.

import { sha256Hex } from "./sha256.ts";

/** Whisper file extension. */
export const WHISPER_EXT = ".wsp";

// deno-lint-ignore no-control-regex
const UNSAFE = /^\.|\.$|\.\.|\/|[\x00-\x1f\x7f]/;

/** Linux NAME_MAX: bytes of one path segment (the file name with `.wsp` included). */
export const MAX_SEGMENT_BYTES = 255;
/** Linux PATH_MAX (4,096 with the terminating NUL): bytes of a whole path. */
export const MAX_PATH_BYTES = 4095;

/** A metric whose file path the file system cannot hold: it can never be written. */
export class PathTooLongError extends RangeError {
  /** The path, as far as it was built. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`Cannot store metric at "${path.slice(0, 200)}...": ${problem}`);
    this.name = "PathTooLongError";
    this.path = path;
  }
}

/** The top directory of tagged series. */
export const TAGGED_DIR = "_tagged";
// deno-lint-ignore no-control-regex
const UNSAFE_TAGGED_FILE = /\/|[\x00-\x1f\x7f]/;

/**
 * The file of metric `name` under `dataDir`. A tagged name (holding `;`) maps to
 * `_tagged/<h[0:3]>/<h[3:6]>/<h>.wsp`, h = sha256 hex of the name (`hashFilenames`, the
 * default), or to `_tagged/<h[0:3]>/<h[3:6]>/<name with . as _DOT_>.wsp`.
 *
 * @throws {RangeError} when the name could resolve outside `dataDir`
 * @throws {PathTooLongError} when the file system cannot hold the path
 */
export function metricPath(dataDir: string, name: string, hashFilenames = true): string {
  const dir = dataDir.endsWith("/") ? dataDir : dataDir + "/";
  if (name.includes(";")) return checkLimits(dir + taggedPath(name, hashFilenames));
  if (name === "" || UNSAFE.test(name)) {
    throw new RangeError(`Invalid metric name ${JSON.stringify(name)}: not a safe path`);
  }
  return checkLimits(dir + name.replaceAll(".", "/") + WHISPER_EXT);
}

/**
 * Returns `path` when the file system can hold it.
 * @throws {PathTooLongError} for a segment over MAX_SEGMENT_BYTES or a path over MAX_PATH_BYTES
 */
function checkLimits(path: string): string {
  // a UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair: 4 for 2 units)
  if (path.length * 3 <= MAX_SEGMENT_BYTES) return path;
  let total = 0;
  let segment = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    const bytes = c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
    total += bytes;
    segment = c === 0x2f ? 0 : segment + bytes;
    if (segment > MAX_SEGMENT_BYTES) {
      throw new PathTooLongError(path, `a path segment is over ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  if (total > MAX_PATH_BYTES) {
    throw new PathTooLongError(path, `${total} bytes, over ${MAX_PATH_BYTES}`);
  }
  return path;
}

/** A tagged name's file relative to the data directory. */
function taggedPath(name: string, hashFilenames: boolean): string {
  const h = sha256Hex(name);
  const dir = `${TAGGED_DIR}/${h.slice(0, 3)}/${h.slice(3, 6)}/`;
  if (hashFilenames) return dir + h + WHISPER_EXT;
  if (UNSAFE_TAGGED_FILE.test(name)) {
    throw new RangeError(
      `Invalid metric name ${JSON.stringify(name)}: not a file name (whisper.hash-filenames)`,
    );
  }
  return dir + name.replaceAll(".", "_DOT_") + WHISPER_EXT;
}

/** The name the name index lists a tagged series' file under: `_tagged.eff.aae.<sha256>`. */
export function tagFileName(name: string, hashFilenames = true): string {
  return taggedPath(name, hashFilenames).slice(0, -WHISPER_EXT.length).replaceAll("/", ".");
}

/**
 * The series a `_tagged.<a>.<b>.<file>` name holds when the file is named after it
 * (`hash-filenames = false`: dots as `_DOT_`), else null (a hash says nothing).
 */
export function taggedNameOfFile(indexName: string): string | null {
  const parts = indexName.split(".");
  if (parts.length !== 4 || parts[0] !== TAGGED_DIR || !parts[3].includes(";")) return null;
  return parts[3].replaceAll("_DOT_", ".");
}

/**
 * The metric name of a path relative to the data directory (`a/b/c.wsp` -> `a.b.c`), or null
 * when the path is not a metric file: another extension, a dot-file, an empty segment, or a
 * segment with a dot in it (it could not be told apart from a deeper path).
 */
export function metricNameFromPath(relativePath: string): string | null {
  if (!relativePath.endsWith(WHISPER_EXT)) return null;
  const parts = relativePath.slice(0, -WHISPER_EXT.length).split("/");
  for (const p of parts) {
    if (p === "" || p.includes(".")) return null;
  }
  return parts.join(".");
}
