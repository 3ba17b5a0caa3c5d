// The keys of a `[[remote-write]]` entry (carbonado only): one remote_write destination each,
// any number of them, each independent. Their names and meanings follow Prometheus'
// remote_write and queue_config (url, remote-timeout, capacity, min-shards, max-shards,
// max-samples-per-send, batch-send-deadline, min-backoff, max-backoff, retry-on-http-429), in
// go-carbon's kebab case. load.ts reads the entries from TOML and from
// `CARBONADO_REMOTE_WRITE_<N>_<KEY>` variables with these specs; checkRemoteWrite() then checks
// what one key alone cannot (names, auth, shard and backoff bounds, mapping rules).

import { compileGlob } from "../index/glob.ts";
import { isLabelName } from "../remote/names.ts";
import type { KeySpec } from "./schema.ts";

/** One mapping rule: Graphite series matching `match` are named `name`, labels filled from `$n`. */
export interface RemoteWriteMapping {
  match: string;
  name: string;
  labels: Record<string, string>;
}

/** One `[[remote-write]]` entry. Durations in milliseconds, sizes in bytes. */
export interface RemoteWriteConfig {
  url: string;
  /** Names the queue in metrics, logs and its state directory; derived from the URL when empty. */
  name: string;
  remoteTimeout: number;
  headers: Record<string, string>;
  basicAuthUsername: string;
  basicAuthPassword: string;
  basicAuthPasswordFile: string;
  bearerToken: string;
  bearerTokenFile: string;
  tlsCaFile: string;
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsInsecureSkipVerify: boolean;
  include: string[];
  exclude: string[];
  names: "sanitized" | "raw";
  mapping: RemoteWriteMapping[];
  acceptsOutOfOrder: boolean;
  capacity: number;
  minShards: number;
  maxShards: number;
  maxSamplesPerSend: number;
  batchSendDeadline: number;
  minBackoff: number;
  maxBackoff: number;
  retryOnHttp429: boolean;
  maxBacklog: number;
  maxBacklogAge: number;
}

/** The section name in TOML. */
export const REMOTE_WRITE_SECTION = "remote-write";

/** `CARBONADO_REMOTE_WRITE_<N>_<KEY>`: the entry index and the key's variable suffix. */
export const REMOTE_WRITE_ENV = /^CARBONADO_REMOTE_WRITE_(\d+)_([A-Z0-9_]+)$/;

type Field = keyof RemoteWriteConfig & string;

function key(
  name: string,
  field: Field,
  spec: Omit<KeySpec, "section" | "key" | "name" | "field" | "implemented" | "env">,
): KeySpec {
  return {
    section: REMOTE_WRITE_SECTION,
    key: name,
    name: `${REMOTE_WRITE_SECTION}.${name}`,
    field,
    implemented: true,
    carbonadoOnly: true,
    env: `CARBONADO_REMOTE_WRITE_<N>_${name.toUpperCase().replace(/-/g, "_")}`,
    ...spec,
  };
}

/**
 * The keys of a `[[remote-write]]` entry, in the order `--print-default-config` shows them.
 * Queue defaults are Prometheus' since 2.44 (capacity 10000, max-shards 50, max-samples-per-send
 * 2000): larger requests than 2.42's 2500/200/500 cost the remote less per sample, and the
 * sender needs fewer shards; retry-on-http-429 is on (Prometheus: off), since a 429 dropped is
 * a gap.
 */
export const REMOTE_WRITE_KEYS: readonly KeySpec[] = [
  key("url", "url", {
    kind: "url",
    default: "",
    doc: "Where to POST: http(s)://host:port/api/v1/write (VictoriaMetrics, Prometheus with " +
      "--web.enable-remote-write-receiver), Mimir's /api/v1/push; required",
  }),
  key("name", "name", {
    kind: "string",
    default: "",
    doc: "The queue's name in metrics (remote_name), logs and its state directory " +
      "<wal.dir>/remote-write/<name>/; letters, digits, '.', '_', '-'. Default: the URL's host_port",
  }),
  key("remote-timeout", "remoteTimeout", {
    kind: "duration",
    default: 30_000,
    min: 1,
    doc: "Timeout of one request",
  }),
  key("headers", "headers", {
    kind: "table",
    default: {},
    doc: 'Extra HTTP headers, e.g. { "X-Scope-OrgID" = "tenant-1" } for Mimir',
  }),
  key("basic-auth-username", "basicAuthUsername", {
    kind: "string",
    default: "",
    doc: "HTTP basic authentication",
  }),
  key("basic-auth-password", "basicAuthPassword", {
    kind: "string",
    default: "",
    doc: "HTTP basic authentication (masked on the status page)",
  }),
  key("basic-auth-password-file", "basicAuthPasswordFile", {
    kind: "string",
    default: "",
    doc: "Read the basic authentication password from this file at start",
  }),
  key("bearer-token", "bearerToken", {
    kind: "string",
    default: "",
    doc: "Authorization: Bearer token (masked on the status page)",
  }),
  key("bearer-token-file", "bearerTokenFile", {
    kind: "string",
    default: "",
    doc: "Read the bearer token from this file at start",
  }),
  key("tls-ca-file", "tlsCaFile", {
    kind: "string",
    default: "",
    doc: "PEM CA certificates to trust besides the system's",
  }),
  key("tls-cert-file", "tlsCertFile", {
    kind: "string",
    default: "",
    doc: "PEM client certificate (mutual TLS), with tls-key-file",
  }),
  key("tls-key-file", "tlsKeyFile", {
    kind: "string",
    default: "",
    doc: "PEM private key of the client certificate",
  }),
  key("tls-insecure-skip-verify", "tlsInsecureSkipVerify", {
    kind: "bool",
    default: false,
    doc: "Do not check the server's certificate (tests only)",
  }),
  key("include", "include", {
    kind: "string-list",
    default: [],
    doc: 'Send only series whose path matches one of these Graphite globs, e.g. ["servers.*"]; ' +
      "empty sends all",
  }),
  key("exclude", "exclude", {
    kind: "string-list",
    default: [],
    doc: 'Never send series whose path matches one of these globs, e.g. ["carbon.agents.*.*"]',
  }),
  key("names", "names", {
    kind: "enum",
    values: ["sanitized", "raw"],
    default: "sanitized",
    doc: '__name__ from the Graphite path: "sanitized" replaces every byte outside ' +
      '[a-zA-Z0-9_:] with _ (any receiver), "raw" keeps the dotted path (VictoriaMetrics, ' +
      "Prometheus 2.x); tags k=v become labels either way",
  }),
  key("mapping", "mapping", {
    kind: "table-list",
    default: [],
    doc: 'Rules tried in order, e.g. { match = "servers.*.cpu.*", name = "cpu_usage", ' +
      'labels = { host = "$1", mode = "$2" } }: $n is the n-th wildcard segment',
  }),
  key("accepts-out-of-order", "acceptsOutOfOrder", {
    kind: "bool",
    default: false,
    doc: "The remote stores samples older than a series' newest (VictoriaMetrics does); when " +
      "false, such late Graphite points are dropped and counted, so the remote never refuses " +
      "a whole request for them (Prometheus does)",
  }),
  key("capacity", "capacity", {
    kind: "int",
    default: 10_000,
    min: 1,
    doc: "Samples queued per shard; when the queues are full the WAL reader waits (the WAL " +
      "keeps the data)",
  }),
  key("min-shards", "minShards", {
    kind: "int",
    default: 1,
    min: 1,
    doc: "Fewest requests in flight at once",
  }),
  key("max-shards", "maxShards", {
    kind: "int",
    default: 50,
    min: 1,
    doc: "Most requests in flight at once",
  }),
  key("max-samples-per-send", "maxSamplesPerSend", {
    kind: "int",
    default: 2000,
    min: 1,
    doc: "Most samples in one request",
  }),
  key("batch-send-deadline", "batchSendDeadline", {
    kind: "duration",
    default: 5000,
    min: 1,
    doc: "Longest a sample waits for its batch to fill before it is sent",
  }),
  key("min-backoff", "minBackoff", {
    kind: "duration",
    default: 30,
    min: 1,
    doc: "First wait before a request is retried; doubles up to max-backoff",
  }),
  key("max-backoff", "maxBackoff", {
    kind: "duration",
    default: 5000,
    min: 1,
    doc: "Longest wait between retries (a Retry-After header may ask for longer)",
  }),
  key("retry-on-http-429", "retryOnHttp429", {
    kind: "bool",
    default: true,
    doc: "Retry requests answered 429 Too Many Requests (Prometheus' default: false, drop them)",
  }),
  key("max-backlog", "maxBacklog", {
    kind: "size",
    unit: "bytes",
    default: 2 * 2 ** 30,
    min: 0,
    doc: "Most WAL bytes kept for this remote while it is down or slow; past it its oldest " +
      "data is dropped for this remote only, counted and logged. 0: up to wal.max-size",
  }),
  key("max-backlog-age", "maxBacklogAge", {
    kind: "duration",
    default: 0,
    min: 0,
    doc: "Drop, for this remote only, WAL segments older than this it has not sent; 0: no limit",
  }),
];

const BY_KEY = new Map(REMOTE_WRITE_KEYS.map((s) => [s.key.toLowerCase(), s]));
const BY_ENV = new Map(
  REMOTE_WRITE_KEYS.map((s) => [s.env.replace("CARBONADO_REMOTE_WRITE_<N>_", ""), s]),
);

/** The spec of an entry key, found without regard to case. */
export function findRemoteWriteKey(key: string): KeySpec | undefined {
  return BY_KEY.get(key.toLowerCase());
}

/** The spec a `CARBONADO_REMOTE_WRITE_<N>_<SUFFIX>` variable sets. */
export function findRemoteWriteEnv(suffix: string): KeySpec | undefined {
  return BY_ENV.get(suffix);
}

/** An entry with every key at its default. */
export function defaultRemoteWrite(): RemoteWriteConfig {
  const entry: Record<string, unknown> = {};
  for (const spec of REMOTE_WRITE_KEYS) entry[spec.field!] = structuredClone(spec.default);
  return entry as unknown as RemoteWriteConfig;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks what one key alone cannot and fills in derived names. `where(i, key)` names a key of
 * entry `i` in messages (`remote-write[1].max-shards`).
 *
 * @throws {RangeError} naming the key: a missing url, a bad or repeated name, min above max,
 *   two kinds of authentication, a certificate without its key, a bad glob or mapping rule
 */
export function checkRemoteWrite(
  entries: RemoteWriteConfig[],
  where: (i: number, key: string) => string,
): void {
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const fail = (key: string, why: string): never => {
      throw new RangeError(`${where(i, key)}: ${why}`);
    };
    if (e.url === "") fail("url", "a url is required");
    if (e.name === "") e.name = nameFromUrl(e.url);
    if (!NAME.test(e.name)) {
      fail("name", `"${e.name}" may hold only letters, digits, '.', '_' and '-'`);
    }
    const other = seen.get(e.name);
    if (other !== undefined) {
      fail("name", `"${e.name}" is also the name of entry ${other}: give each entry its own name`);
    }
    seen.set(e.name, i);
    if (e.minShards > e.maxShards) {
      fail("min-shards", `${e.minShards} is above max-shards ${e.maxShards}`);
    }
    if (e.minBackoff > e.maxBackoff) {
      fail("min-backoff", `${e.minBackoff} ms is above max-backoff ${e.maxBackoff} ms`);
    }
    const basic = e.basicAuthUsername !== "" || e.basicAuthPassword !== "" ||
      e.basicAuthPasswordFile !== "";
    const bearer = e.bearerToken !== "" || e.bearerTokenFile !== "";
    if (basic && bearer) {
      fail("bearer-token", "set basic authentication or a bearer token, not both");
    }
    if (e.basicAuthPassword !== "" && e.basicAuthPasswordFile !== "") {
      fail("basic-auth-password-file", "set basic-auth-password or this file, not both");
    }
    if (e.bearerToken !== "" && e.bearerTokenFile !== "") {
      fail("bearer-token-file", "set bearer-token or this file, not both");
    }
    if ((e.tlsCertFile === "") !== (e.tlsKeyFile === "")) {
      fail("tls-key-file", "tls-cert-file and tls-key-file go together");
    }
    for (const k of ["include", "exclude"] as const) {
      for (const glob of e[k]) checkGlob(glob, () => where(i, k));
    }
    e.mapping.forEach((rule, r) => checkMapping(rule, () => `${where(i, "mapping")}[${r}]`));
  });
}

function checkGlob(glob: string, where: () => string): void {
  try {
    compileGlob(glob);
  } catch (err) {
    throw new RangeError(`${where()}: ${(err as Error).message}`);
  }
}

const RULE_KEYS = new Set(["match", "name", "labels"]);

function checkMapping(rule: RemoteWriteMapping, where: () => string): void {
  const raw = rule as unknown as Record<string, unknown>;
  for (const k of Object.keys(raw)) {
    if (!RULE_KEYS.has(k)) throw new RangeError(`${where()}: unknown key "${k}"`);
  }
  if (typeof rule.match !== "string" || rule.match === "") {
    throw new RangeError(`${where()}: match must be a Graphite glob`);
  }
  checkGlob(rule.match, where);
  if (typeof rule.name !== "string" || rule.name === "") {
    throw new RangeError(`${where()}: name must be a non-empty string`);
  }
  rule.labels ??= {};
  if (typeof rule.labels !== "object" || Array.isArray(rule.labels)) {
    throw new RangeError(`${where()}: labels must be a table of strings`);
  }
  for (const [name, value] of Object.entries(rule.labels)) {
    if (!isLabelName(name) || name.startsWith("__")) {
      throw new RangeError(`${where()}: "${name}" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)`);
    }
    if (typeof value !== "string") {
      throw new RangeError(`${where()}: labels.${name} must be a string`);
    }
  }
}

/** `http://vm:8428/api/v1/write` → `vm_8428`. */
function nameFromUrl(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname.replace(/[^A-Za-z0-9.-]/g, "_")}_${port}`;
}
