// Graphite names to Prometheus labels, per remote: which series are sent (include and exclude
// globs, in the spirit of write_relabel_configs), what `__name__` becomes (the path with every
// byte outside [a-zA-Z0-9_:] replaced by `_`, or the raw dotted path), Graphite tags `;k=v` as
// labels, and optional mapping rules in the spirit of graphite_exporter's: a glob, the name to
// give it, and labels taken from the segments it matched (wave2.md 5.1). Computed once per
// series, never per sample, in one pass over the name's bytes as the WAL's Series record holds
// them, straight into the encoded labels (label_set.ts); the path is decoded to a string only
// when there are globs or rules to match it against.

import { type CompiledGlob, compileGlob, type SegmentMatcher } from "../index/glob.ts";
import { LabelSetBuilder, Put } from "./label_set.ts";

/** How `__name__` is made from the Graphite path. */
export type NameStyle = "sanitized" | "raw";

/** A mapping rule: series matching `match` get `name` and `labels` (`$n`: the n-th wildcard segment). */
export interface MappingRule {
  match: string;
  name: string;
  labels: Record<string, string>;
}

/** Options of {@linkcode NameMapper}. */
export interface NameMapperOptions {
  names: NameStyle;
  /** Send only series whose path matches one of these globs (all when empty). */
  include: readonly string[];
  /** Never send series whose path matches one of these globs. */
  exclude: readonly string[];
  /** Rules tried in order; the first match names the series. */
  mapping: readonly MappingRule[];
}

/** A mapping rule, its glob compiled. */
export interface CompiledRule {
  glob: CompiledGlob;
  name: string;
  labels: [string, string][];
}

/** The include, exclude and mapping globs of a remote, compiled once. */
export interface CompiledNameRules {
  include: CompiledGlob[];
  exclude: CompiledGlob[];
  rules: CompiledRule[];
  /** No include, exclude or rule: the path needs no look. */
  plain: boolean;
}

/**
 * Compiles a remote's include, exclude and mapping globs.
 *
 * @throws {RangeError} on a bad glob (the message names the pattern)
 */
export function compileNameRules(opts: NameMapperOptions): CompiledNameRules {
  const include = opts.include.map((g) => compileGlob(g));
  const exclude = opts.exclude.map((g) => compileGlob(g));
  const rules = opts.mapping.map((r) => ({
    glob: compileGlob(r.match),
    name: r.name,
    labels: Object.entries(r.labels),
  }));
  return { include, exclude, rules, plain: include.length + exclude.length + rules.length === 0 };
}

const TEMPLATE_REF = /\$(\d+)/g;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const utf8 = new TextEncoder();
const NAME_LABEL = utf8.encode("__name__");
const fromUtf8 = new TextDecoder();

/** Maps Graphite names (tags included) to sorted, unique, encoded label sets, or excludes them. */
export class NameMapper {
  /** The labels of the last name mapped. */
  readonly built = new LabelSetBuilder();
  #style: NameStyle;
  /** Plain (no include, exclude or rule): the path is never decoded. */
  #rules: CompiledNameRules;

  /** @throws {RangeError} on a bad glob (the message names the pattern) */
  constructor(opts: NameMapperOptions) {
    this.#style = opts.names;
    this.#rules = compileNameRules(opts);
  }

  /**
   * Maps the Graphite name `src[from, to)` (UTF-8: `path` or `path;k=v;...`) into `built`: its
   * labels, `__name__` among them, sorted by name, empty ones left out, a tag named like a rule's
   * label or `__name__` replaced by it. False when include/exclude leave the series out.
   *
   * @example
   * ```ts
   * const m = new NameMapper({ names: "sanitized", include: [], exclude: [], mapping: [] });
   * const name = new TextEncoder().encode("servers.web-01.cpu;dc=east");
   * m.map(name, 0, name.length); // m.built.out: __name__="servers_web_01_cpu", dc="east"
   * ```
   */
  map(src: Uint8Array, from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      if (src[i] < 0x80) continue;
      // not ASCII: as TextDecoder reads it (a bad sequence becomes U+FFFD), in valid UTF-8
      src = utf8.encode(fromUtf8.decode(src.subarray(from, to)));
      from = 0;
      to = src.length;
      break;
    }
    let semi = from;
    while (semi < to && src[semi] !== SEMICOLON) semi++;
    let metric: string | null = null;
    let rule: CompiledRule | null = null;
    let captures: string[] = [];
    const { include, exclude, rules, plain } = this.#rules;
    if (!plain) {
      const parts = fromUtf8.decode(src.subarray(from, semi)).split(".");
      if (include.length > 0 && !include.some((g) => matchParts(g, parts))) return false;
      if (exclude.some((g) => matchParts(g, parts))) return false;
      for (const r of rules) {
        const got = capture(r.glob, parts);
        if (got === null) continue;
        rule = r;
        captures = got;
        metric = fill(r.name, captures) || null;
        break;
      }
    }
    const b = this.built;
    const raw = this.#style === "raw";
    b.reset();
    for (let tag = semi + 1; tag < to;) {
      let end = tag;
      while (end < to && src[end] !== SEMICOLON) end++;
      let eq = tag;
      while (eq < end && src[eq] !== EQUALS) eq++;
      if (eq > tag && eq < end - 1) {
        const key = b.mark();
        b.put(src, tag, eq, raw ? Put.Copy : Put.LabelName);
        const value = b.mark();
        b.put(src, eq + 1, end, Put.Copy);
        b.label(key, value);
      }
      tag = end + 1;
    }
    if (rule !== null) {
      for (const [name, template] of rule.labels) {
        const key = b.mark();
        b.putText(name, Put.Copy);
        const value = b.mark();
        b.putText(fill(template, captures), Put.Copy);
        b.label(key, value);
      }
    }
    const key = b.mark();
    b.put(NAME_LABEL, 0, NAME_LABEL.length, Put.Copy);
    const value = b.mark();
    const how = raw ? Put.Copy : Put.MetricName;
    if (metric === null) b.put(src, from, semi, how);
    else b.putText(metric, how);
    b.label(key, value);
    b.finish();
    return true;
  }
}

/** A rule's template with `$n` replaced by the n-th captured segment. */
export function fill(template: string, captures: readonly string[]): string {
  return template.replace(TEMPLATE_REF, (_m, n) => captures[Number(n) - 1] ?? "");
}

/** True when the path's segments match the glob. */
export function matchParts(glob: CompiledGlob, parts: readonly string[]): boolean {
  return capture(glob, parts) !== null;
}

/** The segments matched by the glob's non-literal segments, or null when it does not match. */
export function capture(glob: CompiledGlob, parts: readonly string[]): string[] | null {
  outer: for (const matchers of glob.alternatives) {
    if (matchers.length !== parts.length) continue;
    const captures: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const m: SegmentMatcher = matchers[i];
      if (!m.test(parts[i])) continue outer;
      if (m.kind !== "literal") captures.push(parts[i]);
    }
    return captures;
  }
  return null;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** True for a label name the 1.0 spec accepts (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}
