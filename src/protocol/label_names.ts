// Labels and tags of other protocols as Graphite tagged names, in plain TypeScript: the
// reference of assembly/structured.ts, and what the OpenTSDB HTTP route uses. A name is the
// path then `;key=value` for each tag, in the order given (the appender puts them in carbon's
// order). Bytes carbon's tag rules forbid are mended (wave2.md 5.2): `;` in a path or a value
// and `; ! ^ =` in a key become `_`, leading `~` of a value are dropped, and a tag whose key or
// value comes out empty is left out.

/** A path with `;` (which would start carbon tags) replaced by `_`. */
export function mendPath(path: string): string {
  return path.replaceAll(";", "_");
}

/** A tag key with `; ! ^ =` replaced by `_`. */
export function mendKey(key: string): string {
  return key.replace(/[;!^=]/g, "_");
}

/** A tag value with `;` replaced by `_` and its leading `~` dropped. */
export function mendValue(value: string): string {
  return value.replaceAll(";", "_").replace(/^~+/, "");
}

/**
 * The raw tagged name `path;k=v;...` of a path and its tags, mended.
 *
 * @example
 * ```ts
 * taggedName("cpu.usage", [["host", "a;b"], ["x!", "~1"], ["empty", ""]]);
 * // "cpu.usage;host=a_b;x_=1"
 * ```
 */
export function taggedName(path: string, tags: Iterable<readonly [string, string]>): string {
  let name = mendPath(path);
  for (const [k, v] of tags) {
    const key = mendKey(k);
    const value = mendValue(v);
    if (key !== "" && value !== "") name += `;${key}=${value}`;
  }
  return name;
}
