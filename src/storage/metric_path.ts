// Metric name <-> Whisper file path: `a.b.c` is `<data-dir>/a/b/c.wsp`, as carbon and go-carbon
// lay files out. Names reach here already checked by the parser (no empty segments, no '/', no
// control bytes); metricPath() checks again so that nothing can resolve outside the data dir.
// A tagged name (one with `;`) lives under `_tagged/`, named by the sha256 of its canonical
// form (carbon's TaggedSeries.encode, go-carbon's tags.FilePath).

import { sha256Hex } from "./sha256.ts";

/** Whisper file extension. */
export const WHISPER_EXT = ".wsp";

// deno-lint-ignore no-control-regex
const UNSAFE = /^\.|\.$|\.\.|\/|[\x00-\x1f\x7f]/;

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
 */
export function metricPath(dataDir: string, name: string, hashFilenames = true): string {
  const dir = dataDir.endsWith("/") ? dataDir : dataDir + "/";
  if (name.includes(";")) return dir + taggedPath(name, hashFilenames);
  if (name === "" || UNSAFE.test(name)) {
    throw new RangeError(`Invalid metric name ${JSON.stringify(name)}: not a safe path`);
  }
  return dir + name.replaceAll(".", "/") + WHISPER_EXT;
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
