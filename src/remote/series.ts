// One remote's view of the series in the log: WAL reference → Graphite name → the Prometheus
// series it is sent as (labels encoded once, a hash that picks its shard, and the newest
// timestamp already sent, for the out-of-order filter). Two Graphite names that map to the same
// labels share one output series, so the filter and the shard are those of what the remote
// sees. Series the head dropped are forgotten when a checkpoint shows they are gone.
//
// A new series costs no string and no object besides its output series: its name's bytes go
// from the Series record into one growing buffer (for the snapshot), its labels from the name
// mapper into a slab, and the output series are found again by their labels' bytes in a hash
// table chained through the series themselves.

import { LabelSlabs } from "./label_set.ts";
import { type NameMapper } from "./names.ts";
import type { SnapshotSeries } from "./state.ts";
import type { EncodableSeries } from "./write_request.ts";

/** A series as the remote sees it. */
export class OutSeries implements EncodableSeries {
  readonly labels: Uint8Array;
  /** Picks the shard: `hash % shards`, so one series always goes through one shard. */
  readonly hash: number;
  /** Newest timestamp (ms) put in a request so far; -Infinity before the first. */
  newest = -Infinity;
  /** WAL references mapped to it. */
  refs = 0;
  /** The next output series in its hash bucket. */
  next: OutSeries | null = null;
  stamp = 0;
  size = 0;
  pos = 0;

  constructor(labels: Uint8Array, hash: number) {
    this.labels = labels;
    this.hash = hash;
  }
}

/** A reference at or above FAST_REFS (never handed out by carbonado's head in practice). */
interface FarRef {
  since: number;
  at: number;
  len: number;
  out: OutSeries | null;
}

/**
 * References below this are kept in arrays rather than a Map (the head hands them out from 1
 * upward: dense arrays, 20 bytes a reference at most, 80 MiB at this bound).
 */
const FAST_REFS = 1 << 22;
/** Per reference below FAST_REFS in #meta: segment introduced, name's start, name's length. */
const META = 3;
/** Forgotten names are squeezed out of the name buffer past this many bytes (and half of it). */
const COMPACT_BYTES = 1 << 20;
const FIRST_BUCKETS = 1024;

/** The series table of one remote. */
export class SeriesTable {
  #mapper: NameMapper;
  /** lookup()'s fast path: output series by reference, for references below FAST_REFS. */
  #fast: (OutSeries | null | undefined)[] = [];
  #meta = new Uint32Array(0);
  #far = new Map<number, FarRef>();
  #size = 0;
  /** The Graphite names known (UTF-8, back to back); #dead bytes of them forgotten. */
  #names = new Uint8Array(1 << 16);
  #namesUsed = 0;
  #dead = 0;
  /** Output series by label hash, chained through OutSeries.next. */
  #buckets: (OutSeries | null)[] = new Array(FIRST_BUCKETS).fill(null);
  #outputs = 0;
  #slabs = new LabelSlabs();

  constructor(mapper: NameMapper) {
    this.#mapper = mapper;
  }

  /** WAL references known. */
  get size(): number {
    return this.#size;
  }

  /** Output series (distinct label sets) known. */
  get outputs(): number {
    return this.#outputs;
  }

  /**
   * Learns a reference from a Series record in segment `since`, its Graphite name (UTF-8) being
   * `src[from, to)` (a repeated reference, from a checkpoint, is a no-op).
   */
  add(ref: number, src: Uint8Array, from: number, to: number, since: number): void {
    if (this.lookup(ref) !== undefined) return;
    const at = this.#keepName(src, from, to);
    const out = this.#mapper.map(src, from, to) ? this.#output() : null;
    if (out !== null) out.refs++;
    this.#size++;
    if (ref >= FAST_REFS) {
      this.#far.set(ref, { since, at, len: to - from, out });
      return;
    }
    this.#fast[ref] = out;
    if (this.#meta.length < (ref + 1) * META) {
      const meta = new Uint32Array(Math.max((ref + 1) * META, this.#meta.length * 2));
      meta.set(this.#meta);
      this.#meta = meta;
    }
    const m = ref * META;
    this.#meta[m] = since;
    this.#meta[m + 1] = at;
    this.#meta[m + 2] = to - from;
  }

  /** The output series of a reference: null when excluded, undefined when never seen. */
  lookup(ref: number): OutSeries | null | undefined {
    if (ref < FAST_REFS) return this.#fast[ref];
    return this.#far.get(ref)?.out;
  }

  /**
   * Forgets the references introduced up to segment `upTo` that are not in `live` (the series
   * of checkpoint `upTo`, which the reader has passed: the head dropped the others, and their
   * references are never used again). Returns how many.
   */
  forgetExcept(live: ReadonlySet<number>, upTo: number): number {
    let n = 0;
    const fast = this.#fast;
    const meta = this.#meta;
    for (let ref = 0; ref < fast.length; ref++) {
      const out = fast[ref];
      if (out === undefined || meta[ref * META] > upTo || live.has(ref)) continue;
      fast[ref] = undefined;
      this.#dead += meta[ref * META + 2];
      this.#release(out);
      n++;
    }
    for (const [ref, e] of this.#far) {
      if (e.since > upTo || live.has(ref)) continue;
      this.#far.delete(ref);
      this.#dead += e.len;
      this.#release(e.out);
      n++;
    }
    this.#size -= n;
    if (this.#dead > COMPACT_BYTES && this.#dead * 2 > this.#namesUsed) this.#compactNames();
    return n;
  }

  /** The table as the snapshot stores it (names are views valid until the table changes). */
  rows(): SnapshotSeries[] {
    const rows: SnapshotSeries[] = [];
    const meta = this.#meta;
    for (let ref = 0; ref < this.#fast.length; ref++) {
      const out = this.#fast[ref];
      if (out === undefined) continue;
      const at = meta[ref * META + 1];
      const name = this.#names.subarray(at, at + meta[ref * META + 2]);
      rows.push({ ref, name, newest: out?.newest ?? -Infinity });
    }
    for (const [ref, e] of this.#far) {
      const name = this.#names.subarray(e.at, e.at + e.len);
      rows.push({ ref, name, newest: e.out?.newest ?? -Infinity });
    }
    return rows;
  }

  /** Loads a snapshot's rows, taken in segment `since`, into an empty table. */
  load(rows: readonly SnapshotSeries[], since: number): void {
    for (const row of rows) {
      this.add(row.ref, row.name, 0, row.name.length, since);
      const out = this.lookup(row.ref);
      if (out && row.newest > out.newest) out.newest = row.newest;
    }
  }

  /** The output series of the labels the mapper just built: found, or added. */
  #output(): OutSeries {
    const built = this.#mapper.built;
    const { hash, length } = built;
    const b = hash & (this.#buckets.length - 1);
    for (let o = this.#buckets[b]; o !== null; o = o.next) {
      if (o.hash === hash && o.labels.length === length && sameBytes(o.labels, built.out)) return o;
    }
    const out = new OutSeries(this.#slabs.keep(built.out, length), hash);
    out.next = this.#buckets[b];
    this.#buckets[b] = out;
    if (++this.#outputs > this.#buckets.length) this.#rehash(this.#buckets.length * 2);
    return out;
  }

  /** One reference less to `out`; the last one removes it. */
  #release(out: OutSeries | null): void {
    if (out === null || --out.refs > 0) return;
    const b = out.hash & (this.#buckets.length - 1);
    if (this.#buckets[b] === out) this.#buckets[b] = out.next;
    else {
      let o = this.#buckets[b]!;
      while (o.next !== out) o = o.next!;
      o.next = out.next;
    }
    this.#outputs--;
  }

  #rehash(size: number): void {
    const buckets: (OutSeries | null)[] = new Array(size).fill(null);
    for (let o of this.#buckets) {
      while (o !== null) {
        const next = o.next;
        const b = o.hash & (size - 1);
        o.next = buckets[b];
        buckets[b] = o;
        o = next;
      }
    }
    this.#buckets = buckets;
  }

  /** Appends a name to the name buffer; returns where it starts. */
  #keepName(src: Uint8Array, from: number, to: number): number {
    const at = this.#namesUsed;
    if (at + to - from > this.#names.length) {
      const names = new Uint8Array(Math.max(at + to - from, this.#names.length * 2));
      names.set(this.#names.subarray(0, at));
      this.#names = names;
    }
    const names = this.#names;
    let p = at;
    for (let i = from; i < to; i++) names[p++] = src[i];
    this.#namesUsed = p;
    return at;
  }

  /** Rewrites the name buffer without the forgotten names. */
  #compactNames(): void {
    const old = this.#names;
    this.#names = new Uint8Array(Math.max(1 << 16, (this.#namesUsed - this.#dead) * 2));
    this.#namesUsed = 0;
    this.#dead = 0;
    const meta = this.#meta;
    for (let ref = 0; ref < this.#fast.length; ref++) {
      if (this.#fast[ref] === undefined) continue;
      const at = meta[ref * META + 1];
      meta[ref * META + 1] = this.#keepName(old, at, at + meta[ref * META + 2]);
    }
    for (const e of this.#far.values()) e.at = this.#keepName(old, e.at, e.at + e.len);
  }
}

/** True when `a` equals the first `a.length` bytes of `b`. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
