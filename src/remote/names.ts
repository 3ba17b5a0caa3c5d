// Graphite names to Prometheus labels, per remote: which series are sent (include and exclude
// globs, in the spirit of write_relabel_configs), what `__name__` becomes (the path with every
// byte outside [a-zA-Z0-9_:] replaced by `_`, or the raw dotted path), Graphite tags `;k=v` as
// labels, and optional mapping rules in the spirit of graphite_exporter's: a glob, the name to
// give it, and labels taken from the segments it matched (wave2.md 5.1). Computed once per
// series, never per sample.

import { type CompiledGlob, compileGlob, type SegmentMatcher } from "../index/glob.ts";
import { compareBytes } from "./write_request.ts";

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

/** A label as [name, value]. */
export type Label = readonly [string, string];

interface CompiledRule {
  glob: CompiledGlob;
  name: string;
  labels: [string, string][];
}

const TEMPLATE_REF = /\$(\d+)/g;

/** Maps Graphite names (tags included) to sorted, unique label sets, or to null when excluded. */
export class NameMapper {
  #style: NameStyle;
  #include: CompiledGlob[];
  #exclude: CompiledGlob[];
  #rules: CompiledRule[];
  /** No include, exclude or rule: an untagged name maps straight to its `__name__`. */
  #plain: boolean;

  /** @throws {RangeError} on a bad glob (the message names the pattern) */
  constructor(opts: NameMapperOptions) {
    this.#style = opts.names;
    this.#include = opts.include.map((g) => compileGlob(g));
    this.#exclude = opts.exclude.map((g) => compileGlob(g));
    this.#rules = opts.mapping.map((r) => ({
      glob: compileGlob(r.match),
      name: r.name,
      labels: Object.entries(r.labels),
    }));
    this.#plain = this.#include.length + this.#exclude.length + this.#rules.length === 0;
  }

  /**
   * The labels of the Graphite series `name` (`path` or `path;k=v;...`), sorted by name with
   * `__name__` among them, or null when include/exclude leave it out.
   *
   * @example
   * ```ts
   * const m = new NameMapper({ names: "sanitized", include: [], exclude: [], mapping: [] });
   * m.labels("servers.web-01.cpu;dc=east"); // [["__name__", "servers_web_01_cpu"], ["dc", "east"]]
   * ```
   */
  labels(name: string): Label[] | null {
    const semi = name.indexOf(";");
    const path = semi < 0 ? name : name.slice(0, semi);
    if (semi < 0 && this.#plain) {
      return [["__name__", this.#style === "raw" ? path : sanitizeMetricName(path)]];
    }
    const parts = path.split(".");
    if (this.#include.length > 0 && !this.#include.some((g) => matchParts(g, parts))) return null;
    if (this.#exclude.some((g) => matchParts(g, parts))) return null;
    const out = new Map<string, string>();
    if (semi >= 0) {
      for (const tag of name.slice(semi + 1).split(";")) {
        const eq = tag.indexOf("=");
        if (eq <= 0 || eq === tag.length - 1) continue;
        const key = this.#style === "raw" ? tag.slice(0, eq) : sanitizeLabelName(tag.slice(0, eq));
        out.set(key, tag.slice(eq + 1));
      }
    }
    let metric = path;
    for (const rule of this.#rules) {
      const captures = capture(rule.glob, parts);
      if (captures === null) continue;
      const fill = (template: string) =>
        template.replace(TEMPLATE_REF, (_m, n) => captures[Number(n) - 1] ?? "");
      metric = fill(rule.name) || path;
      for (const [key, template] of rule.labels) out.set(key, fill(template));
      break;
    }
    out.set("__name__", this.#style === "raw" ? metric : sanitizeMetricName(metric));
    const labels: Label[] = [];
    for (const [k, v] of out) if (v !== "") labels.push([k, v]);
    return labels.sort((a, b) => compareBytes(a[0], b[0]));
  }
}

/** True when the path's segments match the glob. */
function matchParts(glob: CompiledGlob, parts: readonly string[]): boolean {
  return capture(glob, parts) !== null;
}

/** The segments matched by the glob's non-literal segments, or null when it does not match. */
function capture(glob: CompiledGlob, parts: readonly string[]): string[] | null {
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

/**
 * A metric name the 1.0 spec accepts: every byte (of the UTF-8 form) outside `[a-zA-Z0-9_:]`
 * becomes `_`, and a leading digit gets `_` in front (`café.p99` → `caf___p99`).
 */
export function sanitizeMetricName(name: string): string {
  return sanitize(name, true);
}

/** A label name the 1.0 spec accepts: as a metric name, and `:` becomes `_` too. */
export function sanitizeLabelName(name: string): string {
  return sanitize(name, false);
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NON_ASCII = /[\u0080-\uffff]/;

function sanitize(name: string, colon: boolean): string {
  if ((colon ? METRIC_NAME : LABEL_NAME).test(name)) return name;
  if (!NON_ASCII.test(name)) {
    // one byte per character: a regex replace does it
    const out = name.replace(colon ? /[^a-zA-Z0-9_:]/g : /[^a-zA-Z0-9_]/g, "_");
    const first = out.charCodeAt(0);
    return first >= 0x30 && first <= 0x39 ? "_" + out : out;
  }
  let out = "";
  let changed = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c === 0x5f || (colon && c === 0x3a);
    if (ok) {
      out += name[i];
      continue;
    }
    changed = true;
    // one `_` per UTF-8 byte of the character
    if (c < 0x80) out += "_";
    else if (c < 0x800) out += "__";
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(name.charCodeAt(i + 1))) {
      out += "____";
      i++;
    } else out += "___";
  }
  const first = out.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) return "_" + out;
  return changed ? out : name;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** True for a label name the 1.0 spec accepts (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}
