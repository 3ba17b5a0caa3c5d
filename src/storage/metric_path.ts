// Metric name <-> Whisper file path: `a.b.c` is `<data-dir>/a/b/c.wsp`, as carbon and go-carbon
// lay files out. Names reach here already checked by the parser (no empty segments, no '/', no
// control bytes); metricPath() checks again so that nothing can resolve outside the data dir.

/** Whisper file extension. */
export const WHISPER_EXT = ".wsp";

// deno-lint-ignore no-control-regex
const UNSAFE = /^\.|\.$|\.\.|\/|[\x00-\x1f\x7f]/;

/**
 * The file of metric `name` under `dataDir`.
 *
 * @throws {RangeError} when the name could resolve outside `dataDir`
 */
export function metricPath(dataDir: string, name: string): string {
  if (name === "" || UNSAFE.test(name)) {
    throw new RangeError(`Invalid metric name ${JSON.stringify(name)}: not a safe path`);
  }
  const dir = dataDir.endsWith("/") ? dataDir : dataDir + "/";
  return dir + name.replaceAll(".", "/") + WHISPER_EXT;
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
