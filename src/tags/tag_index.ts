// The tag database carbonado serves itself: every tagged series it holds (files named in the
// series log, series in the cache, series registered through /tags/tagSeries), indexed as
// graphite-web's TagDB indexes them (graphite/tags/redis.py): tag -> value -> series. Answers
// findSeries, the tag and value lists and auto-completion with graphite-web's semantics.

import type { StatSend, StatSource } from "../stats/sample.ts";
import { matches, matchesEmpty, parseTagQuery, pythonRegex, type TagExpr } from "./tag_expr.ts";
import { parseSeries } from "./tagged_name.ts";

/** Most series the index holds; further ones are counted and left out. */
export const MAX_TAGGED_SERIES = 10_000_000;
/** graphite-web's TAGDB_AUTOCOMPLETE_LIMIT. */
export const AUTOCOMPLETE_LIMIT = 100;

/** Python's string order (code points), which UTF-16 order breaks only above U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

const sorted = (values: Iterable<string>) => [...values].sort(compareCodePoints);

/** An in-memory index of tagged series. */
export class TagIndex implements StatSource {
  /** Tags of each series by its canonical name. */
  #series = new Map<string, Map<string, string>>();
  /** tag -> value -> canonical names. */
  #byTag = new Map<string, Map<string, Set<string>>>();
  #dropped = 0;
  #max: number;

  constructor(maxSeries = MAX_TAGGED_SERIES) {
    this.#max = maxSeries;
  }

  /** Series held. */
  get size(): number {
    return this.#series.size;
  }

  /** True when the canonical name is held. */
  has(name: string): boolean {
    return this.#series.has(name);
  }

  /**
   * Adds a series by name (any form: it is canonicalized); returns its canonical name, or null
   * when the name does not parse as a tagged series (graphite-web's TaggedSeries.parse raises).
   * Nothing is added when the index is full (counted).
   */
  add(name: string): string | null {
    const parsed = parseSeries(name);
    if (parsed === null) return null;
    const canonical = canonicalOf(parsed.path, parsed.tags);
    if (this.#series.has(canonical)) return canonical;
    if (this.#series.size >= this.#max) {
      this.#dropped++;
      return canonical;
    }
    this.#series.set(canonical, parsed.tags);
    for (const [tag, value] of parsed.tags) {
      let values = this.#byTag.get(tag);
      if (!values) this.#byTag.set(tag, values = new Map());
      let names = values.get(value);
      if (!names) values.set(value, names = new Set());
      names.add(canonical);
    }
    return canonical;
  }

  /** Removes a series by name; returns true when it was held. */
  delete(name: string): boolean {
    const parsed = parseSeries(name);
    if (parsed === null) return false;
    const canonical = canonicalOf(parsed.path, parsed.tags);
    const tags = this.#series.get(canonical);
    if (!tags) return false;
    this.#series.delete(canonical);
    for (const [tag, value] of tags) {
      const values = this.#byTag.get(tag)!;
      const names = values.get(value)!;
      names.delete(canonical);
      if (names.size === 0) values.delete(value);
      if (values.size === 0) this.#byTag.delete(tag);
    }
    return true;
  }

  /** Every canonical name held. */
  names(): IterableIterator<string> {
    return this.#series.keys();
  }

  /**
   * The series matching every expression, sorted (graphite-web's findSeries).
   *
   * @throws {TagExprError} for a bad expression or one that selects nothing
   */
  findSeries(exprs: readonly string[]): string[] {
    return sorted(this.#find(parseTagQuery(exprs)));
  }

  #find(query: TagExpr[]): string[] {
    // the selecting expression with the fewest candidates (an `=` one when there is one)
    let best: Set<string>[] | null = null;
    let bestSize = Infinity;
    for (const e of query) {
      if (matchesEmpty(e)) continue;
      const values = this.#byTag.get(e.tag);
      if (!values) return [];
      const sets: Set<string>[] = [];
      if (e.op === "=") {
        const names = values.get(e.spec);
        if (names) sets.push(names);
      } else {
        for (const [value, names] of values) if (matches(e, value)) sets.push(names);
      }
      const size = sets.reduce((n, s) => n + s.size, 0);
      if (size < bestSize) {
        best = sets;
        bestSize = size;
      }
    }
    const out: string[] = [];
    for (const names of best ?? []) {
      for (const name of names) {
        const tags = this.#series.get(name)!;
        if (query.every((e) => matches(e, tags.get(e.tag) ?? ""))) out.push(name);
      }
    }
    return out;
  }

  /** `[{tag}]`, sorted, filtered by a regex matched from the start, at most `limit`. */
  listTags(filter?: string | null, limit?: number | null): { tag: string }[] {
    const re = filter ? pythonRegex(filter) : null;
    const tags = sorted([...this.#byTag.keys()].filter((t) => re === null || re.test(t)));
    return (limit ? tags.slice(0, limit) : tags).map((tag) => ({ tag }));
  }

  /** `{tag, values: [{value, count}]}` for one tag, or null when no series has it. */
  getTag(
    tag: string,
    filter?: string | null,
    limit?: number | null,
  ): { tag: string; values: { value: string; count: number }[] } | null {
    const values = this.#byTag.get(tag);
    if (!values) return null;
    const re = filter ? pythonRegex(filter) : null;
    const list = sorted([...values.keys()].filter((v) => re === null || re.test(v)));
    return {
      tag,
      values: (limit ? list.slice(0, limit) : list).map((value) => ({
        value,
        count: values.get(value)!.size,
      })),
    };
  }

  /** graphite-web's BaseTagDB.auto_complete_tags. */
  autoCompleteTags(exprs: readonly string[], prefix = "", limit = AUTOCOMPLETE_LIMIT): string[] {
    if (exprs.length === 0) {
      return sorted([...this.#byTag.keys()].filter((t) => t.startsWith(prefix))).slice(0, limit);
    }
    const query = parseTagQuery(exprs);
    const searched = new Set(query.map((e) => e.tag));
    const found = new Set<string>();
    for (const name of this.#find(query)) {
      for (const tag of this.#series.get(name)!.keys()) {
        if (!searched.has(tag) && tag.startsWith(prefix)) found.add(tag);
      }
    }
    return sorted(found).slice(0, limit);
  }

  /** graphite-web's BaseTagDB.auto_complete_values. */
  autoCompleteValues(
    exprs: readonly string[],
    tag: string,
    prefix = "",
    limit = AUTOCOMPLETE_LIMIT,
  ): string[] {
    if (exprs.length === 0) {
      const values = this.#byTag.get(tag);
      if (!values) return [];
      return sorted([...values.keys()].filter((v) => v.startsWith(prefix))).slice(0, limit);
    }
    const found = new Set<string>();
    for (const name of this.#find(parseTagQuery([...exprs, `${tag}!=`]))) {
      const value = this.#series.get(name)!.get(tag);
      if (value !== undefined && value.startsWith(prefix)) found.add(value);
    }
    return sorted(found).slice(0, limit);
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_tags_series",
      help: "Tagged series in the tag index.",
      type: "gauge",
      value: this.#series.size,
      carbon: "tags.series",
    });
    send({
      name: "carbonado_tags_series_dropped_total",
      help: "Tagged series left out of the tag index because it was full.",
      type: "counter",
      value: this.#dropped,
      carbon: "tags.seriesDropped",
    });
  }
}

/** The canonical name from parsed tags (graphite-web's TaggedSeries.format). */
function canonicalOf(path: string, tags: Map<string, string>): string {
  const parts: string[] = [];
  for (const [tag, value] of tags) if (tag !== "name") parts.push(`;${tag}=${value}`);
  return path + parts.sort(compareCodePoints).join("");
}
