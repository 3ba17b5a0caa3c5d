// One target's scrape loop (scrape/scrape.go scrapeLoop in Prometheus 2.42): at a fixed point of
// every interval (the target's hash places it, so targets spread and a restart keeps the
// phase), GET the target with Prometheus' headers and a timeout, read the body up to the size
// limit, then, with no await in between, parse it into one appender batch and commit it (the
// write-ahead log first, then the cache) or roll it back whole: on a timeout, a non-200 answer,
// a body that breaks off or is too large, a syntax error or sample_limit. The report series
// (`up`, `scrape_duration_seconds`, ...) go into the same batch when the scrape succeeded, and
// into a batch of their own (up = 0) when it failed, as Prometheus writes its report.
// With start slots, the scrapes that sent their requests in one wakeup read their answers
// together READ_GATE_MS later (one wakeup for the slot's answers, not one each); that wait is
// left out of scrape_duration_seconds.

import { Logger, RateLimiter } from "../log/logger.ts";
import { type ExpositionCounts, type ScrapeCache } from "../wasm/exposition.ts";
import { formatOf } from "../protocol/exposition.ts";
import type { Appender } from "../appender/appender.ts";
import { firstScrapeDelay, slotStart, type Target } from "./target.ts";
import { reportNames, seriesNamer } from "./series_name.ts";
import type { ScrapeAuth } from "./prom_config.ts";
import { HttpClient, HttpGetError } from "./http_client.ts";
import { atWallTime, type WallDeadline } from "../clock/wall_timer.ts";

const log = new Logger("scrape");

/** Prometheus 2.42's Accept header: OpenMetrics first, then the text format. */
export const ACCEPT_HEADER =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/**
 * With start slots: how long after the first request of a wakeup its scrapes start reading their
 * answers, all in one wakeup (a Deno wakeup costs about as much CPU as a scrape's own work; the
 * bench targets answer a 38 KB page in about 1 ms, one after the other).
 */
export const READ_GATE_MS = 2;

/** The read gate of the wakeup in progress: one timer for every scrape that joins it. */
let gate: Promise<void> | null = null;

/** Resolves READ_GATE_MS after the first call of the current wakeup, for every caller. */
function readGate(): Promise<void> {
  return gate ??= new Promise((resolve) =>
    setTimeout(() => {
      gate = null;
      resolve();
    }, READ_GATE_MS)
  );
}

/** Why a scrape failed: the `reason` label of carbonado_scrape_failures_total. */
export const FAILURE_REASONS = [
  "timeout",
  "connect",
  "http_status",
  "body_read",
  "body_size",
  "parse",
  "sample_limit",
  "commit",
] as const;

/** One of FAILURE_REASONS. */
export type FailureReason = typeof FAILURE_REASONS[number];

/** What a loop needs from the daemon. */
export interface LoopDeps {
  appender(): Appender;
  scrapeCache(): ScrapeCache;
  /** `[scrape] prefix`. */
  prefix: string;
  /** `[scrape] body-size-limit` in bytes (decompressed). */
  bodySizeLimit: number;
  /** `[scrape] start-slots`: slots per interval a scrape's start is rounded up to (0: none). */
  startSlots: number;
  /** The scrape manager's jitter seed (target.ts jitterSeed()). */
  seed: bigint;
  userAgent: string;
}

/** A target's health as /api/v1/targets shows it. */
export type Health = "unknown" | "up" | "down";

/** A loop's counters and last scrape. */
export interface LoopState {
  health: Health;
  lastError: string;
  /** Start of the last scrape (ms since the epoch), 0 before the first. */
  lastScrape: number;
  /** Seconds the last scrape took (fetch, read, parse, append). */
  lastDuration: number;
  lastSamples: number;
  scrapes: number;
  failures: Record<FailureReason, number>;
  /** Samples committed to the cache. */
  samples: number;
  outOfOrder: number;
  nan: number;
  /** Seconds spent scraping, all scrapes. */
  durationTotal: number;
}

/** A scrape that failed before or while its samples were appended. */
class ScrapeFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The Authorization header of a job's auth settings (files read at each scrape, as Prometheus). */
function authorization(auth: ScrapeAuth | undefined): string | null {
  if (!auth) return null;
  if (auth.type === "basic") {
    const password = auth.passwordFile
      ? Deno.readTextFileSync(auth.passwordFile).trim()
      : auth.password;
    const bytes = new TextEncoder().encode(`${auth.username}:${password}`);
    return `Basic ${btoa(String.fromCharCode(...bytes))}`;
  }
  const credentials = auth.credentialsFile
    ? Deno.readTextFileSync(auth.credentialsFile).trim()
    : auth.credentials;
  return `${auth.scheme} ${credentials}`;
}

/** Scrapes one target on its interval. */
export class ScrapeLoop {
  readonly target: Target;
  readonly state: LoopState = {
    health: "unknown",
    lastError: "",
    lastScrape: 0,
    lastDuration: 0,
    lastSamples: 0,
    scrapes: 0,
    failures: Object.fromEntries(FAILURE_REASONS.map((r) => [r, 0])) as Record<
      FailureReason,
      number
    >,
    samples: 0,
    outOfOrder: 0,
    nan: 0,
    durationTotal: 0,
  };
  #deps: LoopDeps;
  #cache: ScrapeCache | null = null;
  #name: ReturnType<typeof seriesNamer>;
  #reportNames: string[];
  #client: HttpClient;
  #timer?: WallDeadline;
  #next = 0;
  #running: Promise<void> | null = null;
  #stopped = false;
  #inFlight = false;
  #logLimit = new RateLimiter(1, 60_000);

  constructor(target: Target, deps: LoopDeps) {
    this.target = target;
    this.#deps = deps;
    const job = target.job;
    const namingOpts = {
      prefix: deps.prefix,
      honorLabels: job.honorLabels,
      targetLabels: target.publicLabels,
      metricRelabelConfigs: job.metricRelabelConfigs,
    };
    this.#name = seriesNamer(namingOpts);
    this.#reportNames = reportNames(deps.prefix, target.publicLabels);
    this.#client = new HttpClient(target.url, {
      headers: [
        ["User-Agent", deps.userAgent],
        ["Accept", ACCEPT_HEADER],
        ["Accept-Encoding", "gzip"],
        ["X-Prometheus-Scrape-Timeout-Seconds", String(target.timeout / 1000)],
      ],
      maxBodyBytes: deps.bodySizeLimit,
    });
  }

  /** Schedules the first scrape at the target's point of the interval. */
  start(now = Date.now()): void {
    this.#next = now + firstScrapeDelay(this.target, this.#deps.seed, now);
    this.#schedule();
  }

  /**
   * Sets the timer for the next scrape: at the target's offset (`#next`, kept exact), or at the
   * first start slot after it, where the targets due in that slot fire in one wakeup.
   */
  #schedule(): void {
    if (this.#stopped) return;
    const now = Date.now();
    const interval = this.target.interval;
    while (this.#next <= now - interval) this.#next += interval;
    const at = slotStart(this.#next, interval, this.#deps.startSlots);
    this.#timer = atWallTime(at, () => {
      this.#running = this.scrape().finally(() => this.#running = null);
      this.#next += interval;
      this.#schedule();
    });
  }

  /**
   * Stops the timer, closes the connection (failing a scrape in flight), waits for it, and
   * frees the scrape cache.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#client.close();
    await this.#running;
    this.#cache?.free();
    this.#cache = null;
  }

  /** One scrape, now (the loop calls it; tests too). Never throws. */
  async scrape(): Promise<void> {
    if (this.#inFlight) return; // the previous one is still running: skip, as a ticker would
    this.#inFlight = true;
    const start = Date.now();
    const timestamp = Math.floor(start / 1000);
    this.state.scrapes++;
    let held = 0; // ms the read gate held the answer back: not the target's latency
    const beforeRead = this.#deps.startSlots > 0
      ? async () => {
        const from = Date.now();
        await readGate();
        held += Date.now() - from;
      }
      : null;
    try {
      const res = await this.#client.get(
        this.target.timeout,
        authorization(this.target.job.auth),
        beforeRead,
      );
      if (this.#stopped) return;
      if (res.status !== 200) {
        throw new ScrapeFailure(
          "http_status",
          `server returned HTTP status ${res.status} ${res.statusText}`.trim(),
        );
      }
      this.#append(res.body, res.contentType, start, held, timestamp);
    } catch (err) {
      if (this.#stopped) return;
      this.#failed(
        err instanceof HttpGetError ? new ScrapeFailure(err.reason, err.message) : err,
        start,
        held,
        timestamp,
      );
    } finally {
      this.#inFlight = false;
    }
  }

  /** Parses, appends and commits a body: one batch, no await (`held`: the read gate's ms). */
  #append(
    body: Uint8Array,
    contentType: string | null,
    start: number,
    held: number,
    timestamp: number,
  ): void {
    const job = this.target.job;
    this.#cache ??= this.#deps.scrapeCache();
    const app = this.#deps.appender();
    let counts: ExpositionCounts;
    try {
      counts = app.appendExposition(body, this.#cache, {
        format: formatOf(contentType),
        timestamp,
        honorTimestamps: job.honorTimestamps,
        sampleLimit: job.sampleLimit,
        name: this.#name,
      });
    } catch (err) {
      app.rollback();
      throw err;
    }
    if (counts.error !== null || counts.limitExceeded) {
      app.rollback();
      throw counts.error !== null
        ? Object.assign(new ScrapeFailure("parse", counts.error), { counts })
        : Object.assign(new ScrapeFailure("sample_limit", "sample limit exceeded"), { counts });
    }
    const duration = (Date.now() - start - held) / 1000;
    app.appendPoints(
      this.#reportNames,
      this.#reportNames.map(() => timestamp),
      [1, duration, counts.samples, counts.postRelabel, counts.seriesAdded],
    );
    const result = app.commit();
    if (result.rejectedBy?.wal_write) {
      throw Object.assign(
        new ScrapeFailure("commit", "the batch could not be written to the write-ahead log"),
        { counts },
      );
    }
    const s = this.state;
    s.health = "up";
    s.lastError = "";
    s.lastScrape = start;
    s.lastDuration = duration;
    s.lastSamples = counts.samples;
    s.samples += result.accepted;
    s.outOfOrder += counts.outOfOrder;
    s.nan += counts.nan;
    s.durationTotal += duration;
  }

  /** Records a failed scrape and writes its report (up = 0) in a batch of its own. */
  #failed(err: unknown, start: number, held: number, timestamp: number): void {
    const failure = err instanceof ScrapeFailure
      ? err
      : new ScrapeFailure("parse", (err as Error).message);
    const counts = (failure as { counts?: ExpositionCounts }).counts;
    const duration = (Date.now() - start - held) / 1000;
    const s = this.state;
    s.health = "down";
    s.lastError = failure.message;
    s.lastScrape = start;
    s.lastDuration = duration;
    s.lastSamples = counts?.samples ?? 0;
    s.failures[failure.reason]++;
    s.durationTotal += duration;
    const suppressed = this.#logLimit.allow();
    if (suppressed >= 0) {
      log.info("scrape failed", {
        target: this.target.url,
        job: this.target.job.jobName,
        reason: failure.reason,
        err: failure.message,
        ...(suppressed > 0 ? { suppressed } : {}),
      });
    }
    try {
      const app = this.#deps.appender();
      app.appendPoints(
        this.#reportNames,
        this.#reportNames.map(() => timestamp),
        [0, duration, counts?.samples ?? 0, counts?.postRelabel ?? 0, 0],
      );
      app.commit();
    } catch (e) {
      log.warn("cannot write the scrape report", { target: this.target.url, err: e });
    }
  }
}
