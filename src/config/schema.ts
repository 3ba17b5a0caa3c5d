// The one table of every config key: go-carbon's TOML name, carbonado's camelCase field, the
// value kind, the default, whether carbonado acts on it, and the environment variable that
// overrides it. Loading, validation, defaults and `--print-default-config` all read this table.
// go-carbon's keys come from carbon/config.go, receiver options and go-carbon.conf.example.

import type { Config, LoggingConfig } from "./config.ts";
import { WASM_MEMORY_MAX_BYTES } from "../cache/memory_limit.ts";

/**
 * How a value is written and checked.
 *
 * - `string`, `int`, `float`, `bool`: TOML's own types (an environment value is parsed).
 * - `path`: a string that must not be empty.
 * - `duration`: a Go duration string (`"1m0s"`, `"100ms"`); held in milliseconds.
 * - `size`: a non-negative integer count (of points or bytes, see `unit`).
 * - `enum`: one string out of `values`.
 * - `listen`: a `host:port` listen address, checked with `parseListen`.
 * - `endpoint`: `local`, `tcp://host:port` or `udp://host:port` (go-carbon's metric-endpoint).
 * - `url-path`: an HTTP path starting with `/`.
 * - `url`: an `http://` or `https://` URL.
 * - `int-list`: an array of integers (only an unimplemented key uses it).
 * - `string-list`: an array of strings; from the environment, separated by commas or blanks, or
 *   a TOML array (`["a.{b,c}", "d"]`).
 * - `table`: a table of free-form keys (`[prometheus.labels]`); string values where implemented
 *   (an environment value is a TOML inline table: `{ "X-Scope-OrgID" = "t1" }`).
 * - `tables`: named sub-tables of free-form keys (`[receiver.<name>]`).
 * - `table-list`: an array of tables (`[[carbonserver.api-per-path-rate-limiters]]`).
 * - `section-list`: an array of tables whose keys have specs of their own (`[[remote-write]]`,
 *   keys in remote_write.ts).
 */
export type Kind =
  | "string"
  | "path"
  | "int"
  | "float"
  | "bool"
  | "duration"
  | "size"
  | "enum"
  | "listen"
  | "endpoint"
  | "url-path"
  | "url"
  | "int-list"
  | "string-list"
  | "table"
  | "tables"
  | "table-list"
  | "section-list";

/** One config key. */
export interface KeySpec {
  /** The TOML table holding the key: `"whisper"`, `"carbonserver.grpc"`, `"logging"`; `""` is the top level. */
  readonly section: string;
  /** go-carbon's TOML key, kebab-case (a few go-carbon keys are not: `jaegerEndpoint`, `send_timeout`). */
  readonly key: string;
  /** `section.key`: how messages and warnings name the key. */
  readonly name: string;
  readonly kind: Kind;
  /** The camelCase property of `config[section]` (of each `config.logging[i]`); absent when carbonado keeps no value. */
  readonly field?: string;
  /** False for keys carbonado reads but does not act on: setting one gives a warning, never an error. */
  readonly implemented: boolean;
  /** carbonado's default (go-carbon's default for an unimplemented key). Durations in ms. */
  readonly default: unknown;
  /** go-carbon's default, where carbonado's differs. */
  readonly goDefault?: unknown;
  /** The allowed values of an `enum`. */
  readonly values?: readonly string[];
  /** The smallest allowed number (milliseconds for a duration). */
  readonly min?: number;
  /** The largest allowed number. */
  readonly max?: number;
  /** What a `size` counts. */
  readonly unit?: "points" | "bytes";
  /** The environment variable overriding the key (`CARBONADO_WHISPER_DATA_DIR`); `""` if none. */
  readonly env: string;
  /** Why a user would set it; printed above the key by `--print-default-config`. */
  readonly doc: string;
  /** What a deprecated key stands for (go-carbon's `common.logfile` → `[[logging]] file`). */
  readonly deprecatedFor?: string;
  /** The key a deprecated alias sets (`whisper.max-creates-per-second` → its carbonserver key). */
  readonly aliasOf?: string;
  /** True for keys carbonado has and go-carbon lacks. */
  readonly carbonadoOnly?: boolean;
}

/** The implemented sections, each `[[logging]]` entry standing for `logging`. */
type Sections = Omit<Config, "logging"> & { logging: LoggingConfig };

/** Options shared by both entry builders. */
type SpecOptions =
  & Partial<
    Pick<
      KeySpec,
      | "goDefault"
      | "values"
      | "min"
      | "max"
      | "unit"
      | "deprecatedFor"
      | "aliasOf"
      | "carbonadoOnly"
    >
  >
  & { kind: Kind; doc: string };

/** The environment variable for a key: `whisper.data-dir` → `CARBONADO_WHISPER_DATA_DIR`. */
export function envName(section: string, key: string): string {
  const name = section === "" ? key : `${section}.${key}`;
  return "CARBONADO_" + name.toUpperCase().replace(/[-.]/g, "_");
}

/** A key with a field in `Config`; its default is typed by that field. */
function field<S extends keyof Sections, F extends keyof Sections[S] & string>(
  name: `${S}.${string}`,
  options: SpecOptions & { field: F; default: Sections[S][F]; implemented?: boolean },
): KeySpec {
  return build(name, { implemented: true, ...options });
}

/** A go-carbon key carbonado accepts and ignores (or, with `implemented`, handles itself). */
function other(
  name: string,
  options: SpecOptions & { default: unknown; implemented?: boolean },
): KeySpec {
  return build(name, { implemented: false, ...options });
}

/** A stream listener's `max-connections`. */
function maxConnections(
  section: "tcp" | "pickle" | "carbonlink" | "influx" | "opentsdb",
): KeySpec {
  return field(`${section}.max-connections`, {
    field: "maxConnections",
    kind: "int",
    default: 0,
    min: 0,
    carbonadoOnly: true,
    doc: "Connections open at once (Python carbon's MAX_RECEIVER_CONNECTIONS); " +
      "more are accepted and closed at once, counted and logged. 0: the process's share, its " +
      "open-file limit less a reserve for Whisper files, the WAL and HTTP (docs/ARCHITECTURE.md)",
  });
}

function build(
  name: string,
  options: SpecOptions & { default: unknown; implemented: boolean; field?: string },
): KeySpec {
  const dot = name.lastIndexOf(".");
  const section = dot < 0 ? "" : name.slice(0, dot);
  const key = name.slice(dot + 1);
  const free = options.kind === "table" || options.kind === "tables" ||
    options.kind === "table-list" || options.kind === "section-list";
  return { section, key, name, env: free ? "" : envName(section, key), ...options };
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

/**
 * Every section and key carbonado knows, in go-carbon's order. Keys with `implemented: false`
 * are go-carbon features carbonado does not have; they are listed so that a go-carbon config
 * loads with one warning instead of failing or being mistaken for typos.
 */
export const SCHEMA: readonly KeySpec[] = [
  // [common]
  field("common.user", {
    field: "user",
    kind: "string",
    default: "carbon",
    implemented: false,
    doc: "go-carbon switches to this user in daemon mode; carbonado has no daemon mode, " +
      "start it as the user it should run as",
  }),
  field("common.graph-prefix", {
    field: "graphPrefix",
    kind: "string",
    default: "carbon.agents.{host}",
    doc: "Prefix of carbonado's own metrics; {host} is replaced by the host name",
  }),
  field("common.metric-endpoint", {
    field: "metricEndpoint",
    kind: "endpoint",
    default: "local",
    doc: 'Where own metrics go: "local" (into the cache), "tcp://host:port" or "udp://host:port"',
  }),
  field("common.metric-interval", {
    field: "metricInterval",
    kind: "duration",
    default: 60_000,
    min: 1,
    doc: "How often own metrics are sent (like carbon's CARBON_METRIC_INTERVAL)",
  }),
  field("common.shutdown-timeout", {
    field: "shutdownTimeout",
    kind: "duration",
    default: 60_000,
    min: 0,
    carbonadoOnly: true,
    doc: "On SIGTERM/SIGINT, how long to keep writing the cache to whisper files before exiting " +
      "(go-carbon drops its cache on stop)",
  }),
  field("common.max-cpu", {
    field: "maxCpu",
    kind: "int",
    default: 1,
    implemented: false,
    doc: "GOMAXPROCS in go-carbon; carbonado runs JavaScript on one thread, " +
      "write parallelism is whisper.workers",
  }),
  other("common.logfile", {
    kind: "string",
    default: "",
    implemented: true,
    deprecatedFor: "[[logging]] file",
    doc: "Deprecated in go-carbon: replaces [[logging]] with one logger writing to this file",
  }),
  other("common.log-level", {
    kind: "enum",
    values: LEVELS,
    default: "info",
    implemented: true,
    deprecatedFor: "[[logging]] level",
    doc: "Deprecated in go-carbon: replaces [[logging]] with one logger at this level",
  }),

  // [whisper]
  field("whisper.data-dir", {
    field: "dataDir",
    kind: "path",
    default: "./data",
    goDefault: "/var/lib/graphite/whisper/",
    doc: "Root of the whisper files: metric a.b.c is stored in data-dir/a/b/c.wsp",
  }),
  field("whisper.schemas-file", {
    field: "schemasFile",
    kind: "string",
    default: "",
    goDefault: "/etc/go-carbon/storage-schemas.conf",
    doc: "storage-schemas.conf: retentions by metric name pattern",
  }),
  field("whisper.aggregation-file", {
    field: "aggregationFile",
    kind: "string",
    default: "",
    doc: "storage-aggregation.conf (optional): aggregation method and xFilesFactor by pattern",
  }),
  other("whisper.quotas-file", { kind: "string", default: "", doc: "go-carbon quotas" }),
  field("whisper.workers", {
    field: "workers",
    kind: "int",
    default: 2,
    goDefault: 1,
    min: 1,
    doc:
      "Most persister worker threads writing whisper files (none while the main thread keeps up; they start under a backlog)",
  }),
  field("whisper.max-updates-per-second", {
    field: "maxUpdatesPerSecond",
    kind: "int",
    default: 0,
    min: 0,
    doc: "Limit of whisper file updates per second over all workers; 0 is no limit",
  }),
  other("whisper.max-creates-per-second", {
    kind: "int",
    default: 0,
    min: 0,
    implemented: true,
    deprecatedFor: "carbonserver.max-creates-per-second",
    aliasOf: "carbonserver.max-creates-per-second",
    doc: "go-carbon's older place for carbonserver.max-creates-per-second",
  }),
  field("whisper.hard-max-creates-per-second", {
    field: "hardMaxCreatesPerSecond",
    kind: "bool",
    default: false,
    deprecatedFor: "carbonserver.max-creates-per-second; still read: makes that limit hard",
    doc: "Make carbonserver.max-creates-per-second hard: the points of new series past it are " +
      "dropped (counted) instead of waiting in the cache for the next second; with a limit of " +
      "0 it does nothing (go-carbon would drop every new series)",
  }),
  field("whisper.sparse-create", {
    field: "sparseCreate",
    kind: "bool",
    default: false,
    doc: "Create new whisper files sparse instead of writing every byte",
  }),
  other("whisper.physical-size-factor", {
    kind: "float",
    default: 0.75,
    doc: "Physical-size estimate for quotas",
  }),
  field("whisper.flock", {
    field: "flock",
    kind: "bool",
    default: false,
    doc: "Take a flock on every whisper file access (for concurrent readers and writers)",
  }),
  other("whisper.compressed", { kind: "bool", default: false, doc: "Compressed whisper files" }),
  field("whisper.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    doc: "Write whisper files at all; false keeps points in the cache only",
  }),
  field("whisper.hash-filenames", {
    field: "hashFilenames",
    kind: "bool",
    default: true,
    doc: "Tagged series live in _tagged/<h[0:3]>/<h[3:6]>/<sha256>.wsp (carbon's " +
      "TAG_HASH_FILENAMES); false names the file after the series, dots as _DOT_",
  }),
  field("whisper.remove-empty-file", {
    field: "removeEmptyFile",
    kind: "bool",
    default: false,
    doc: "Delete a zero-byte whisper file (left by a crash) instead of failing on it",
  }),
  other("whisper.online-migration", {
    kind: "bool",
    default: false,
    doc: "Migrate files to changed schemas",
  }),
  other("whisper.online-migration-rate", {
    kind: "int",
    default: 5,
    doc: "Files migrated per second",
  }),
  other("whisper.online-migration-global-scope", {
    kind: "string",
    default: "",
    doc: "What online migration changes",
  }),

  // [cache]
  field("cache.max-size", {
    field: "maxSize",
    kind: "size",
    unit: "points",
    default: 1_000_000,
    min: 0,
    doc: "Most points held in memory; points arriving beyond it are dropped and counted as " +
      "overflow. 0: no point limit (as go-carbon), the cache is then bounded by max-memory alone",
  }),
  field("cache.max-memory", {
    field: "maxMemory",
    kind: "size",
    unit: "bytes",
    default: 0,
    min: 0,
    max: WASM_MEMORY_MAX_BYTES,
    carbonadoOnly: true,
    doc: "Most bytes the cache's wasm memory grows to; points arriving beyond it are dropped " +
      "and counted as overflow. 0: a quarter of the memory of the machine or of the container " +
      "(cgroup memory.max or memory.limit_in_bytes), at most 4 GiB, the most a 32-bit wasm " +
      "memory holds; the figure in force is logged at start",
  }),
  field("cache.write-strategy", {
    field: "writeStrategy",
    kind: "enum",
    values: ["max", "sorted", "noop"],
    default: "max",
    doc: 'Which metric is written next: "max" (most points first), "sorted" (oldest first), ' +
      '"noop" (any order, least CPU)',
  }),
  other("cache.bloom-size", { kind: "int", default: 0, doc: "Bloom filter for new metrics" }),

  // [udp]
  field("udp.listen", {
    field: "listen",
    kind: "listen",
    default: ":2003",
    doc: "Plaintext protocol over UDP",
  }),
  field("udp.enabled", { field: "enabled", kind: "bool", default: true, doc: "Listen on UDP" }),
  other("udp.buffer-size", { kind: "int", default: 0, doc: "Queue between receiver and cache" }),
  other("udp.log-incomplete", {
    kind: "bool",
    default: false,
    doc: "Documented by go-carbon, read by nothing",
  }),

  // [tcp]
  field("tcp.listen", {
    field: "listen",
    kind: "listen",
    default: ":2003",
    doc: "Plaintext protocol over TCP",
  }),
  field("tcp.enabled", { field: "enabled", kind: "bool", default: true, doc: "Listen on TCP" }),
  field("tcp.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 120_000,
    min: 0,
    carbonadoOnly: true,
    doc: "Close a connection that completed no line or frame this long, idle or trickling " +
      "bytes (go-carbon has a fixed 2m0s idle timeout)",
  }),
  maxConnections("tcp"),
  field("tcp.max-line-size", {
    field: "maxLineSize",
    kind: "size",
    unit: "bytes",
    default: 262_144,
    min: 1,
    carbonadoOnly: true,
    doc: "Longest accepted plaintext line in bytes; longer lines are dropped and counted",
  }),
  other("tcp.buffer-size", { kind: "int", default: 0, doc: "Queue between receiver and cache" }),
  other("tcp.compression", {
    kind: "enum",
    values: ["", "gzip", "snappy"],
    default: "",
    doc: "Whole-stream decompression",
  }),

  // [pickle]
  field("pickle.listen", {
    field: "listen",
    kind: "listen",
    default: ":2004",
    doc: "Pickle protocol over TCP (carbon-relay, carbon-c-relay)",
  }),
  field("pickle.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    doc: "Listen for pickle",
  }),
  field("pickle.max-message-size", {
    field: "maxMessageSize",
    kind: "size",
    unit: "bytes",
    default: 67_108_864,
    min: 1,
    doc: "Largest accepted pickle message in bytes; a larger one closes the connection",
  }),
  field("pickle.max-buffered-size", {
    field: "maxBufferedSize",
    kind: "size",
    unit: "bytes",
    default: 67_108_864,
    min: 1,
    carbonadoOnly: true,
    doc: "Most frame bytes buffered and decoding across all pickle connections; over it, " +
      "connections wait (reads paused) until frames are done (a larger frame goes alone)",
  }),
  field("pickle.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 120_000,
    min: 0,
    carbonadoOnly: true,
    doc: "Close a connection that completed no line or frame this long, idle or trickling " +
      "bytes (go-carbon has a fixed 2m0s idle timeout)",
  }),
  maxConnections("pickle"),
  other("pickle.buffer-size", {
    kind: "int",
    default: 0,
    doc: "Queue between receiver and cache",
  }),

  // [receiver.<name>]
  other("receiver", {
    kind: "tables",
    default: {},
    doc: "Extra receivers: protobuf, http, kafka, pubsub",
  }),

  // [carbonlink]
  field("carbonlink.listen", {
    field: "listen",
    kind: "listen",
    default: "127.0.0.1:7002",
    doc: "Cache queries from graphite-web (CARBONLINK_HOSTS)",
  }),
  field("carbonlink.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    doc: "Answer carbonlink queries",
  }),
  field("carbonlink.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 30_000,
    min: 0,
    doc: "Close a carbonlink connection that completed no request this long",
  }),
  maxConnections("carbonlink"),

  // [grpc]
  other("grpc.listen", { kind: "listen", default: "127.0.0.1:7003", doc: "gRPC CacheQuery" }),
  other("grpc.enabled", { kind: "bool", default: true, doc: "gRPC CacheQuery" }),

  // [tags]
  field("tags.enabled", {
    field: "enabled",
    kind: "bool",
    default: false,
    doc: "Post new tagged series to an external graphite-web TagDB (carbonado always stores " +
      "tagged names as carbon does and serves /tags/* itself on the carbonserver listener)",
  }),
  field("tags.tagdb-url", {
    field: "tagdbUrl",
    kind: "string",
    default: "http://127.0.0.1:8000",
    doc: "graphite-web's base URL; series go to <tagdb-url>/tags/tagMultiSeries",
  }),
  field("tags.tagdb-chunk-size", {
    field: "tagdbChunkSize",
    kind: "int",
    default: 32,
    min: 1,
    doc: "Series per TagDB request",
  }),
  field("tags.tagdb-update-interval", {
    field: "tagdbUpdateInterval",
    kind: "int",
    default: 100,
    min: 1,
    doc: "Also post a tagged series on every Nth write of one (new series always go)",
  }),
  field("tags.local-dir", {
    field: "localDir",
    kind: "path",
    default: "/var/lib/graphite/tagging/",
    doc: "Where names wait to be posted, so that restarts and TagDB outages lose none",
  }),
  field("tags.tagdb-timeout", {
    field: "tagdbTimeout",
    kind: "duration",
    default: 1_000,
    min: 1,
    doc: "Timeout of one TagDB request",
  }),
  field("tags.max-queue-size", {
    field: "maxQueueSize",
    kind: "size",
    unit: "bytes",
    default: 64 * 1024 * 1024,
    min: 4096,
    carbonadoOnly: true,
    doc: "Bound of the local-dir queue; names beyond it are dropped and counted",
  }),

  // [carbonserver]
  field("carbonserver.listen", {
    field: "listen",
    kind: "listen",
    default: "127.0.0.1:8080",
    doc: "HTTP read API for graphite-web, carbonapi and carbonzipper",
  }),
  field("carbonserver.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    goDefault: false,
    doc: "Serve /metrics/find/, /render/ and friends",
  }),
  field("carbonserver.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 60_000,
    min: 0,
    doc: "Longest time to read a request's body (a slower one is answered 408); 0: no limit",
  }),
  field("carbonserver.idle-timeout", {
    field: "idleTimeout",
    kind: "duration",
    default: 60_000,
    min: 0,
    implemented: false,
    doc: "HTTP keep-alive idle timeout in go-carbon; Deno's HTTP server has no setting for it",
  }),
  field("carbonserver.write-timeout", {
    field: "writeTimeout",
    kind: "duration",
    default: 60_000,
    min: 0,
    doc: "Longest time to compute and send a response: past it the request is answered 503, " +
      "or a response already started is cut off; 0: no limit",
  }),
  field("carbonserver.scan-frequency", {
    field: "scanFrequency",
    kind: "duration",
    default: 300_000,
    min: 0,
    doc: "Rescan the data directory this often, so that files created, resized or removed by " +
      "other tools appear in and disappear from find; 0: scan once at start",
  }),
  field("carbonserver.max-creates-per-second", {
    field: "maxCreatesPerSecond",
    kind: "int",
    default: 0,
    min: 0,
    doc: "Most new whisper files created per second; a new series past it waits in the cache " +
      "for a later second (whisper.hard-max-creates-per-second: its points are dropped). 0: no " +
      "limit",
  }),
  field("carbonserver.max-globs", {
    field: "maxGlobs",
    kind: "int",
    default: 100,
    min: 0,
    doc: "Most expansions of {a,b} and [ab] in one query",
  }),
  field("carbonserver.fail-on-max-globs", {
    field: "failOnMaxGlobs",
    kind: "bool",
    default: true,
    goDefault: false,
    doc: "Answer a query expanding to more than max-globs with a 400; false: match it without " +
      "expanding it (complete, slower; go-carbon truncates it silently)",
  }),
  field("carbonserver.max-metrics-globbed", {
    field: "maxMetricsGlobbed",
    kind: "int",
    default: 10_000_000,
    min: 0,
    doc: "Most metrics one find request may match",
  }),
  field("carbonserver.max-metrics-rendered", {
    field: "maxMetricsRendered",
    kind: "int",
    default: 1_000_000,
    min: 0,
    doc: "Most metrics one render request may return",
  }),
  ...([
    ["buckets", "int", 10, "Response-time histogram buckets"],
    ["metrics-as-counters", "bool", false, "grobian/carbonserver counter compatibility"],
    ["request-timeout", "duration", 0, "Per-request timeout (unset in go-carbon)"],
    ["query-cache-enabled", "bool", true, "Cache /render results for a minute"],
    ["query-cache-size-mb", "int", 0, "Size of the /render cache"],
    ["streaming-query-cache-enabled", "bool", false, "Cache gRPC render results"],
    ["find-cache-enabled", "bool", true, "Cache /metrics/find results for five minutes"],
    ["find-cache-size-mb", "int", 0, "Size of the find cache"],
    ["glob-cache-enabled", "bool", true, "Cache glob expansions"],
    ["glob-cache-size-mb", "int", 0, "Size of the glob cache"],
    ["trigram-index", "bool", true, "Trigram index of metric names"],
    ["trie-index", "bool", false, "Trie index of metric names"],
    ["concurrent-index", "bool", false, "Build the trie in place"],
    ["realtime-index", "int", 0, "Buffer of new metrics added to the index at once"],
    ["cache-scan", "bool", false, "Index metrics that are only in the cache"],
    ["file-list-cache", "string", "", "File keeping the scan result across restarts"],
    ["file-list-cache-version", "int", 1, "Format of file-list-cache"],
    ["max-fetch-data-goroutines", "int", 0, "Parallel fetches from disk and cache"],
    ["quota-usage-report-frequency", "duration", 60_000, "Quota metrics interval"],
    ["no-service-when-index-is-not-ready", "bool", false, "Answer 503 until indexed"],
    ["max-inflight-requests", "int", 0, "Answer 429 beyond this many requests"],
    ["empty-result-ok", "bool", false, "Empty result instead of 404"],
    ["do-not-log-404s", "bool", false, "Do not log metric-not-found"],
    ["internal-stats-dir", "string", "", "Keeps last-read times across restarts"],
    ["stats-percentiles", "int-list", [99, 98, 95, 75, 50], "Render latency percentiles"],
    ["render-trace-logging-enabled", "bool", false, "Trace logging of renders"],
    ["graphite-web-10-strict-mode", "bool", true, "In go-carbon's example only, read by nothing"],
    ["heavy-glob-query-rate-limiters", "table-list", [], "Limits by query pattern"],
    ["api-per-path-rate-limiters", "table-list", [], "Limits by API path"],
  ] as const).map(([key, kind, def, doc]) =>
    other(`carbonserver.${key}`, { kind, default: def, doc })
  ),

  // [carbonserver.grpc]
  other("carbonserver.grpc.enabled", { kind: "bool", default: false, doc: "CarbonV2 gRPC" }),
  other("carbonserver.grpc.listen", { kind: "string", default: "", doc: "CarbonV2 gRPC" }),

  // [dump]
  other("dump.enabled", { kind: "bool", default: false, doc: "Dump the cache on SIGUSR2" }),
  other("dump.path", { kind: "string", default: "/var/lib/graphite/dump/", doc: "Dump directory" }),
  other("dump.restore-per-second", { kind: "int", default: 0, doc: "Restore rate" }),

  // [wal] (carbonado only: go-carbon and Graphite's carbon keep the cache in memory alone)
  field("wal.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    carbonadoOnly: true,
    doc: "Write every accepted point to a write-ahead log before the cache: a crash or kill -9 " +
      "loses nothing that was counted as received",
  }),
  field("wal.dir", {
    field: "dir",
    kind: "path",
    default: "./wal",
    carbonadoOnly: true,
    doc: "Directory of the log's segments and checkpoints; beside, never inside, whisper.data-dir",
  }),
  field("wal.sync-interval", {
    field: "syncInterval",
    kind: "duration",
    default: 1000,
    min: 0,
    carbonadoOnly: true,
    doc: 'fsync of the live segment at this interval; "0s" fsyncs each commit before it is ' +
      "acknowledged (bounds what a power loss can take)",
  }),
  field("wal.segment-size", {
    field: "segmentSize",
    kind: "size",
    unit: "bytes",
    default: 128 * 2 ** 20,
    min: 64 * 1024,
    carbonadoOnly: true,
    doc: "Largest segment file, a multiple of 32 KiB (Prometheus: 128 MiB)",
  }),
  field("wal.max-size", {
    field: "maxSize",
    kind: "size",
    unit: "bytes",
    default: 4 * 2 ** 30,
    min: 1 * 2 ** 20,
    carbonadoOnly: true,
    doc:
      "Cap on the directory: past it the oldest data is dropped from the log, counted and logged",
  }),
  field("wal.flush-on-stop", {
    field: "flushOnStop",
    kind: "bool",
    default: true,
    carbonadoOnly: true,
    doc: "On SIGTERM write the cache to whisper first; false stops fast and the next start replays",
  }),
  field("wal.checkpoint-interval", {
    field: "checkpointInterval",
    kind: "duration",
    default: 5 * 60_000,
    min: 1000,
    carbonadoOnly: true,
    doc: "Checkpoint the cache (and delete the segments it covers) at least this often",
  }),
  field("wal.checkpoint-size", {
    field: "checkpointSize",
    kind: "size",
    unit: "bytes",
    default: 256 * 2 ** 20,
    min: 64 * 1024,
    carbonadoOnly: true,
    doc: "Checkpoint as well once this many bytes were logged since the last checkpoint",
  }),

  // [relay] (carbonado only: carbon-c-relay's clusters and vminsert's queues, WAL-backed)
  field("relay.enabled", {
    field: "enabled",
    kind: "bool",
    default: false,
    carbonadoOnly: true,
    doc: "Forward every point received to relay.destinations, routed as carbon-c-relay routes " +
      "(in its place in front of a go-carbon or carbonado cluster)",
  }),
  field("relay.method", {
    field: "method",
    kind: "enum",
    values: ["jump_fnv1a_ch", "fnv1a_ch", "carbon_ch"],
    default: "jump_fnv1a_ch",
    carbonadoOnly: true,
    doc: "carbon-c-relay's consistent hash: every name goes where carbon-c-relay sends it",
  }),
  field("relay.replication", {
    field: "replication",
    kind: "int",
    default: 1,
    min: 1,
    carbonadoOnly: true,
    doc: "Destinations each line goes to (at most the number of destinations)",
  }),
  field("relay.destinations", {
    field: "destinations",
    kind: "string-list",
    default: [],
    carbonadoOnly: true,
    doc: 'Cluster members, "host:port" or "host:port=instance" as in carbon-c-relay\'s cluster ' +
      "(jump_fnv1a_ch puts members with an instance first, sorted by it, then the rest in order)",
  }),
  field("relay.local", {
    field: "local",
    kind: "bool",
    default: false,
    carbonadoOnly: true,
    doc: "Also keep every point here (cache, WAL, Whisper, queries); false: forward only, with " +
      "no whisper writer and no query API",
  }),
  field("relay.on-down", {
    field: "onDown",
    kind: "enum",
    values: ["queue", "reroute"],
    default: "queue",
    carbonadoOnly: true,
    doc: 'A destination that cannot be reached: "queue" keeps its lines until it is back ' +
      '(carbon-c-relay\'s hash clusters), "reroute" sends them to the next member holding no ' +
      "replica of them (vminsert)",
  }),
  field("relay.dir", {
    field: "dir",
    kind: "path",
    default: "./relay",
    carbonadoOnly: true,
    doc: "Directory of the destination queues (one directory each); beside whisper.data-dir",
  }),
  field("relay.max-size", {
    field: "maxSize",
    kind: "size",
    unit: "bytes",
    default: 2 ** 30,
    min: 2 ** 20,
    carbonadoOnly: true,
    doc: "Cap on each destination's queue on disk: past it the oldest lines are dropped, " +
      "counted and logged",
  }),
  field("relay.segment-size", {
    field: "segmentSize",
    kind: "size",
    unit: "bytes",
    default: 16 * 2 ** 20,
    min: 64 * 1024,
    carbonadoOnly: true,
    doc: "Largest queue segment file, a multiple of 32 KiB (at most half of max-size)",
  }),
  field("relay.sync-interval", {
    field: "syncInterval",
    kind: "duration",
    default: 1000,
    min: 0,
    carbonadoOnly: true,
    doc: 'fsync of the queues at this interval; "0s" fsyncs before a batch is acknowledged',
  }),
  field("relay.buffer-size", {
    field: "bufferSize",
    kind: "size",
    unit: "bytes",
    default: 8 * 2 ** 20,
    min: 0,
    carbonadoOnly: true,
    doc: "Queued lines held in memory per destination (the rest is read back from disk)",
  }),
  field("relay.resend-bytes", {
    field: "resendBytes",
    kind: "size",
    unit: "bytes",
    default: 16 * 2 ** 20,
    min: 0,
    carbonadoOnly: true,
    doc: "A line counts as delivered once this many bytes followed it on the connection " +
      "(or the destination closed cleanly); a lost connection resends the rest (duplicates, " +
      "never a gap). Cover both ends' socket buffers",
  }),
  field("relay.connect-timeout", {
    field: "connectTimeout",
    kind: "duration",
    default: 3000,
    min: 1,
    carbonadoOnly: true,
    doc: "Give up a connection attempt after this long (the destination is then down)",
  }),
  field("relay.allowed-chars", {
    field: "allowedChars",
    kind: "string",
    default: "-_:#",
    carbonadoOnly: true,
    doc: "carbon-c-relay's -c: characters kept in names besides letters, digits and dots " +
      "(others become _); with ; in it, tags are routed as part of the name",
  }),

  // [[remote-write]] (carbonado only): each entry one remote; its keys are in remote_write.ts
  build("remote-write", {
    kind: "section-list",
    field: "remoteWrite",
    implemented: true,
    default: [],
    carbonadoOnly: true,
    doc: "Prometheus remote_write destinations (VictoriaMetrics, Prometheus, Mimir) fed from " +
      "the WAL",
  }),

  // [scrape] (carbonado only: Prometheus targets scraped into tagged series)
  field("scrape.enabled", {
    field: "enabled",
    kind: "bool",
    default: false,
    carbonadoOnly: true,
    doc: "Scrape the Prometheus targets of scrape.config-file into the cache as tagged series " +
      "(`name;job=...;instance=...;label=value`)",
  }),
  field("scrape.config-file", {
    field: "configFile",
    kind: "string",
    default: "",
    carbonadoOnly: true,
    doc: "A Prometheus configuration file: its global scrape settings and scrape_configs " +
      "(static_configs, file_sd_configs, relabeling) are read as Prometheus 2.42 reads them; " +
      "SIGHUP reloads it",
  }),
  field("scrape.prefix", {
    field: "prefix",
    kind: "string",
    default: "",
    carbonadoOnly: true,
    doc: 'Put before every scraped metric name, e.g. "prom." gives prom.node_load1;job=...',
  }),
  field("scrape.body-size-limit", {
    field: "bodySizeLimit",
    kind: "size",
    unit: "bytes",
    default: 64 * 2 ** 20,
    min: 1024,
    carbonadoOnly: true,
    doc: "Largest scrape body (after gzip): a larger one fails the scrape, nothing of it is kept",
  }),
  field("scrape.start-slots", {
    field: "startSlots",
    kind: "int",
    default: 20,
    min: 0,
    max: 1000,
    carbonadoOnly: true,
    doc: "Scrapes start on a grid of this many slots per scrape interval, each slot a whole " +
      "number of seconds (interval / slots rounded, at least 1 s): a target's scrape waits from " +
      "its Prometheus offset to the next slot, so targets due in the same slot share one timer " +
      "wakeup with each other and with the daemon's once-a-second chores (each wakeup costs the " +
      "daemon CPU), and read their answers together 2 ms later (left out of " +
      "scrape_duration_seconds). 0: every target at its own offset, no wait",
  }),

  // [pprof]
  other("pprof.listen", { kind: "listen", default: "127.0.0.1:7007", doc: "Go profiler" }),
  other("pprof.enabled", { kind: "bool", default: false, doc: "Go profiler" }),

  // [prometheus]
  field("prometheus.listen", {
    field: "listen",
    kind: "listen",
    default: "127.0.0.1:7007",
    carbonadoOnly: true,
    doc: "Where /metrics is served (go-carbon serves it on [pprof] listen, 127.0.0.1:7007)",
  }),
  field("prometheus.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    goDefault: false,
    doc: "Serve own metrics in the Prometheus text format",
  }),
  field("prometheus.endpoint", {
    field: "endpoint",
    kind: "url-path",
    default: "/metrics",
    doc: "HTTP path of the Prometheus metrics",
  }),
  other("prometheus.labels", { kind: "table", default: {}, doc: "Constant labels" }),

  // [influx]: Influx line protocol over TCP and UDP (carbonado only)
  field("influx.listen", {
    field: "listen",
    kind: "listen",
    default: ":8089",
    carbonadoOnly: true,
    doc: "Influx line protocol over TCP and UDP (InfluxDB's UDP port and VictoriaMetrics' " +
      "usual -influxListenAddr); over HTTP it arrives on [http-ingest]",
  }),
  field("influx.enabled", {
    field: "enabled",
    kind: "bool",
    default: false,
    carbonadoOnly: true,
    doc: "Listen for Influx line protocol on TCP and UDP",
  }),
  field("influx.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 120_000,
    min: 0,
    carbonadoOnly: true,
    doc: "Close a TCP connection that completed no line this long, idle or trickling bytes",
  }),
  maxConnections("influx"),
  field("influx.max-line-size", {
    field: "maxLineSize",
    kind: "size",
    unit: "bytes",
    default: 262_144,
    min: 1,
    carbonadoOnly: true,
    doc: "Longest accepted line in bytes, over TCP, UDP and HTTP (VictoriaMetrics' " +
      "-influx.maxLineSize); longer lines are dropped and counted",
  }),
  field("influx.measurement-field-separator", {
    field: "measurementFieldSeparator",
    kind: "string",
    default: ".",
    carbonadoOnly: true,
    doc: 'Between measurement and field in a metric name, "cpu" and "usage_user" giving ' +
      '"cpu.usage_user" (VictoriaMetrics\' -influxMeasurementFieldSeparator, default "_" there); ' +
      "at most 16 bytes",
  }),
  field("influx.db-tag", {
    field: "dbTag",
    kind: "string",
    default: "db",
    carbonadoOnly: true,
    doc: "Tag set to the HTTP db parameter when a line has no tag of that name " +
      '(VictoriaMetrics\' -influxDBLabel); "" adds none',
  }),

  // [opentsdb]: OpenTSDB telnet put lines over TCP (carbonado only)
  field("opentsdb.listen", {
    field: "listen",
    kind: "listen",
    default: ":4242",
    carbonadoOnly: true,
    doc: "OpenTSDB telnet put lines over TCP (OpenTSDB's port); HTTP /api/put arrives on " +
      "[http-ingest]",
  }),
  field("opentsdb.enabled", {
    field: "enabled",
    kind: "bool",
    default: false,
    carbonadoOnly: true,
    doc: "Listen for OpenTSDB telnet put lines",
  }),
  field("opentsdb.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 120_000,
    min: 0,
    carbonadoOnly: true,
    doc: "Close a connection that completed no line this long, idle or trickling bytes",
  }),
  maxConnections("opentsdb"),
  field("opentsdb.max-line-size", {
    field: "maxLineSize",
    kind: "size",
    unit: "bytes",
    default: 262_144,
    min: 1,
    carbonadoOnly: true,
    doc: "Longest accepted line in bytes; longer lines are dropped and counted",
  }),

  // [http-ingest]: Influx /write, OpenTSDB /api/put and Prometheus remote_write over HTTP
  field("http-ingest.listen", {
    field: "listen",
    kind: "listen",
    default: ":2006",
    carbonadoOnly: true,
    doc: "HTTP ingest: Influx /write, /api/v2/write, /ping and /query, OpenTSDB /api/put, " +
      "Prometheus remote_write /api/v1/write. Every interface, as the plaintext receivers " +
      "(senders are remote); 2006 sits beside carbon's 2003 and 2004 and is none of the " +
      "usual ports of Graphite (2003-2005, 2007, 2013, 2014, 2023, 2024, 7002, 8000, 8080), " +
      "Prometheus (9090-9100), VictoriaMetrics (8428, 8480-8482, 4242, 8089) or InfluxDB " +
      "(8086, 8088, 8089)",
  }),
  field("http-ingest.enabled", {
    field: "enabled",
    kind: "bool",
    default: true,
    carbonadoOnly: true,
    doc: "Serve the HTTP ingest routes",
  }),
  field("http-ingest.max-request-size", {
    field: "maxRequestSize",
    kind: "size",
    unit: "bytes",
    default: 33_554_432,
    min: 1,
    carbonadoOnly: true,
    doc: "Largest request body in bytes, as sent and once decompressed (gzip, snappy); a " +
      "larger one is refused with 413 before it is read (VictoriaMetrics: 32 MiB)",
  }),
  field("http-ingest.max-inflight-size", {
    field: "maxInflightSize",
    kind: "size",
    unit: "bytes",
    default: 268_435_456,
    min: 1,
    carbonadoOnly: true,
    doc: "Bytes of request bodies being read at once over all requests; a request that would " +
      "pass it is answered 503 (senders retry)",
  }),
  field("http-ingest.read-timeout", {
    field: "readTimeout",
    kind: "duration",
    default: 60_000,
    min: 1,
    carbonadoOnly: true,
    doc: "Longest time to read a request body; a slower one is answered 408",
  }),

  // [tracing]
  other("tracing.enabled", { kind: "bool", default: false, doc: "Jaeger tracing" }),
  other("tracing.jaegerEndpoint", { kind: "string", default: "", doc: "Jaeger tracing" }),
  other("tracing.stdout", { kind: "bool", default: false, doc: "Jaeger tracing" }),
  other("tracing.send_timeout", { kind: "duration", default: 10_000, doc: "Jaeger tracing" }),

  // [[logging]]
  field("logging.logger", {
    field: "logger",
    kind: "string",
    default: "",
    doc: 'Logger name; "" is every logger',
  }),
  field("logging.file", {
    field: "file",
    kind: "string",
    default: "stdout",
    goDefault: "stderr",
    doc: 'Log output: a file name, "stdout", "stderr" or "none"',
  }),
  field("logging.level", {
    field: "level",
    kind: "enum",
    values: LEVELS,
    default: "info",
    doc: 'Lowest level written: "debug", "info", "warn" or "error"',
  }),
  field("logging.encoding", {
    field: "encoding",
    kind: "enum",
    values: ["json", "console", "mixed"],
    default: "json",
    goDefault: "mixed",
    doc: 'Log line format; carbonado writes JSON lines, go-carbon\'s "console" and "mixed" ' +
      "are accepted so its configs load",
  }),
  other("logging.encoding-time", {
    kind: "enum",
    values: ["millis", "nanos", "epoch", "iso8601"],
    default: "iso8601",
    doc: "Time format",
  }),
  other("logging.encoding-duration", {
    kind: "enum",
    values: ["seconds", "nanos", "string"],
    default: "seconds",
    doc: "Duration format",
  }),
  other("logging.sample-tick", { kind: "string", default: "", doc: "Log sampling" }),
  other("logging.sample-initial", { kind: "int", default: 0, doc: "Log sampling" }),
  other("logging.sample-thereafter", { kind: "int", default: 0, doc: "Log sampling" }),
];

/** Every TOML table name in the schema, in go-carbon's order (`""` excluded). */
export const SECTIONS: readonly string[] = [
  ...new Set(SCHEMA.map((s) => s.section).filter((s) => s !== "")),
];

const BY_NAME = new Map<string, KeySpec>();
const BY_ENV = new Map<string, KeySpec>();
for (const spec of SCHEMA) {
  BY_NAME.set(spec.name.toLowerCase(), spec);
  if (spec.env !== "") BY_ENV.set(spec.env, spec);
}

/**
 * Finds a key by section and key name. Like go-carbon's TOML decoder (BurntSushi/toml), an
 * exact match is not required: `Workers` finds `whisper.workers`.
 */
export function findKey(section: string, key: string): KeySpec | undefined {
  return BY_NAME.get((section === "" ? key : `${section}.${key}`).toLowerCase());
}

/** Finds the key a `CARBONADO_*` environment variable overrides. */
export function findEnv(name: string): KeySpec | undefined {
  return BY_ENV.get(name);
}

/** The canonical name of a section, matched without regard to case like `findKey`. */
export function findSection(name: string): string | undefined {
  const lower = name.toLowerCase();
  return SECTIONS.find((s) => s.toLowerCase() === lower);
}
