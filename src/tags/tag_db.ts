// The tag database: the in-memory index (tag_index.ts) kept from the series log (series_log.ts)
// at start, the persister's new files, series registered over HTTP, the cache's new series and
// the disk scan (names it can read: `hash-filenames = false`). What the /tags/* API, the
// seriesByTag renders and the [tags] sender read.

import { Logger } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { TAGGED_DIR } from "../storage/metric_path.ts";
import { SERIES_LOG_FILE, SeriesLog } from "./series_log.ts";
import { TagIndex } from "./tag_index.ts";
import { canonicalName } from "./tagged_name.ts";

const log = new Logger("tags");

/** Options of {@linkcode TagDb}. */
export interface TagDbOptions {
  /** The data directory holding `_tagged/`, or null when whisper is disabled (memory only). */
  dataDir: string | null;
  /** Most series indexed (default MAX_TAGGED_SERIES). */
  maxSeries?: number;
  /** Called with each series new to the database (the [tags] sender). */
  onNew?: (name: string) => void;
}

/** True for a name with tags (it lives under `_tagged/`). */
export function isTagged(name: string): boolean {
  return name.includes(";");
}

/** Tagged series known to carbonado, queryable as graphite-web's TagDB. */
export class TagDb implements StatSource {
  readonly index: TagIndex;
  #log: SeriesLog | null;
  #logged = new Set<string>();
  #onNew?: (name: string) => void;

  constructor(opts: TagDbOptions) {
    this.index = new TagIndex(opts.maxSeries);
    this.#onNew = opts.onNew;
    const dir = opts.dataDir === null ? null : opts.dataDir.replace(/\/+$/, "");
    this.#log = dir === null ? null : new SeriesLog(`${dir}/${TAGGED_DIR}/${SERIES_LOG_FILE}`);
  }

  /** Reads the series log into the index. */
  start(): void {
    if (this.#log === null) return;
    const { names, skipped } = this.#log.open();
    for (const name of names) {
      if (this.index.add(name) !== null) this.#logged.add(name);
    }
    log.info("tagged series log read", { path: this.#log.path, series: names.size, skipped });
  }

  stop(): void {
    this.#log?.close();
  }

  /** A series seen in the cache or by the disk scan. */
  seen(name: string): void {
    if (!isTagged(name) || this.index.has(name)) return;
    const canonical = this.index.add(name);
    if (canonical !== null) this.#onNew?.(canonical);
  }

  /**
   * The persister created the series' file (or the migration moved it): logged. A name kept
   * raw for invalid tags is not a series graphite-web can parse: it has a file, no tags.
   */
  fileCreated(name: string): void {
    if (isTagged(name)) this.#remember(name);
  }

  /**
   * Registers a series (graphite-web's tag_series); returns its canonical name. Logged, so it
   * is known after a restart.
   *
   * @throws {TypeError} when the name does not parse as a tagged series
   */
  register(name: string): string {
    const canonical = this.#remember(name);
    if (canonical === null) throw new TypeError(`Cannot parse path ${name}`);
    return canonical;
  }

  #remember(name: string): string | null {
    const fresh = !this.index.has(name);
    const canonical = this.index.add(name);
    if (canonical === null) return null;
    if (this.#log !== null && isTagged(canonical) && !this.#logged.has(canonical)) {
      this.#log.added(canonical);
      this.#logged.add(canonical);
    }
    if (fresh) this.#onNew?.(canonical);
    return canonical;
  }

  /** Deletes a series (graphite-web's del_series). */
  delete(name: string): void {
    const canonical = canonicalName(name);
    this.index.delete(canonical);
    if (this.#logged.delete(canonical)) this.#log?.deleted(canonical);
  }

  stat(send: StatSend): void {
    this.index.stat(send);
    if (this.#log === null) return;
    send({
      name: "carbonado_tags_log_records",
      help: "Records in the tagged series log (rewritten when most are stale).",
      type: "gauge",
      value: this.#log.counts.records,
    });
  }
}
