// The scrape manager: reads `[scrape] config-file`, keeps each job's targets (static_configs and
// file_sd_configs, relabeled) in step with discovery, runs one ScrapeLoop per target, and
// reloads on SIGHUP (a bad file keeps the jobs in use; an unchanged job keeps its loops and
// their scrape caches). It reports Prometheus' prometheus_target_* figures as carbonado_scrape_*
// and serves them per target as Prometheus' /api/v1/targets JSON on the carbonserver listener.

import { Logger } from "../log/logger.ts";
import type { Appender } from "../appender/appender.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { ScrapeCache } from "../wasm/exposition.ts";
import { FileDiscovery, type SourcedGroup } from "./discovery.ts";
import { formatPromDuration, readPromConfig, type ScrapeJob } from "./prom_config.ts";
import { FAILURE_REASONS, ScrapeLoop } from "./scrape_loop.ts";
import { jitterSeed, makeTargets, type Target } from "./target.ts";

const log = new Logger("scrape");

/** Options of {@linkcode Scraper}. */
export interface ScraperOptions {
  /** `[scrape] config-file`: a Prometheus configuration file. */
  configFile: string;
  /** `[scrape] prefix`. */
  prefix: string;
  /** `[scrape] body-size-limit` in bytes. */
  bodySizeLimit: number;
  /** `[scrape] start-slots`. */
  startSlots: number;
  hostname: string;
  userAgent: string;
}

/** What the scraper needs of the head: appenders and scrape caches. */
export interface ScrapeHead {
  appender(): Appender;
  scrapeCache(): ScrapeCache;
}

/** A job and what runs for it. */
interface JobRun {
  job: ScrapeJob;
  /** The job's settings as text: a reload keeps the job when they are the same. */
  key: string;
  discovery: FileDiscovery | null;
  loops: Map<bigint, ScrapeLoop>;
  /** Targets relabeling dropped, and targets that could not be made (with why). */
  droppedTargets: number;
  errors: string[];
}

/** The job's settings as comparable text (regexes by their source). */
function jobKey(job: ScrapeJob): string {
  return JSON.stringify(job, (_, v) => {
    if (v instanceof RegExp) return v.source;
    if (v instanceof Map) return [...v];
    return v;
  });
}

/** A Graphite-safe path segment for go-carbon style self-metric names. */
function segment(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** Scrapes every target of a Prometheus configuration into the cache. */
export class Scraper implements StatSource {
  #opts: ScraperOptions;
  #head: ScrapeHead;
  #seed: bigint;
  #runs = new Map<string, JobRun>();
  #stopping = new Set<Promise<void>>();
  #ignored: string[];
  #jobs: ScrapeJob[];
  #started = false;
  reloads = 0;
  reloadFailures = 0;

  /**
   * Reads the configuration file (errors name the file and the key: the daemon does not start).
   * `warnings` lists the keys carbonado ignores, once.
   */
  constructor(opts: ScraperOptions, head: ScrapeHead) {
    this.#opts = opts;
    this.#head = head;
    this.#seed = jitterSeed(opts.hostname);
    if (!/^[^;{}~"\s]*$/.test(opts.prefix) || opts.prefix.startsWith(".")) {
      throw new RangeError(
        `Invalid scrape.prefix: "${opts.prefix}" (no ';', '{', '}', '~', quotes or blanks, ` +
          "no leading dot)",
      );
    }
    const settings = readPromConfig(opts.configFile);
    this.#jobs = settings.jobs;
    this.#ignored = settings.ignored;
  }

  /** The warning for the keys of the configuration file carbonado does not act on, if any. */
  get warnings(): string[] {
    if (this.#ignored.length === 0) return [];
    return [
      `scrape.config-file ${this.#opts.configFile}: ignoring keys carbonado does not implement: ` +
      this.#ignored.join(", "),
    ];
  }

  /** Starts discovery and a loop per target. */
  start(): void {
    this.#started = true;
    for (const job of this.#jobs) this.#startJob(job);
    log.info("scraping", { jobs: this.#jobs.length, targets: this.loops().length });
  }

  /** Every running loop. */
  loops(): ScrapeLoop[] {
    return [...this.#runs.values()].flatMap((r) => [...r.loops.values()]);
  }

  /**
   * SIGHUP: re-reads the configuration file. Jobs whose settings did not change keep their
   * loops; a file that does not load is logged and the jobs in use are kept.
   */
  reload(): boolean {
    let settings;
    try {
      settings = readPromConfig(this.#opts.configFile);
    } catch (err) {
      this.reloadFailures++;
      log.error("keeping the scrape jobs in use: cannot reload", { err });
      return false;
    }
    this.reloads++;
    const ignoredBefore = this.#ignored.join();
    this.#jobs = settings.jobs;
    this.#ignored = settings.ignored;
    if (this.#ignored.join() !== ignoredBefore) { for (const w of this.warnings) log.warn(w); }
    if (!this.#started) return true;
    const wanted = new Map(settings.jobs.map((j) => [j.jobName, j]));
    for (const [name, run] of this.#runs) {
      const job = wanted.get(name);
      if (!job || jobKey(job) !== run.key) this.#stopJob(name);
    }
    for (const job of settings.jobs) if (!this.#runs.has(job.jobName)) this.#startJob(job);
    log.info("scrape configuration reloaded", {
      file: this.#opts.configFile,
      jobs: settings.jobs.length,
      targets: this.loops().length,
    });
    return true;
  }

  #startJob(job: ScrapeJob): void {
    const run: JobRun = {
      job,
      key: jobKey(job),
      discovery: null,
      loops: new Map(),
      droppedTargets: 0,
      errors: [],
    };
    this.#runs.set(job.jobName, run);
    if (job.fileSdConfigs.length > 0) {
      run.discovery = new FileDiscovery(job.fileSdConfigs, () => this.#sync(run));
      run.discovery.start();
    }
    this.#sync(run);
  }

  #stopJob(name: string): void {
    const run = this.#runs.get(name);
    if (!run) return;
    run.discovery?.stop();
    for (const loop of run.loops.values()) this.#stopLoop(loop);
    this.#runs.delete(name);
  }

  #stopLoop(loop: ScrapeLoop): void {
    const done = loop.stop().finally(() => this.#stopping.delete(done));
    this.#stopping.add(done);
  }

  /** Brings a job's loops in line with its discovered targets. */
  #sync(run: JobRun): void {
    const groups: SourcedGroup[] = run.job.staticConfigs.map((g) => ({ ...g, source: "static" }));
    if (run.discovery) groups.push(...run.discovery.groups());
    const targets = new Map<bigint, Target>();
    run.droppedTargets = 0;
    run.errors = [];
    for (const group of groups) {
      const made = makeTargets(run.job, group.targets, group.labels);
      run.droppedTargets += group.targets.length - made.targets.length - made.errors.length;
      for (const t of made.targets) targets.set(t.hash, t);
      for (const e of made.errors) {
        run.errors.push(`${e.address}: ${e.error}`);
        log.error("cannot scrape target", {
          job: run.job.jobName,
          target: e.address,
          err: e.error,
        });
      }
    }
    for (const [hash, loop] of run.loops) {
      if (!targets.has(hash)) {
        this.#stopLoop(loop);
        run.loops.delete(hash);
      }
    }
    const deps = {
      appender: () => this.#head.appender(),
      scrapeCache: () => this.#head.scrapeCache(),
      prefix: this.#opts.prefix,
      bodySizeLimit: this.#opts.bodySizeLimit,
      startSlots: this.#opts.startSlots,
      seed: this.#seed,
      userAgent: this.#opts.userAgent,
    };
    for (const [hash, target] of targets) {
      if (run.loops.has(hash)) continue;
      const loop = new ScrapeLoop(target, deps);
      run.loops.set(hash, loop);
      loop.start();
    }
  }

  /** Stops discovery and every loop (a scrape in flight is aborted and leaves nothing). */
  async stop(): Promise<void> {
    for (const name of [...this.#runs.keys()]) this.#stopJob(name);
    await Promise.all([...this.#stopping]);
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_scrape_reloads_total",
      help: "Scrape configuration reloads (SIGHUP) that took effect.",
      type: "counter",
      value: this.reloads,
      carbon: "scrape.reloads",
    });
    send({
      name: "carbonado_scrape_reload_failures_total",
      help: "Scrape configuration reloads refused (the jobs in use were kept).",
      type: "counter",
      value: this.reloadFailures,
      carbon: "scrape.reloadFailures",
    });
    for (const [name, run] of this.#runs) {
      send({
        name: "carbonado_scrape_targets",
        help: "Targets scraped, by job.",
        type: "gauge",
        value: run.loops.size,
        labels: { job: name },
        carbon: `scrape.${segment(name)}.targets`,
      });
      send({
        name: "carbonado_scrape_dropped_targets",
        help: "Discovered targets that relabeling dropped or that cannot be scraped, by job.",
        type: "gauge",
        value: run.droppedTargets + run.errors.length,
        labels: { job: name },
      });
      if (run.discovery) {
        send({
          name: "carbonado_scrape_file_sd_read_errors_total",
          help: "file_sd files that could not be read or parsed (their targets were kept), by job.",
          type: "counter",
          value: run.discovery.readErrors,
          labels: { job: name },
        });
      }
      for (const loop of run.loops.values()) loopStats(send, loop);
    }
  }

  /** `/api/v1/targets` (Prometheus' JSON) on the carbonserver listener; null for other paths. */
  handle(req: Request, url: URL): Response | null {
    if (url.pathname !== "/api/v1/targets") return null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const state = url.searchParams.get("state") ?? "any";
    const active = state === "any" || state === "active" ? this.loops().map(targetJson) : [];
    const dropped = state === "any" || state === "dropped"
      ? [...this.#runs.values()].flatMap((r) =>
        r.errors.map((error) => ({ scrapePool: r.job.jobName, error }))
      )
      : [];
    return new Response(
      JSON.stringify({
        status: "success",
        data: { activeTargets: active, droppedTargets: dropped },
      }),
      { headers: { "content-type": "application/json" } },
    );
  }
}

/** One target as Prometheus' /api/v1/targets lists it. */
function targetJson(loop: ScrapeLoop): Record<string, unknown> {
  const t = loop.target;
  const s = loop.state;
  return {
    labels: Object.fromEntries(t.publicLabels),
    scrapePool: t.job.jobName,
    scrapeUrl: t.url,
    globalUrl: t.url,
    lastError: s.lastError,
    lastScrape: s.lastScrape === 0 ? "0001-01-01T00:00:00Z" : new Date(s.lastScrape).toISOString(),
    lastScrapeDuration: s.lastDuration,
    lastSamples: s.lastSamples,
    health: s.health,
    scrapeInterval: formatPromDuration(t.interval),
    scrapeTimeout: formatPromDuration(t.timeout),
  };
}

/** A target's counters, labelled `target="job/instance"` (the status page's scrape table). */
function loopStats(send: StatSend, loop: ScrapeLoop): void {
  const t = loop.target;
  const s = loop.state;
  const labels = { target: t.key };
  const carbon = `scrape.${segment(t.job.jobName)}.${segment(t.labels.get("instance") ?? "")}`;
  send({
    name: "carbonado_scrape_up",
    help: "1 when the target's last scrape succeeded, 0 when it failed (Prometheus' up).",
    type: "gauge",
    value: s.health === "up" ? 1 : 0,
    labels,
    carbon: `${carbon}.up`,
  });
  send({
    name: "carbonado_scrape_scrapes_total",
    help: "Scrapes attempted, by target.",
    type: "counter",
    value: s.scrapes,
    labels,
    carbon: `${carbon}.scrapes`,
  });
  for (const reason of FAILURE_REASONS) {
    send({
      name: "carbonado_scrape_failures_total",
      help: "Scrapes that failed and were rolled back, by target and reason (sample_limit: " +
        "Prometheus' prometheus_target_scrapes_exceeded_sample_limit_total).",
      type: "counter",
      value: s.failures[reason],
      labels: { ...labels, reason },
      carbon: `${carbon}.failures.${reason}`,
    });
  }
  send({
    name: "carbonado_scrape_samples_total",
    help: "Samples committed to the cache, by target.",
    type: "counter",
    value: s.samples,
    labels,
    carbon: `${carbon}.samples`,
  });
  send({
    name: "carbonado_scrape_samples_out_of_order_total",
    help: "Samples with their own timestamp older than their series' newest point, left out " +
      "(Prometheus' prometheus_target_scrapes_sample_out_of_order_total).",
    type: "counter",
    value: s.outOfOrder,
    labels,
    carbon: `${carbon}.outOfOrder`,
  });
  send({
    name: "carbonado_scrape_samples_nan_total",
    help: "NaN samples, not stored (Graphite has no NaN), by target.",
    type: "counter",
    value: s.nan,
    labels,
  });
  send({
    name: "carbonado_scrape_duration_seconds_total",
    help: "Seconds spent scraping (fetch, read, parse, append), by target.",
    type: "counter",
    value: s.durationTotal,
    labels,
    carbon: `${carbon}.durationSeconds`,
  });
  send({
    name: "carbonado_scrape_last_duration_seconds",
    help: "Seconds the target's last scrape took (Prometheus' scrape_duration_seconds).",
    type: "gauge",
    value: s.lastDuration,
    labels,
  });
}
