// The daemon's settings: go-carbon's sections and keys (camelCased), with their defaults.
// Loading from TOML and the environment lives in load.ts; this file is the single source of
// truth for names, types and defaults.

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
  };
  cache: {
    maxSize: number;
    writeStrategy: "max" | "sorted" | "noop";
  };
  udp: { listen: string; enabled: boolean };
  tcp: { listen: string; enabled: boolean; readTimeout: number; maxLineSize: number };
  pickle: { listen: string; enabled: boolean; maxMessageSize: number; readTimeout: number };
  carbonlink: { listen: string; enabled: boolean; readTimeout: number };
  carbonserver: {
    listen: string;
    enabled: boolean;
    readTimeout: number;
    idleTimeout: number;
    writeTimeout: number;
    maxGlobs: number;
    failOnMaxGlobs: boolean;
    maxMetricsGlobbed: number;
    maxMetricsRendered: number;
  };
  prometheus: { listen: string; enabled: boolean; endpoint: string };
  logging: LoggingConfig[];
}

/** The settings used when nothing is configured: `deno task start` with no file. */
export function defaultConfig(): Config {
  return {
    common: {
      user: "carbon",
      graphPrefix: "carbon.agents.{host}",
      metricEndpoint: "local",
      metricInterval: 60_000,
      maxCpu: 1,
    },
    whisper: {
      dataDir: "./data",
      schemasFile: "",
      aggregationFile: "",
      workers: 2,
      maxUpdatesPerSecond: 0,
      sparseCreate: false,
      flock: false,
      enabled: true,
      removeEmptyFile: false,
    },
    cache: { maxSize: 1_000_000, writeStrategy: "max" },
    udp: { listen: ":2003", enabled: true },
    tcp: { listen: ":2003", enabled: true, readTimeout: 120_000, maxLineSize: 262_144 },
    pickle: { listen: ":2004", enabled: true, maxMessageSize: 67_108_864, readTimeout: 120_000 },
    carbonlink: { listen: "127.0.0.1:7002", enabled: true, readTimeout: 30_000 },
    carbonserver: {
      listen: "127.0.0.1:8080",
      enabled: true,
      readTimeout: 60_000,
      idleTimeout: 60_000,
      writeTimeout: 60_000,
      maxGlobs: 100,
      failOnMaxGlobs: false,
      maxMetricsGlobbed: 10_000_000,
      maxMetricsRendered: 1_000_000,
    },
    prometheus: { listen: "127.0.0.1:7007", enabled: true, endpoint: "/metrics" },
    logging: [{ logger: "", file: "stdout", level: "info", encoding: "json" }],
  };
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
