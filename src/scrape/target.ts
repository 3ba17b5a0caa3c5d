// Targets as Prometheus 2.42 makes them from discovered groups (scrape/target.go
// populateLabels): the group's labels and the target's address, the job's defaults (`job`,
// `__scheme__`, `__metrics_path__`, `__scrape_interval__`, `__scrape_timeout__`, `__param_*`),
// relabel_configs, a default port, `__meta_*` dropped, `instance` defaulted to the address. The
// labels without a `__` prefix are the ones every scraped series gets. A target's identity and
// its place in the scrape interval come from the same hash Prometheus uses (xxhash64 of the
// sorted labels, then FNV-1a 64 with the URL), so targets spread over the interval as they do
// in Prometheus.

import { formatPromDuration, parsePromDuration, type ScrapeJob } from "./prom_config.ts";
import { type Labels, relabel } from "./relabel.ts";
import { xxhash64 } from "./xxhash64.ts";

/** A target ready to scrape. */
export interface Target {
  job: ScrapeJob;
  /** Every label after relabeling, internal ones (`__address__`, ...) included, sorted. */
  labels: Labels;
  /** The labels every scraped series gets (no `__` prefix), sorted by name. */
  publicLabels: [string, string][];
  url: string;
  /** Milliseconds, from `__scrape_interval__` and `__scrape_timeout__` after relabeling. */
  interval: number;
  timeout: number;
  /** Prometheus' target hash: identity across reloads and offset in the interval. */
  hash: bigint;
  /** `job/instance`: how logs, metrics and /targets name it. */
  key: string;
}

/** A group's target that could not be made into a Target, with why. */
export interface TargetError {
  address: string;
  error: string;
}

const ADDRESS = "__address__";
const SCHEME = "__scheme__";
const METRICS_PATH = "__metrics_path__";
const SCRAPE_INTERVAL = "__scrape_interval__";
const SCRAPE_TIMEOUT = "__scrape_timeout__";
const PARAM_PREFIX = "__param_";

/** Sorted copy of a label set. */
function sorted(labels: Labels): Labels {
  return new Map([...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The targets of one group: `groupLabels` (a static_configs entry's, or a file's group's with
 * `__meta_filepath`) under each address. Targets relabeling drops are left out; targets that
 * cannot be scraped are returned as errors.
 */
export function makeTargets(
  job: ScrapeJob,
  addresses: readonly string[],
  groupLabels: Labels,
): { targets: Target[]; errors: TargetError[] } {
  const targets: Target[] = [];
  const errors: TargetError[] = [];
  for (const address of addresses) {
    const labels = new Map(groupLabels);
    labels.set(ADDRESS, address);
    try {
      const target = populate(job, labels);
      if (target) targets.push(target);
    } catch (err) {
      errors.push({ address, error: (err as Error).message });
    }
  }
  return { targets, errors };
}

function populate(job: ScrapeJob, discovered: Labels): Target | null {
  const lb = new Map(discovered);
  const defaults: [string, string][] = [
    ["job", job.jobName],
    [SCRAPE_INTERVAL, formatPromDuration(job.scrapeInterval)],
    [SCRAPE_TIMEOUT, formatPromDuration(job.scrapeTimeout)],
    [METRICS_PATH, job.metricsPath],
    [SCHEME, job.scheme],
  ];
  for (const [k, v] of defaults) if (!lb.get(k)) lb.set(k, v);
  for (const [k, v] of Object.entries(job.params)) {
    if (v.length > 0 && !lb.get(PARAM_PREFIX + k)) lb.set(PARAM_PREFIX + k, v[0]);
  }
  const relabeled = relabel(lb, job.relabelConfigs);
  if (relabeled === null) return null;
  const address = relabeled.get(ADDRESS);
  if (!address) throw new TypeError("no address");
  const scheme = relabeled.get(SCHEME) ?? "";
  const withPort = addPort(address, scheme);
  if (withPort.includes("/")) throw new TypeError(`"${withPort}" is not a valid hostname`);
  relabeled.set(ADDRESS, withPort);
  const interval = parsePromDuration(relabeled.get(SCRAPE_INTERVAL) ?? "");
  const timeout = parsePromDuration(relabeled.get(SCRAPE_TIMEOUT) ?? "");
  if (interval === null || interval === 0) {
    throw new TypeError(`error parsing scrape interval "${relabeled.get(SCRAPE_INTERVAL)}"`);
  }
  if (timeout === null || timeout === 0) {
    throw new TypeError(`error parsing scrape timeout "${relabeled.get(SCRAPE_TIMEOUT)}"`);
  }
  if (timeout > interval) {
    throw new TypeError(`scrape timeout cannot be greater than scrape interval`);
  }
  for (const k of [...relabeled.keys()]) if (k.startsWith("__meta_")) relabeled.delete(k);
  if (!relabeled.get("instance")) relabeled.set("instance", withPort);
  const labels = sorted(relabeled);
  const url = targetUrl(scheme, withPort, relabeled.get(METRICS_PATH) ?? "", job, labels);
  const publicLabels = [...labels].filter(([k]) => !k.startsWith("__"));
  return {
    job,
    labels,
    publicLabels,
    url,
    interval,
    timeout,
    hash: targetHash(labels, url),
    key: `${job.jobName}/${labels.get("instance")}`,
  };
}

/** True when Go's net.SplitHostPort accepts the address (`host:port`, `[v6]:port`). */
function splitsHostPort(address: string): boolean {
  return address.startsWith("[")
    ? /^\[[^[\]]*\]:[^:[\]]*$/.test(address)
    : /^[^:[\]]*:[^:[\]]*$/.test(address);
}

/**
 * The address with the scheme's default port when it has none and one makes it valid
 * (Prometheus 2.42 addPort; later versions no longer add it).
 */
function addPort(address: string, scheme: string): string {
  if (splitsHostPort(address) || !splitsHostPort(`${address}:1234`)) return address;
  if (scheme === "http" || scheme === "") return `${address}:80`;
  if (scheme === "https") return `${address}:443`;
  throw new TypeError(`invalid scheme: "${scheme}"`);
}

/** scheme://address/path?params, the params from `__param_*` labels over the job's. */
function targetUrl(
  scheme: string,
  address: string,
  path: string,
  job: ScrapeJob,
  labels: Labels,
): string {
  const params = new Map<string, string[]>(Object.entries(job.params));
  for (const [k, v] of labels) {
    if (k.startsWith(PARAM_PREFIX)) params.set(k.slice(PARAM_PREFIX.length), [v]);
  }
  const query = [...params.keys()].sort().flatMap((k) =>
    params.get(k)!.map((v) => `${goQueryEscape(k)}=${goQueryEscape(v)}`)
  ).join("&");
  return `${scheme}://${address}${path}${query ? `?${query}` : ""}`;
}

/** Go's url.QueryEscape: space as `+`, unreserved bytes as they are, the rest `%XX`. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1a 64 of the UTF-8 bytes of `text`, continuing from `h`. */
export function fnv1a64(text: string, h = FNV64_OFFSET): bigint {
  for (const b of new TextEncoder().encode(text)) h = ((h ^ BigInt(b)) * FNV64_PRIME) & MASK64;
  return h;
}

/** Prometheus' labels.Hash(): xxhash64 of `name\xffvalue\xff...` over sorted labels. */
export function labelsHash(labels: Labels): bigint {
  const enc = new TextEncoder();
  const parts: number[] = [];
  for (const [k, v] of sorted(labels)) parts.push(...enc.encode(k), 0xff, ...enc.encode(v), 0xff);
  return xxhash64(new Uint8Array(parts));
}

/** Target.hash(): FNV-1a 64 over the labels hash as 16 zero-padded decimal digits, then the URL. */
export function targetHash(labels: Labels, url: string): bigint {
  return fnv1a64(url, fnv1a64(labelsHash(labels).toString().padStart(16, "0")));
}

/** The scrape manager's jitter seed: FNV-1a 64 of the host name and the external labels (`{}`). */
export function jitterSeed(hostname: string): bigint {
  return fnv1a64(`${hostname}{}`);
}

/**
 * Milliseconds from `nowMs` to the target's first scrape (Target.offset): its hash places it at
 * a fixed point of every interval, counted from the Unix epoch, so that a restart keeps the
 * phase and targets spread over the interval.
 */
export function firstScrapeDelay(target: Target, seed: bigint, nowMs: number): number {
  const interval = BigInt(target.interval) * 1_000_000n;
  const now = BigInt(Math.round(nowMs)) * 1_000_000n;
  const base = interval - now % interval;
  const offset = (target.hash ^ seed) % interval;
  let next = base + offset;
  if (next > interval) next -= interval;
  return Number(next / 1_000_000n);
}

/**
 * How long a start slot is with `slots` per interval: interval / slots rounded to whole seconds,
 * at least one (the resolution Graphite keeps, and where the daemon's once-a-second chores
 * already wake it), at most the interval; 0 with 0 slots.
 */
export function slotLength(intervalMs: number, slots: number): number {
  if (slots <= 0) return 0;
  return Math.min(intervalMs, Math.max(1000, Math.round(intervalMs / slots / 1000) * 1000));
}

/**
 * When a scrape due at `dueMs` starts with `slots` start slots per interval: at the first slot
 * boundary (multiples of slotLength() since the Unix epoch) at or after it, so that the targets
 * due in one slot start in one timer wakeup; at `dueMs` itself with 0 slots (Prometheus).
 */
export function slotStart(dueMs: number, intervalMs: number, slots: number): number {
  const slot = slotLength(intervalMs, slots);
  return slot === 0 ? dueMs : Math.ceil(dueMs / slot) * slot;
}
