// Prometheus exposition bodies on the wasm side of the appender (assembly/expfmt.ts): a scrape's
// body is copied into the shared input buffer and parsed in rounds of at most BATCH_RECORDS
// samples; each round's series the target's scrape cache does not know are read by the TS
// reference (src/protocol/exposition.ts), named by the caller (relabeling and target labels
// are the scraper's business) and handed back to be checked, cached and staged; the rare values
// the wasm parser cannot convert exactly are finished here. Nothing of a round is staged once
// sample_limit is passed, and nothing at all on a syntax error: the caller rolls the batch back.

import {
  type ExposedSeries,
  type ExpositionFormat,
  parseExposition,
  parseExpositionValue,
  parseSeries,
} from "../protocol/exposition.ts";
import { REJECT_REASONS } from "../protocol/plaintext.ts";
import type { WasmIngest } from "./ingest.ts";
import type { WasmInstance } from "./instance.ts";

/** How a scrape's body is read and named. */
export interface ExpositionOptions {
  format: ExpositionFormat;
  /** The scrape's time in Unix seconds: every sample's, unless it has its own and honored. */
  timestamp: number;
  honorTimestamps: boolean;
  /** Most samples after metric relabeling (0: no limit); past it nothing is staged. */
  sampleLimit: number;
  /**
   * The Graphite name of a series the scrape cache does not know, or null to drop it (metric
   * relabeling). Throwing fails the scrape with the error's message.
   */
  name(series: ExposedSeries): string | null;
}

/** What a body came to (Prometheus' scrape report figures among them). */
export interface ExpositionCounts {
  /** Samples in the body (scrape_samples_scraped); up to the error when there is one. */
  samples: number;
  /** Samples left after metric relabeling (scrape_samples_post_metric_relabeling). */
  postRelabel: number;
  /** Series new to the cache (scrape_series_added), when the batch held nothing before. */
  seriesAdded: number;
  /** NaN values: counted, not stored (Graphite has no NaN). */
  nan: number;
  /** Samples with their own timestamp older than their series' newest point: left out. */
  outOfOrder: number;
  /** Samples whose series the scrape cache knew. */
  cacheHits: number;
  /** The body does not parse: nothing may be kept. */
  error: string | null;
  /** postRelabel passed sampleLimit: nothing may be kept. */
  limitExceeded: boolean;
}

const encoder = new TextEncoder();
const LF = 0x0a;
const BAD_TIMESTAMP = REJECT_REASONS.indexOf("bad_timestamp");

/** A target's scrape cache in the module: series as exposed -> the names they became. */
export class ScrapeCache {
  #wasm: WasmInstance;
  #ptr: number;
  /** The module's reset count when the cache was made: a reset frees every cache. */
  readonly generation: number;

  constructor(wasm: WasmInstance, ptr: number, generation: number) {
    this.#wasm = wasm;
    this.#ptr = ptr;
    this.generation = generation;
  }

  /** The cache's handle in the module (0 once freed). */
  get ptr(): number {
    return this.#ptr;
  }

  /** Series it holds. */
  get entries(): number {
    return this.#ptr === 0 ? 0 : this.#wasm.ex.scEntries(this.#ptr);
  }

  /** Bytes of memory it holds. */
  get bytes(): number {
    return this.#ptr === 0 ? 0 : this.#wasm.ex.scBytes(this.#ptr);
  }

  /** Frees it (a target went away or its settings changed). */
  free(): void {
    if (this.#ptr !== 0) this.#wasm.ex.scFree(this.#ptr);
    this.#ptr = 0;
  }
}

/** Parses and stages exposition bodies in the wasm module. */
export class ExpositionIngest {
  #wasm: WasmInstance;
  #ingest: WasmIngest;
  #generation = 0;

  constructor(wasm: WasmInstance, ingest: WasmIngest) {
    this.#wasm = wasm;
    this.#ingest = ingest;
  }

  /** The module was reset: every cache is gone. */
  reset(): void {
    this.#generation++;
  }

  /** A new, empty scrape cache. */
  newCache(): ScrapeCache {
    const ptr = this.#wasm.ex.scNew();
    if (ptr === 0) throw new RangeError("Cannot allocate a scrape cache: wasm memory is full");
    return new ScrapeCache(this.#wasm, ptr, this.#generation);
  }

  /** Parses `body` and stages its samples in the open batch (see ExpositionOptions). */
  append(body: Uint8Array, cache: ScrapeCache, opts: ExpositionOptions): ExpositionCounts {
    if (cache.ptr === 0 || cache.generation !== this.#generation) {
      throw new Error("The scrape cache was freed");
    }
    const wasm = this.#wasm;
    const ex = wasm.ex;
    const L = wasm.layout;
    const om = opts.format === "openmetrics";
    const ptr = this.#ingest.inputBuffer(body.length + 1);
    const u8 = wasm.u8;
    u8.set(body, ptr);
    let len = body.length;
    // Prometheus appends a newline to a text body; OpenMetrics must end with `# EOF`
    if (!om && (len === 0 || body[len - 1] !== LF)) u8[ptr + len++] = LF;
    if (!ex.expBegin(cache.ptr, om ? 1 : 0, opts.timestamp, opts.honorTimestamps ? 1 : 0)) {
      throw new RangeError("Cannot parse a scrape: wasm memory is full");
    }
    const createdBefore = ex.batchCreated();
    const counts: ExpositionCounts = {
      samples: 0,
      postRelabel: 0,
      seriesAdded: 0,
      nan: 0,
      outOfOrder: 0,
      cacheHits: 0,
      error: null,
      limitExceeded: false,
    };
    let offset = 0;
    /** Samples before the one whose series failed the scrape, when one did. */
    let samplesBefore = -1;
    while (true) {
      const status = ex.expParse(ptr + offset, len - offset);
      try {
        if (ex.expMisses() > 0) this.#resolve(opts);
      } catch (err) {
        const failed = err as Error & { record: number };
        counts.error = failed.message;
        samplesBefore = ex.expTotal(0) - ex.expRecords() + failed.record;
        break;
      }
      if (ex.expFixups() > 0) this.#fixups(opts.honorTimestamps);
      const post = ex.expTotal(0) - ex.expTotal(2);
      if (opts.sampleLimit > 0 && post > opts.sampleLimit) counts.limitExceeded = true;
      if (status === L.EXP_ERROR) {
        counts.error = parseExposition(body, opts.format).error ??
          `syntax error at byte ${offset + ex.expConsumed()}`;
        break;
      }
      if (!counts.limitExceeded) ex.expStage();
      offset += ex.expConsumed();
      if (status === L.EXP_DONE) break;
    }
    counts.samples = samplesBefore >= 0 ? samplesBefore : ex.expTotal(0);
    counts.postRelabel = counts.samples - ex.expTotal(2);
    counts.nan = ex.expTotal(1);
    counts.outOfOrder = ex.expTotal(3);
    counts.cacheHits = ex.expTotal(4);
    counts.seriesAdded = ex.batchCreated() - createdBefore;
    return counts;
  }

  /** Names the round's misses (the caller's name()) and hands the names to the module. */
  #resolve(opts: ExpositionOptions): void {
    const wasm = this.#wasm;
    const ex = wasm.ex;
    const L = wasm.layout;
    const misses = ex.expMisses();
    const missPtr = ex.expMissPtr();
    const table = ex.expResolvePtr();
    const names = ex.expNamesPtr();
    const batch = ex.batchPtr();
    let used = 0;
    let rows = 0;
    for (let i = 0; i < misses; i++) {
      const view = wasm.view;
      const u8 = wasm.u8;
      const rec = view.getUint32(missPtr + i * 4, true);
      const recPtr = batch + rec * L.REC_SIZE;
      const spanPtr = view.getUint32(recPtr + L.REC_NAME, true);
      const spanLen = view.getUint32(recPtr + L.REC_NAME_LEN, true);
      let name: string | null;
      try {
        name = opts.name(parseSeries(u8.slice(spanPtr, spanPtr + spanLen), opts.format));
      } catch (err) {
        throw Object.assign(err as Error, { record: rec });
      }
      const row = table + rows * L.RESOLVE_SIZE;
      view.setUint32(row, rec, true);
      if (name === null) {
        view.setUint32(row + 12, L.RESOLVE_DROP, true);
      } else {
        if (used + name.length * 3 > L.EXP_NAMES_BYTES) {
          throw new RangeError("More new series in one round than the scrape cache can hold");
        }
        const at = names + used;
        const written =
          encoder.encodeInto(name, u8.subarray(at, names + L.EXP_NAMES_BYTES)).written;
        view.setUint32(row + 4, at, true);
        view.setUint32(row + 8, written, true);
        view.setUint32(row + 12, L.RESOLVE_NAME, true);
        used += written;
      }
      rows++;
    }
    ex.expResolve(rows);
  }

  /** Values (and OpenMetrics timestamps) the module left to the reference parser. */
  #fixups(honorTimestamps: boolean): void {
    const wasm = this.#wasm;
    const ex = wasm.ex;
    const L = wasm.layout;
    const view = wasm.view;
    const u8 = wasm.u8;
    const list = ex.expFixPtr();
    const batch = ex.batchPtr();
    for (let i = 0; i < ex.expFixups(); i++) {
      const f = list + i * L.FIX_SIZE;
      const rec = batch + view.getUint32(f, true) * L.REC_SIZE;
      const token = u8.subarray(
        view.getUint32(f + 4, true),
        view.getUint32(f + 4, true) + view.getUint32(f + 8, true),
      );
      const value = parseExpositionValue(token)!;
      const status = view.getUint32(rec + L.REC_STATUS, true);
      if (view.getUint32(f + 12, true) === L.FIX_VALUE) {
        view.setFloat64(rec + L.REC_VALUE, value, true);
        if (status === L.EXP_FIXUP) view.setUint32(rec + L.REC_STATUS, 0, true);
        continue;
      }
      // an OpenMetrics timestamp: seconds, as Prometheus' int64(ts * 1000)
      if (!honorTimestamps || (status !== 0 && status !== L.EXP_FIXUP && status !== L.EXP_NAN)) {
        continue;
      }
      const ms = Math.trunc(value * 1000);
      if (ms >= 0 && ms < 4294967296000) {
        view.setUint32(rec + L.REC_TS, Math.floor(ms / 1000), true);
      } else {
        view.setUint32(rec + L.REC_STATUS, L.REC_REJECTED + BAD_TIMESTAMP, true);
      }
    }
  }
}
