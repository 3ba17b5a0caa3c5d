// What the query side reads: metric names from the disk index and the cache, and series values
// from Whisper files with the cache's points laid over them, so a point is visible the moment
// it is accepted and stays visible while it is being written. A metric with no file yet is
// answered from the cache alone, in the window and step its file will have (storage-schemas);
// so is a metric whose file is damaged (issue 9): its cached points are not hidden, the damage
// is reported by info(), counted, and logged once per file.

import { compileGlob, type GlobOptions } from "../index/glob.ts";
import type { CacheNames } from "../index/cache_names.ts";
import type { FindMatch, NameTrie } from "../index/name_trie.ts";
import { metricPath } from "../storage/metric_path.ts";
import type { StorageAggregation } from "../storage/storage_aggregation.ts";
import type { StorageSchemas } from "../storage/storage_schemas.ts";
import { aggregate, type AggregationType } from "../whisper/aggregate.ts";
import {
  AGGREGATION_METHODS,
  type AggregationMethod,
  decodeHeader,
  encodeHeader,
  type WhisperHeader,
} from "../whisper/format.ts";
import { emptyFetch, type FetchResult, fetchWindow, WhisperFile } from "../whisper/whisper_file.ts";
import { WhisperCorruptionError } from "../whisper/errors.ts";
import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Points, WasmDrain } from "../wasm/drain.ts";
import type { TagDb } from "../tags/tag_db.ts";
import { canonicalName } from "../tags/tagged_name.ts";

const log = new Logger("store");

/** Damaged files remembered (logged once each); past it the list starts over. */
export const MAX_DAMAGED_FILES = 10_000;

/** The parsed storage rules (they give cache-only metrics their future file's shape). */
export interface StorageRules {
  schemas: StorageSchemas;
  aggregation: StorageAggregation;
}

/** A metric's description for `/info/` and carbonlink's get-metadata. */
export interface MetricInfo {
  name: string;
  aggregationMethod: string;
  maxRetention: number;
  xFilesFactor: number;
  archives: { secondsPerPoint: number; points: number; retention: number }[];
  /** False when the metric has no readable file and this is what its file will be. */
  onDisk: boolean;
  /** Set when the metric's file exists but cannot be read: where, and what is wrong. */
  damaged?: { path: string; offset: number; error: string };
}

/** Fetched values of one metric, with what render answers carry about it. */
export interface Series extends FetchResult {
  name: string;
  aggregationMethod: AggregationMethod;
  xFilesFactor: number;
}

/** A find or expand result. */
export interface Matches<T> {
  items: T[];
  /** More than the limit matched: the caller answers with an error, not a partial list. */
  limitReached: boolean;
}

/** Options of {@linkcode MetricStore}. */
export interface MetricStoreOptions {
  /** The data directory, or null when whisper is disabled (cache only). */
  dataDir: string | null;
  glob: GlobOptions;
  /** `[whisper] hash-filenames` (default true). */
  hashFilenames?: boolean;
  /** The tag database: tagged names are found through it, not through the name tries. */
  tags?: TagDb;
}

/** Names, values and metadata of every metric, on disk or only in the cache. */
export class MetricStore implements StatSource {
  #cache: WasmDrain;
  #damaged = new Set<string>();
  #damageFound = 0;
  #disk?: { trie: NameTrie };
  #cacheNames: CacheNames;
  #opts: MetricStoreOptions;
  #rules: StorageRules;

  constructor(
    cache: WasmDrain,
    cacheNames: CacheNames,
    disk: { trie: NameTrie } | undefined,
    rules: StorageRules,
    opts: MetricStoreOptions,
  ) {
    this.#cache = cache;
    this.#cacheNames = cacheNames;
    this.#disk = disk;
    this.#rules = rules;
    this.#opts = opts;
  }

  /** New storage rules (SIGHUP). */
  setRules(rules: StorageRules): void {
    this.#rules = rules;
  }

  #tries(): NameTrie[] {
    this.#cacheNames.sync();
    const tries = [this.#cacheNames.trie];
    if (this.#disk) tries.unshift(this.#disk.trie);
    return tries;
  }

  /**
   * Branches and metrics matching a Graphite glob, sorted by path (a path that is both comes
   * twice, branch first, as in graphite-web).
   *
   * @throws {RangeError} for a pattern the glob compiler refuses
   */
  find(pattern: string, maxResults: number): Matches<FindMatch> {
    const tagged = this.#tagged(pattern);
    if (tagged !== undefined) {
      // graphite-web's finders look a tagged name up as it is (no globs in tagged names)
      return {
        items: tagged === null ? [] : [{ path: pattern, isLeaf: true }],
        limitReached: false,
      };
    }
    const glob = compileGlob(pattern, this.#opts.glob);
    const seen = new Map<string, FindMatch>();
    for (const trie of this.#tries()) {
      const r = trie.find(glob, { maxResults });
      if (r.limitReached) return { items: [], limitReached: true };
      for (const m of r.matches) seen.set(`${m.isLeaf ? 1 : 0}${m.path}`, m);
    }
    if (seen.size > maxResults) return { items: [], limitReached: true };
    const items = [...seen.values()].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : Number(a.isLeaf) - Number(b.isLeaf)
    );
    return { items, limitReached: false };
  }

  /**
   * The metric names matching a glob, sorted.
   *
   * @throws {RangeError} for a pattern the glob compiler refuses
   */
  expand(pattern: string, maxResults: number): Matches<string> {
    const tagged = this.#tagged(pattern);
    if (tagged !== undefined) {
      return { items: tagged === null ? [] : [tagged], limitReached: false };
    }
    const glob = compileGlob(pattern, this.#opts.glob);
    const names = new Set<string>();
    for (const trie of this.#tries()) {
      const r = trie.expand(glob, { maxResults });
      if (r.limitReached) return { items: [], limitReached: true };
      for (const n of r.names) names.add(n);
    }
    if (names.size > maxResults) return { items: [], limitReached: true };
    return { items: [...names].sort(), limitReached: false };
  }

  /**
   * For a tagged name (holding `;`, not a `_tagged.` file path): its canonical name when the
   * series is known (tag database or cache), else null; undefined for any other pattern.
   */
  #tagged(pattern: string): string | null | undefined {
    if (!pattern.includes(";") || pattern.startsWith("_tagged.")) return undefined;
    this.#cacheNames.sync();
    const name = canonicalName(pattern);
    const known = this.#opts.tags?.index.has(name) || this.#cache.lookup(name) !== 0;
    return known ? name : null;
  }

  /**
   * The tagged series matching seriesByTag expressions, sorted (the cache's new series
   * included).
   *
   * @throws {TagExprError} for a bad expression
   */
  seriesByTag(exprs: readonly string[]): string[] {
    this.#cacheNames.sync();
    return this.#opts.tags?.index.findSeries(exprs) ?? [];
  }

  /** The tag database, up to date with the cache's new series; undefined without one. */
  tagDb(): TagDb | undefined {
    this.#cacheNames.sync();
    return this.#opts.tags;
  }

  /** Every metric name (`/metrics/list/`). */
  *names(): Generator<string> {
    const tries = this.#tries();
    const disk = tries.length > 1 ? tries[0] : undefined;
    if (disk) yield* disk.names();
    for (const name of tries.at(-1)!.names()) if (!disk?.has(name)) yield name;
  }

  /**
   * The points a reader should see for a metric in the cache (popped-but-unconfirmed, then
   * cached; one per second, last arrival wins, in order of first arrival), or null.
   */
  cachePoints(name: string): Points | null {
    const series = this.#cache.lookup(name);
    if (series === 0) return null;
    const points = this.#cache.points(series);
    // a series stays in the table, empty, after its points are written
    return points.timestamps.length === 0 ? null : points;
  }

  /**
   * A metric's values over `[from, until]` exactly as whisper.fetch returns them from its file,
   * with the cache's points written over them as graphite-web merges carbonlink data: bucketed
   * at the finest archive's step (the latest timestamp wins a bucket) and, when the window is
   * read from a coarser archive, consolidated with the file's aggregation method. A metric with
   * no file is answered from the cache in the window its file will have. Null when the metric
   * is unknown or the window is entirely outside its retention.
   *
   * @throws {WhisperCorruptionError} when the file is damaged
   */
  fetch(name: string, from: number, until: number, now: number): Series | null {
    const fromFile = this.#fetchFile(name, from, until, now);
    let header: WhisperHeader;
    let result: FetchResult | null;
    if (fromFile) {
      ({ header, result } = fromFile);
    } else {
      header = this.#futureFile(name);
      const window = fetchWindow(header, from, { untilTime: until, now });
      result = window && emptyFetch(window);
    }
    const points = this.cachePoints(name);
    if (result === null || (!fromFile && points === null)) return null;
    if (points) overlay(result, points, header);
    return {
      name,
      ...result,
      aggregationMethod: header.aggregationMethod,
      xFilesFactor: header.xFilesFactor,
    };
  }

  /** The file's header and values; undefined when it has no file or a damaged one. */
  #fetchFile(
    name: string,
    from: number,
    until: number,
    now: number,
  ): { header: WhisperHeader; result: FetchResult | null } | undefined {
    try {
      const file = this.#open(name);
      if (!file) return undefined;
      try {
        return { header: file.header, result: file.fetch(from, { untilTime: until, now }) };
      } finally {
        file.close();
      }
    } catch (err) {
      if (!(err instanceof WhisperCorruptionError)) throw err;
      this.#noteDamage(err);
      return undefined;
    }
  }

  /**
   * Header information, from the file or, for a cache-only metric, from the storage rules. A
   * damaged file is described as a cache-only metric (the shape fetch() answers in), with the
   * damage.
   */
  info(name: string): MetricInfo | null {
    let file: WhisperFile | undefined;
    let damaged: MetricInfo["damaged"];
    try {
      file = this.#open(name);
    } catch (err) {
      if (!(err instanceof WhisperCorruptionError)) throw err;
      this.#noteDamage(err);
      damaged = { path: err.path, offset: err.offset, error: err.message };
    }
    if (file) {
      try {
        return describe(name, file.header, true);
      } finally {
        file.close();
      }
    }
    if (damaged) return { ...describe(name, this.#futureFile(name), false), damaged };
    if (this.cachePoints(name) === null) return null;
    return describe(name, this.#futureFile(name), false);
  }

  /** Counts and logs a damaged file, once per file. */
  #noteDamage(err: WhisperCorruptionError): void {
    if (this.#damaged.has(err.path)) return;
    if (this.#damaged.size >= MAX_DAMAGED_FILES) this.#damaged.clear();
    this.#damaged.add(err.path);
    this.#damageFound++;
    log.warn("damaged whisper file: answering from the cache", {
      path: err.path,
      offset: err.offset,
      error: err.message,
    });
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_query_damaged_files_total",
      help: "Whisper files found damaged by queries (each counted and logged once); " +
        "their metrics are answered from the cache.",
      type: "counter",
      value: this.#damageFound,
      carbon: "carbonserver.damagedFiles",
    });
  }

  /** The metric's file opened for reading, or undefined when it has none. */
  #open(name: string): WhisperFile | undefined {
    if (this.#opts.dataDir === null) return undefined;
    try {
      return WhisperFile.open(
        metricPath(this.#opts.dataDir, name, this.#opts.hashFilenames ?? true),
      );
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof RangeError) return undefined;
      throw err;
    }
  }

  /** The header the metric's file will get when the persister creates it. */
  #futureFile(name: string): WhisperHeader {
    const schema = this.#rules.schemas.match(name);
    const aggregation = this.#rules.aggregation.match(name);
    const { bytes, fileSize } = encodeHeader(schema.retentions, aggregation);
    return decodeHeader(bytes, { fileSize, path: name });
  }
}

function describe(name: string, header: WhisperHeader, onDisk: boolean): MetricInfo {
  return {
    name,
    aggregationMethod: header.aggregationMethod,
    maxRetention: header.maxRetention,
    xFilesFactor: header.xFilesFactor,
    archives: header.archives.map((a) => ({
      secondsPerPoint: a.secondsPerPoint,
      points: a.points,
      retention: a.retention,
    })),
    onDisk,
  };
}

/**
 * Writes cache points into a fetch result as graphite-web's merge_with_cache does: one value per
 * finest-archive step (the latest timestamp wins), consolidated into the result's coarser step
 * with the aggregation method when they differ. A cache value replaces the file's.
 */
function overlay(result: FetchResult, points: Points, header: WhisperHeader): void {
  const { fromTime, untilTime, step, values } = result;
  const rawStep = header.archives[0].secondsPerPoint;
  const buckets = new Map<number, { ts: number; value: number }>();
  for (let i = 0; i < points.timestamps.length; i++) {
    const ts = points.timestamps[i];
    const bucket = ts - (ts % rawStep);
    const prev = buckets.get(bucket);
    if (prev === undefined || ts >= prev.ts) buckets.set(bucket, { ts, value: points.values[i] });
  }
  const bySlot = new Map<number, number[]>();
  for (const [bucket, { value }] of buckets) {
    const aligned = bucket - (bucket % step);
    if (aligned < fromTime || aligned >= untilTime) continue;
    const slot = (aligned - fromTime) / step;
    const list = bySlot.get(slot);
    if (list) list.push(value);
    else bySlot.set(slot, [value]);
  }
  const type = (AGGREGATION_METHODS.indexOf(header.aggregationMethod) + 1) as AggregationType;
  for (const [slot, list] of bySlot) {
    values[slot] = list.length === 1 ? list[0] : aggregate(type, {
      values: Float64Array.from(list),
      known: new Uint8Array(list.length).fill(1),
      count: list.length,
    });
  }
}
