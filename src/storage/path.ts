// Joining and splitting the paths of the daemon's own files (WAL segments, checkpoints, relay
// and remote-write queues). node:path does the same but loads Node's compatibility layer, about
// 6 MB of resident memory in every process that imports it (docs/benchmarks.md, "Where the
// memory goes").

/** `dir` and the names under it joined by `/`, with one separator however `dir` ends. */
export function joinPath(dir: string, ...names: string[]): string {
  return [dir.endsWith("/") ? dir.slice(0, -1) : dir, ...names].join("/");
}

/** The last component of `path` (after the last `/`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `path` made absolute against the working directory, without `.`, `..` or repeated `/`. */
export function resolvePath(path: string): string {
  const parts: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "" && part !== ".") parts.push(part);
  }
  return `/${parts.join("/")}`;
}
