// The daemon's settings as the rest of carbonado reads them: go-carbon's sections and keys,
// camelCased. Names, kinds and defaults of every key live in one table, schema.ts; loading from
// TOML and the environment lives in load.ts.

import type { RemoteWriteConfig } from "./remote_write.ts";
import { SCHEMA } from "./schema.ts";

/** One `[[logging]]` entry. */
export interface LoggingConfig {
  logger: string;
  file: string;
  level: "debug" | "info" | "warn" | "error";
  encoding: string;
}

/** Every setting carbonado reads. Durations are milliseconds, sizes bytes, limits counts. */
export interface Config {
  common: {
    user: string;
    graphPrefix: string;
    metricEndpoint: string;
    metricInterval: number;
    /** How long a stop may spend writing the cache out (carbonado only). */
    shutdownTimeout: number;
    maxCpu: number;
  };
  whisper: {
    dataDir: string;
    schemasFile: string;
    aggregationFile: string;
    workers: number;
    maxUpdatesPerSecond: number;
    sparseCreate: boolean;
    flock: boolean;
    enabled: boolean;
    removeEmptyFile: boolean;
    hashFilenames: boolean;
    /** Past carbonserver.maxCreatesPerSecond, drop new series' points instead of waiting. */
    hardMaxCreatesPerSecond: boolean;
  };
  cache: {
    /** Points; 0: no limit but maxMemory. */
    maxSize: number;
    /** Bytes of wasm memory; 0: the default share of the machine's or container's memory. */
    maxMemory: number;
    writeStrategy: "max" | "sorted" | "noop";
  };
  udp: { listen: string; enabled: boolean };
  tcp: {
    listen: string;
    enabled: boolean;
    readTimeout: number;
    maxLineSize: number;
    maxConnections: number;
  };
  pickle: {
    listen: string;
    enabled: boolean;
    maxMessageSize: number;
    maxBufferedSize: number;
    readTimeout: number;
    maxConnections: number;
  };
  influx: {
    listen: string;
    enabled: boolean;
    readTimeout: number;
    maxLineSize: number;
    maxConnections: number;
    measurementFieldSeparator: string;
    dbTag: string;
  };
  opentsdb: {
    listen: string;
    enabled: boolean;
    readTimeout: number;
    maxLineSize: number;
    maxConnections: number;
  };
  "http-ingest": {
    listen: string;
    enabled: boolean;
    maxRequestSize: number;
    maxInflightSize: number;
    readTimeout: number;
  };
  carbonlink: { listen: string; enabled: boolean; readTimeout: number; maxConnections: number };
  carbonserver: {
    listen: string;
    enabled: boolean;
    readTimeout: number;
    idleTimeout: number;
    writeTimeout: number;
    /** Data directory rescan interval (ms); 0: once. */
    scanFrequency: number;
    /** New whisper files per second; 0: no limit. */
    maxCreatesPerSecond: number;
    maxGlobs: number;
    failOnMaxGlobs: boolean;
    maxMetricsGlobbed: number;
    maxMetricsRendered: number;
  };
  prometheus: { listen: string; enabled: boolean; endpoint: string };
  tags: {
    enabled: boolean;
    tagdbUrl: string;
    tagdbChunkSize: number;
    tagdbUpdateInterval: number;
    localDir: string;
    tagdbTimeout: number;
    maxQueueSize: number;
  };
  wal: {
    enabled: boolean;
    dir: string;
    syncInterval: number;
    segmentSize: number;
    maxSize: number;
    flushOnStop: boolean;
    checkpointInterval: number;
    checkpointSize: number;
  };
  scrape: {
    enabled: boolean;
    configFile: string;
    prefix: string;
    bodySizeLimit: number;
    startSlots: number;
  };
  relay: {
    enabled: boolean;
    method: "jump_fnv1a_ch" | "fnv1a_ch" | "carbon_ch";
    replication: number;
    destinations: string[];
    local: boolean;
    onDown: "queue" | "reroute";
    dir: string;
    maxSize: number;
    segmentSize: number;
    syncInterval: number;
    bufferSize: number;
    resendBytes: number;
    connectTimeout: number;
    allowedChars: string;
  };
  /** `[[remote-write]]` entries (carbonado only). */
  remoteWrite: RemoteWriteConfig[];
  logging: LoggingConfig[];
}

/**
 * The settings used when nothing is configured: `deno task start` with no file. Built from the
 * defaults in `SCHEMA` (schema.ts), so the table stays the one place defaults are written.
 */
export function defaultConfig(): Config {
  const config: Record<string, Record<string, unknown>> = {};
  const logger: Record<string, unknown> = {};
  const top: Record<string, unknown> = {};
  for (const spec of SCHEMA) {
    if (spec.field === undefined) continue;
    if (spec.section === "") {
      top[spec.field] = structuredClone(spec.default);
      continue;
    }
    const target = spec.section === "logging" ? logger : (config[spec.section] ??= {});
    target[spec.field] = structuredClone(spec.default);
  }
  return { ...config, ...top, logging: [logger] } as unknown as Config;
}

/** A listen address split for `Deno.listen`: `":2003"` listens on every interface. */
export function parseListen(addr: string, key: string): { hostname: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TypeError(`Invalid ${key}: "${addr}" is not a host:port listen address`);
  }
  const hostname = m[1] ?? m[2];
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}
