// One remote's view of the series in the log: WAL reference → Graphite name → the Prometheus
// series it is sent as (labels encoded once, a hash that picks its shard, and the newest
// timestamp already sent, for the out-of-order filter). Two Graphite names that map to the same
// labels share one output series, so the filter and the shard are those of what the remote
// sees. Series the head dropped are forgotten when a checkpoint shows they are gone.

import { type NameMapper } from "./names.ts";
import type { SnapshotSeries } from "./state.ts";
import { type EncodableSeries, encodeLabels } from "./write_request.ts";

/** A series as the remote sees it. */
export class OutSeries implements EncodableSeries {
  readonly labels: Uint8Array;
  /** Picks the shard: `hash % shards`, so one series always goes through one shard. */
  readonly hash: number;
  readonly key: string;
  /** Newest timestamp (ms) put in a request so far; -Infinity before the first. */
  newest = -Infinity;
  /** WAL references mapped to it. */
  refs = 0;
  stamp = 0;
  size = 0;
  pos = 0;

  constructor(labels: Uint8Array, key: string) {
    this.labels = labels;
    this.key = key;
    this.hash = fnv1a(key);
  }
}

interface RefEntry {
  name: string;
  /** Segment of the record that introduced it (at most). */
  since: number;
  /** null: include/exclude leave the series out. */
  out: OutSeries | null;
}

/**
 * References below this are looked up in an array rather than a Map (the head hands them out
 * from 1 upward: a dense array, 8 bytes a reference at most, 32 MiB at this bound).
 */
const FAST_REFS = 1 << 22;

/** The series table of one remote. */
export class SeriesTable {
  #mapper: NameMapper;
  #refs = new Map<number, RefEntry>();
  /** lookup()'s fast path: output series by reference, for references below FAST_REFS. */
  #fast: (OutSeries | null | undefined)[] = [];
  #byKey = new Map<string, OutSeries>();

  constructor(mapper: NameMapper) {
    this.#mapper = mapper;
  }

  /** WAL references known. */
  get size(): number {
    return this.#refs.size;
  }

  /** Output series (distinct label sets) known. */
  get outputs(): number {
    return this.#byKey.size;
  }

  /**
   * Learns a reference from a Series record in segment `since` (a repeated one, from a
   * checkpoint, is a no-op).
   */
  add(ref: number, name: string, since: number): void {
    if (this.#refs.has(ref)) return;
    const labels = this.#mapper.labels(name);
    if (labels === null) {
      this.#refs.set(ref, { name, since, out: null });
      if (ref < FAST_REFS) this.#fast[ref] = null;
      return;
    }
    // the name alone when it is the only label (names hold no NUL byte)
    let key = labels.length === 1 ? labels[0][1] : "";
    if (labels.length > 1) { for (const [k, v] of labels) key += `${k}\u0000${v}\u0000`; }
    let out = this.#byKey.get(key);
    if (out === undefined) {
      out = new OutSeries(encodeLabels(labels), key);
      this.#byKey.set(key, out);
    }
    out.refs++;
    this.#refs.set(ref, { name, since, out });
    if (ref < FAST_REFS) this.#fast[ref] = out;
  }

  /** The output series of a reference: null when excluded, undefined when never seen. */
  lookup(ref: number): OutSeries | null | undefined {
    if (ref < FAST_REFS) return this.#fast[ref];
    const e = this.#refs.get(ref);
    return e === undefined ? undefined : e.out;
  }

  /**
   * Forgets the references introduced up to segment `upTo` that are not in `live` (the series
   * of checkpoint `upTo`, which the reader has passed: the head dropped the others, and their
   * references are never used again). Returns how many.
   */
  forgetExcept(live: ReadonlySet<number>, upTo: number): number {
    let n = 0;
    for (const [ref, e] of this.#refs) {
      if (e.since > upTo || live.has(ref)) continue;
      this.#refs.delete(ref);
      if (ref < FAST_REFS) this.#fast[ref] = undefined;
      n++;
      if (e.out !== null && --e.out.refs === 0) this.#byKey.delete(e.out.key);
    }
    return n;
  }

  /** The table as the snapshot stores it. */
  rows(): SnapshotSeries[] {
    const rows: SnapshotSeries[] = [];
    for (const [ref, e] of this.#refs) {
      rows.push({ ref, name: e.name, newest: e.out?.newest ?? -Infinity });
    }
    return rows;
  }

  /** Loads a snapshot's rows, taken in segment `since`, into an empty table. */
  load(rows: readonly SnapshotSeries[], since: number): void {
    for (const row of rows) {
      this.add(row.ref, row.name, since);
      const out = this.#refs.get(row.ref)!.out;
      if (out !== null && row.newest > out.newest) out.newest = row.newest;
    }
  }
}

/** FNV-1a 32 over a string's UTF-16 code units (stable across restarts: it picks shards). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
