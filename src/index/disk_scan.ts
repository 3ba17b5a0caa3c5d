// Fills the metric name index from a Whisper data directory: every `a/b/c.wsp` becomes `a.b.c`.
// One walk at start, in the background; later names arrive one at a time through `add()` (new
// file, new series in the cache), so no query ever waits for a scan. An optional periodic rescan
// (go-carbon's `scan-frequency`) rebuilds the index aside and swaps it in, dropping deleted files.

import { Logger, RateLimiter } from "../log/logger.ts";
import type { StatSend } from "../stats/sample.ts";
import type { GlobOptions } from "./glob.ts";
import { NameTrie } from "./name_trie.ts";
import { WHISPER_EXT } from "../storage/metric_path.ts";

/** Directories deeper than this are not walked (a guard against runaway symlink chains). */
export const MAX_SCAN_DEPTH = 128;
/** Names added through `add()` during one scan interval that survive the next rescan's swap. */
export const MAX_CARRIED_NAMES = 1_000_000;

/** Counters of one walk of the data directory. */
export interface ScanStats {
  /** Whisper files found (metrics). */
  files: number;
  /** Directories read. */
  dirs: number;
  /** Entries that are not metrics: other files, dot-files, names with a dot, `_tagged/`. */
  ignored: number;
  /** Directories that could not be read, and symlinks that could not be followed. */
  unreadable: number;
  /** Symlinks to a directory that is already on the current path, not followed. */
  symlinkLoops: number;
  /** Directories deeper than `MAX_SCAN_DEPTH`, not walked. */
  tooDeep: number;
  /** Wall time of the walk. */
  durationMs: number;
}

/** Options of `scanDataDir`. */
export interface ScanOptions {
  /** Stops the walk; `scanDataDir` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Follow symbolic links to files and directories, as graphite-web does (default true). */
  followSymlinks?: boolean;
  /** Skip `_tagged/` at the top: tagged series are hashed file names (default true). */
  skipTagged?: boolean;
  /** Where unreadable directories and symlink loops are reported (rate-limited). */
  logger?: Logger;
}

interface Frame {
  readonly dir: string;
  readonly prefix: string;
  readonly depth: number;
  /** Real path of this directory, when known (needed only to detect symlink loops). */
  real: string | null;
  readonly parent: Frame | null;
}

/**
 * Walks `dataDir` depth first and calls `onMetric` for every Whisper file. Only one directory's
 * entries and the directories still to visit are held at a time, never the whole file list.
 * A missing `dataDir` counts as empty.
 */
export async function scanDataDir(
  dataDir: string,
  onMetric: (name: string) => void,
  options: ScanOptions = {},
): Promise<ScanStats> {
  const started = performance.now();
  const follow = options.followSymlinks ?? true;
  const skipTagged = options.skipTagged ?? true;
  const logger = options.logger;
  const limiter = new RateLimiter(10, 60_000);
  const stats: ScanStats = {
    files: 0,
    dirs: 0,
    ignored: 0,
    unreadable: 0,
    symlinkLoops: 0,
    tooDeep: 0,
    durationMs: 0,
  };
  const report = (msg: string, fields: Record<string, unknown>) => {
    const suppressed = limiter.allow();
    if (logger && suppressed >= 0) logger.warn(msg, { ...fields, suppressed });
  };
  const realOf = async (frame: Frame): Promise<string> => {
    frame.real ??= frame.parent
      ? `${await realOf(frame.parent)}/${frame.dir.slice(frame.dir.lastIndexOf("/") + 1)}`
      : await Deno.realPath(frame.dir);
    return frame.real;
  };

  const root = dataDir.length > 1 ? dataDir.replace(/\/+$/, "") : dataDir;
  const stack: Frame[] = [{ dir: root, prefix: "", depth: 0, real: null, parent: null }];
  while (stack.length > 0) {
    options.signal?.throwIfAborted();
    const frame = stack.pop()!;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(frame.dir));
    } catch (err) {
      if (frame.depth === 0 && err instanceof Deno.errors.NotFound) break;
      stats.unreadable++;
      report("Cannot read directory", { dir: frame.dir, error: err });
      continue;
    }
    stats.dirs++;
    for (const entry of entries) {
      const name = entry.name;
      if (name.startsWith(".")) {
        stats.ignored++;
        continue;
      }
      const path = `${frame.dir}/${name}`;
      let isFile = entry.isFile;
      let isDir = entry.isDirectory;
      let real: string | null = null;
      if (entry.isSymlink) {
        if (!follow) {
          stats.ignored++;
          continue;
        }
        try {
          const info = await Deno.stat(path);
          isFile = info.isFile;
          isDir = info.isDirectory;
          if (isDir) real = await Deno.realPath(path);
        } catch (err) {
          stats.unreadable++;
          report("Cannot follow symlink", { path, error: err });
          continue;
        }
      }
      if (isFile) {
        const stem = name.endsWith(WHISPER_EXT) ? name.slice(0, -WHISPER_EXT.length) : "";
        if (stem === "" || stem.includes(".")) {
          stats.ignored++;
          continue;
        }
        stats.files++;
        onMetric(frame.prefix === "" ? stem : `${frame.prefix}.${stem}`);
      } else if (isDir) {
        if (name.includes(".") || (skipTagged && frame.depth === 0 && name === "_tagged")) {
          stats.ignored++;
          continue;
        }
        if (frame.depth + 1 > MAX_SCAN_DEPTH) {
          stats.tooDeep++;
          report("Directory too deep, not scanned", { dir: path, maxDepth: MAX_SCAN_DEPTH });
          continue;
        }
        const child: Frame = {
          dir: path,
          prefix: frame.prefix === "" ? name : `${frame.prefix}.${name}`,
          depth: frame.depth + 1,
          real,
          parent: frame,
        };
        if (real !== null && await isOnPath(frame, real, realOf)) {
          stats.symlinkLoops++;
          report("Symlink loop, not followed", { path, target: real });
          continue;
        }
        stack.push(child);
      } else {
        stats.ignored++;
      }
    }
  }
  stats.durationMs = performance.now() - started;
  return stats;
}

async function isOnPath(
  frame: Frame,
  real: string,
  realOf: (f: Frame) => Promise<string>,
): Promise<boolean> {
  for (let f: Frame | null = frame; f !== null; f = f.parent) {
    if (await realOf(f) === real) return true;
  }
  return false;
}

/** Options of `DiskIndex`. */
export interface DiskIndexOptions {
  /** Rescan the data directory this often; 0 (default) scans only at start. */
  scanIntervalMs?: number;
  /** Glob limits for finds (go-carbon `max-globs`, `fail-on-max-globs`). */
  glob?: GlobOptions;
  /** Passed to `scanDataDir`. */
  followSymlinks?: boolean;
  /** Passed to `scanDataDir`. */
  skipTagged?: boolean;
  /** Called with every name a scan finds (the tag database reads `_tagged/` names). */
  onScanned?: (name: string) => void;
  /** Called after every finished rescan (the persister re-checks the series it gave up on). */
  onRescanned?: () => void;
}

/**
 * The name index of one data directory: scanned in the background at `start()`, kept fresh by
 * `add()`, optionally rescanned. Read `trie` at each query: a rescan replaces it.
 *
 * @example
 * ```ts
 * const index = new DiskIndex("/var/lib/graphite/whisper");
 * index.start();
 * await index.whenReady();
 * index.trie.find("sys.*.cpu").matches;
 * await index.stop();
 * ```
 */
export class DiskIndex {
  #dataDir: string;
  #options: DiskIndexOptions;
  #trie: NameTrie;
  #logger = new Logger("index");
  #ready = false;
  #readyResolve!: () => void;
  #readyPromise: Promise<void>;
  #abort: AbortController | null = null;
  #running: Promise<ScanStats | null> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Names added while a rescan builds its trie: they go to both. */
  #building: NameTrie | null = null;
  /** Names added since the last scan started, re-added after the next swap (not on disk yet). */
  #recent = new Set<string>();
  #carryOverflow = 0;
  #scans = 0;
  #last: ScanStats | null = null;

  constructor(dataDir: string, options: DiskIndexOptions = {}) {
    this.#dataDir = dataDir;
    this.#options = options;
    this.#trie = new NameTrie(options.glob);
    this.#readyPromise = new Promise((resolve) => this.#readyResolve = resolve);
  }

  /** The current index; replaced after each rescan. */
  get trie(): NameTrie {
    return this.#trie;
  }

  /** True once the first scan has finished (go-carbon's "index is ready"). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Counters of the last finished scan, or null before the first one. */
  get lastScan(): ScanStats | null {
    return this.#last;
  }

  /** Resolves when the first scan has finished (or the index was stopped before). */
  whenReady(): Promise<void> {
    return this.#readyPromise;
  }

  /** Starts the first scan in the background, and the rescan timer if configured. */
  start(): void {
    if (this.#running !== null || this.#stopped) return;
    this.#running = this.#scan(this.#trie);
  }

  /** Stops the rescan timer, aborts a scan in progress and waits for it. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort(new DOMException("index stopped", "AbortError"));
    await this.#running;
    this.#readyResolve();
  }

  /**
   * Records one metric name (the persister created its file, or the cache saw a new series).
   * @throws {RangeError} when the name has an empty segment
   */
  add(name: string): void {
    if (this.#trie.add(name) || this.#building !== null) {
      this.#building?.add(name);
      if (this.#recent.size < MAX_CARRIED_NAMES) this.#recent.add(name);
      else this.#carryOverflow++;
    }
  }

  /** True when the metric is known: found by a scan, or added since. */
  has(name: string): boolean {
    return this.#trie.has(name);
  }

  /** Forgets one metric name (its file was removed); returns true when it was known. */
  delete(name: string): boolean {
    this.#recent.delete(name);
    this.#building?.delete(name);
    return this.#trie.delete(name);
  }

  /**
   * Rescans now (go-carbon's `/forcescan`) and swaps the rebuilt index in; resolves with the
   * scan's counters, or null when a scan is already running or the index is stopped.
   */
  async rescan(): Promise<ScanStats | null> {
    if (this.#stopped || this.#abort !== null) return null;
    clearTimeout(this.#timer);
    this.#running = this.#scan(new NameTrie(this.#options.glob));
    return await this.#running;
  }

  /** Reports the index's counters (go-carbon's carbonserver.metrics_known and scan figures). */
  stat(send: StatSend): void {
    const s = this.#trie.stats();
    send({
      name: "carbonado_index_metrics",
      help: "Metric names known on disk.",
      type: "gauge",
      value: s.metrics,
      carbon: "carbonserver.metrics_known",
    });
    send({
      name: "carbonado_index_branches",
      help: "Branches in the name index.",
      type: "gauge",
      value: s.branches,
    });
    send({
      name: "carbonado_index_scans_total",
      help: "Scans of the data directory.",
      type: "counter",
      value: this.#scans,
      carbon: "carbonserver.file_scans",
    });
    send({
      name: "carbonado_index_carried_names_dropped_total",
      help: "Names added during a rescan beyond the carry limit (found again by the next scan).",
      type: "counter",
      value: this.#carryOverflow,
    });
    if (this.#last === null) return;
    send({
      name: "carbonado_index_scan_seconds",
      help: "Duration of the last scan of the data directory.",
      type: "gauge",
      value: this.#last.durationMs / 1000,
    });
    send({
      name: "carbonado_index_scan_unreadable",
      help: "Directories the last scan could not read.",
      type: "gauge",
      value: this.#last.unreadable,
    });
  }

  /** Scans into `target`: the live trie the first time, a fresh one (then swapped) later. */
  async #scan(target: NameTrie): Promise<ScanStats | null> {
    const abort = new AbortController();
    this.#abort = abort;
    const rebuild = target !== this.#trie;
    const carried = this.#recent;
    this.#recent = new Set();
    if (rebuild) this.#building = target;
    let stats: ScanStats | null = null;
    try {
      const onScanned = this.#options.onScanned;
      stats = await scanDataDir(this.#dataDir, (name) => {
        target.add(name);
        onScanned?.(name);
      }, {
        signal: abort.signal,
        followSymlinks: this.#options.followSymlinks,
        skipTagged: this.#options.skipTagged,
        logger: this.#logger,
      });
      if (rebuild) {
        // Names added since the last scan began and still missing on disk are kept through this
        // one rescan; the next drops them unless added again: a file another tool removes
        // leaves find (go-carbon's scan-frequency).
        for (const name of carried) target.add(name);
        this.#trie = target;
        this.#options.onRescanned?.();
      }
      this.#scans++;
      this.#last = stats;
      this.#logger.info("Data directory scanned", {
        dataDir: this.#dataDir,
        metrics: target.size,
        ...stats,
        durationMs: Math.round(stats.durationMs),
      });
    } catch (err) {
      for (const name of carried) this.#recent.add(name);
      if (!abort.signal.aborted) {
        this.#logger.error("Data directory scan failed", { dataDir: this.#dataDir, error: err });
      }
    } finally {
      this.#abort = null;
      this.#building = null;
      if (!this.#ready && !abort.signal.aborted) {
        this.#ready = true;
        this.#readyResolve();
      }
      this.#schedule();
    }
    return stats;
  }

  #schedule(): void {
    const every = this.#options.scanIntervalMs ?? 0;
    if (this.#stopped || every <= 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#scan(new NameTrie(this.#options.glob));
    }, every);
  }
}
