// loadConfig(): go-carbon's own example config, bad values, environment overrides, warnings.

import assert from "node:assert/strict";
import { type Config, defaultConfig } from "../../src/config/config.ts";
import { loadConfig, parseConfig } from "../../src/config/load.ts";
import { type KeySpec, SCHEMA } from "../../src/config/schema.ts";

const FIXTURE = new URL("../fixtures/config/go-carbon.conf.example", import.meta.url).pathname;

/** Writes `text` to a config file in a fresh temp dir, runs `fn` on its path, cleans up. */
async function withConfigFile<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_config_" });
  try {
    const path = `${dir}/carbonado.toml`;
    await Deno.writeTextFile(path, text);
    return await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts `promise` rejects with `Class` and a message equal to `message`, or matching it. */
async function assertFails(
  promise: Promise<unknown>,
  Class: new (...args: never[]) => Error,
  message: string | RegExp,
): Promise<void> {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${error}`);
  if (typeof message === "string") assert.equal(error.message, message);
  else assert.match(error.message, message);
}

Deno.test("loadConfig() with no file and no environment gives the defaults and no warnings", async () => {
  assert.deepEqual(await loadConfig({ env: {} }), { config: defaultConfig(), warnings: [] });
});

Deno.test("loadConfig() reads go-carbon's example config, naming every ignored key on or off", async () => {
  const { config, warnings } = await loadConfig({ file: FIXTURE, env: {} });
  assert.deepEqual(warnings, [
    "unimplemented config keys ignored, their features turned on here: " + [
      "common.user",
      "common.max-cpu",
      "grpc.listen",
      "grpc.enabled",
      "carbonserver.buckets",
      "carbonserver.request-timeout",
      "carbonserver.query-cache-enabled",
      "carbonserver.find-cache-enabled",
      "carbonserver.glob-cache-enabled",
      "carbonserver.trigram-index",
      "carbonserver.graphite-web-10-strict-mode",
      "carbonserver.stats-percentiles",
      "logging.encoding-time",
      "logging.encoding-duration",
    ].join(", "),
    "unimplemented config keys ignored, their features left off: " + [
      "whisper.compressed",
      "cache.bloom-size",
      "udp.buffer-size",
      "tcp.buffer-size",
      "pickle.buffer-size",
      "carbonserver.metrics-as-counters",
      "carbonserver.streaming-query-cache-enabled",
      "carbonserver.query-cache-size-mb",
      "carbonserver.find-cache-size-mb",
      "carbonserver.glob-cache-size-mb",
      "carbonserver.trie-index",
      "carbonserver.concurrent-index",
      "carbonserver.realtime-index",
      "carbonserver.max-inflight-requests",
      "carbonserver.no-service-when-index-is-not-ready",
      "carbonserver.cache-scan",
      "carbonserver.max-fetch-data-goroutines",
      "carbonserver.empty-result-ok",
      "carbonserver.do-not-log-404s",
      "carbonserver.internal-stats-dir",
      "dump.enabled",
      "dump.path",
      "dump.restore-per-second",
      "pprof.listen",
      "pprof.enabled",
    ].join(", "),
  ]);
  const expected = defaultConfig();
  expected.common.maxCpu = 4;
  expected.whisper.dataDir = "/var/lib/graphite/whisper";
  expected.whisper.schemasFile = "/etc/go-carbon/storage-schemas.conf";
  expected.whisper.aggregationFile = "/etc/go-carbon/storage-aggregation.conf";
  expected.whisper.workers = 8;
  expected.whisper.flock = true;
  expected.cache.maxSize = 1_000_000;
  expected.carbonserver.maxMetricsGlobbed = 30_000;
  expected.carbonserver.maxMetricsRendered = 1_000;
  expected.carbonserver.failOnMaxGlobs = false;
  expected.logging = [{
    logger: "",
    file: "/var/log/go-carbon/go-carbon.log",
    level: "info",
    encoding: "mixed",
  }];
  assert.deepEqual(config, expected);
});

Deno.test("loadConfig() applies the example's values and lets the environment override them", async () => {
  const { config } = await loadConfig({
    file: FIXTURE,
    env: { CARBONADO_WHISPER_WORKERS: "3", CARBONADO_CACHE_MAX_SIZE: "5000000", HOME: "/root" },
  });
  assert.equal(config.whisper.workers, 3);
  assert.equal(config.cache.maxSize, 5_000_000);
  assert.equal(config.whisper.dataDir, "/var/lib/graphite/whisper");
});

/** A value of the right kind for `spec` that differs from its default, as TOML and env text. */
function sample(spec: KeySpec): { toml: string; env: string; value: unknown } {
  switch (spec.kind) {
    case "int":
    case "size": {
      const n = (spec.min ?? 0) + 7;
      return { toml: `${n}`, env: `${n}`, value: n };
    }
    case "bool":
      return { toml: `${!spec.default}`, env: spec.default ? "0" : "1", value: !spec.default };
    case "duration":
      return { toml: '"1h30m"', env: "1h30m", value: 5_400_000 };
    case "enum": {
      const v = spec.values!.find((x) => x !== spec.default)!;
      return { toml: JSON.stringify(v), env: v, value: v };
    }
    case "listen":
      return { toml: '"127.0.0.1:0"', env: "127.0.0.1:0", value: "127.0.0.1:0" };
    case "endpoint":
      return {
        toml: '"udp://127.0.0.1:2003"',
        env: "udp://127.0.0.1:2003",
        value: "udp://127.0.0.1:2003",
      };
    case "url-path":
      return { toml: '"/prom"', env: "/prom", value: "/prom" };
    case "string-list":
      return {
        toml: '["10.0.0.1:2003", "10.0.0.2:2003=b"]',
        env: "10.0.0.1:2003, 10.0.0.2:2003=b",
        value: ["10.0.0.1:2003", "10.0.0.2:2003=b"],
      };
    default:
      return { toml: '"/tmp/some where"', env: "/tmp/some where", value: "/tmp/some where" };
  }
}

function read(config: Config, spec: KeySpec): unknown {
  const target = spec.section === "logging"
    ? config.logging[0]
    : (config as unknown as Record<string, unknown>)[spec.section];
  return (target as Record<string, unknown>)[spec.field!];
}

// [[remote-write]] entries have keys of their own: tests/config/remote_write_test.ts
const FIELDS = SCHEMA.filter((s) => s.field !== undefined && s.kind !== "section-list");

/** What a key needs beside it to make a valid config: the relay's members when it is on. */
const NEEDS: Record<string, { toml: string; env: Record<string, string> }> = {
  "relay.enabled": {
    toml: 'destinations = ["127.0.0.1:2003"]\n',
    env: { CARBONADO_RELAY_DESTINATIONS: "127.0.0.1:2003" },
  },
};

Deno.test("every key with a Config field is read from the file", async () => {
  for (const spec of FIELDS) {
    const { toml, value } = sample(spec);
    const header = spec.section === "logging" ? "[[logging]]" : `[${spec.section}]`;
    const { config } = await withConfigFile(
      `${header}\n${spec.key} = ${toml}\n${NEEDS[spec.name]?.toml ?? ""}`,
      (file) => loadConfig({ file, env: {} }),
    );
    assert.deepEqual(read(config, spec), value, spec.name);
  }
});

Deno.test("every key with a Config field is read from its CARBONADO_* variable", () => {
  for (const spec of FIELDS) {
    const { env, value } = sample(spec);
    const { config } = parseConfig("", { env: { [spec.env]: env, ...NEEDS[spec.name]?.env } });
    assert.deepEqual(read(config, spec), value, spec.env);
  }
});

Deno.test("environment variables parse each kind: strings, integers, sizes, booleans, durations, enums, addresses", () => {
  const { config, warnings } = parseConfig("", {
    env: {
      CARBONADO_WHISPER_DATA_DIR: "/srv/whisper",
      CARBONADO_COMMON_GRAPH_PREFIX: "carbonado.{host}",
      CARBONADO_WHISPER_WORKERS: "4",
      CARBONADO_CACHE_MAX_SIZE: "5000",
      CARBONADO_WHISPER_FLOCK: "true",
      CARBONADO_WHISPER_SPARSE_CREATE: "1",
      CARBONADO_UDP_ENABLED: "0",
      CARBONADO_TCP_ENABLED: "FALSE",
      CARBONADO_COMMON_METRIC_INTERVAL: "30s",
      CARBONADO_TCP_READ_TIMEOUT: "1m30s",
      CARBONADO_CACHE_WRITE_STRATEGY: "sorted",
      CARBONADO_TCP_LISTEN: "127.0.0.1:12003",
      CARBONADO_PROMETHEUS_LISTEN: "[::1]:9090",
      CARBONADO_COMMON_METRIC_ENDPOINT: "tcp://127.0.0.1:2003",
      CARBONADO_LOGGING_LEVEL: "debug",
      CARBONADO_LOGGING_FILE: "stderr",
    },
  });
  assert.deepEqual(warnings, []);
  assert.equal(config.whisper.dataDir, "/srv/whisper");
  assert.equal(config.common.graphPrefix, "carbonado.{host}");
  assert.equal(config.whisper.workers, 4);
  assert.equal(config.cache.maxSize, 5000);
  assert.equal(config.whisper.flock, true);
  assert.equal(config.whisper.sparseCreate, true);
  assert.equal(config.udp.enabled, false);
  assert.equal(config.tcp.enabled, false);
  assert.equal(config.common.metricInterval, 30_000);
  assert.equal(config.tcp.readTimeout, 90_000);
  assert.equal(config.cache.writeStrategy, "sorted");
  assert.equal(config.tcp.listen, "127.0.0.1:12003");
  assert.equal(config.prometheus.listen, "[::1]:9090");
  assert.equal(config.common.metricEndpoint, "tcp://127.0.0.1:2003");
  assert.deepEqual(config.logging, [
    { logger: "", file: "stderr", level: "debug", encoding: "json" },
  ]);
});

Deno.test("the environment beats the file and the file beats the defaults", async () => {
  const toml = `[whisper]\ndata-dir = "/from/file"\nworkers = 8\n[cache]\nmax-size = 300\n`;
  const { config } = await withConfigFile(toml, (file) =>
    loadConfig({
      file,
      env: { CARBONADO_WHISPER_DATA_DIR: "/from/env", CARBONADO_CACHE_MAX_SIZE: "400" },
    }));
  assert.equal(config.whisper.dataDir, "/from/env");
  assert.equal(config.cache.maxSize, 400);
  assert.equal(config.whisper.workers, 8);
  assert.equal(config.cache.writeStrategy, "max");
});

Deno.test("CARBONADO_LOGGING_* apply to the first of several [[logging]] entries", async () => {
  const toml = `[[logging]]\nfile = "a.log"\n[[logging]]\nfile = "b.log"\nlevel = "error"\n`;
  const { config } = await withConfigFile(
    toml,
    (file) =>
      loadConfig({
        file,
        env: { CARBONADO_LOGGING_LEVEL: "warn", CARBONADO_LOGGING_FILE: "c.log" },
      }),
  );
  assert.deepEqual(config.logging, [
    { logger: "", file: "c.log", level: "warn", encoding: "json" },
    { logger: "", file: "b.log", level: "error", encoding: "json" },
  ]);
});

Deno.test("loadConfig() fails on a bad value, naming the file, the key and what was expected", async () => {
  const cases: [string, string, ErrorConstructor][] = [
    ['[whisper]\nworkers = "x"', 'whisper.workers = "x" is not an integer', TypeError],
    ["[whisper]\nworkers = 2.5", "whisper.workers = 2.5 is not an integer", TypeError],
    ["[whisper]\nworkers = 0", "whisper.workers = 0: expected at least 1", RangeError],
    [
      "[whisper]\nworkers = 9007199254740993",
      "whisper.workers = 9007199254740993 is too large",
      RangeError,
    ],
    [
      "[whisper]\nmax-updates-per-second = -1",
      "whisper.max-updates-per-second = -1: expected at least 0",
      RangeError,
    ],
    ['[whisper]\ndata-dir = ""', 'whisper.data-dir = "": expected a non-empty path', RangeError],
    ["[whisper]\nflock = 1", "whisper.flock = 1 is not a boolean", TypeError],
    [
      '[cache]\nwrite-strategy = "fast"',
      'cache.write-strategy = "fast": expected one of max, sorted, noop',
      RangeError,
    ],
    ["[cache]\nmax-size = -1", "cache.max-size = -1: expected at least 0", RangeError],
    [
      "[cache]\nmax-memory = 4294967297",
      "cache.max-memory = 4294967297: expected at most 4294967296",
      RangeError,
    ],
    ['[cache]\nmax-size = "1M"', 'cache.max-size = "1M" is not an integer', TypeError],
    ['[udp]\nenabled = "yes"', 'udp.enabled = "yes" is not a boolean', TypeError],
    [
      '[tcp]\nlisten = "2003"',
      'tcp.listen = "2003": expected a host:port listen address like ":2003" or "127.0.0.1:2003"',
      RangeError,
    ],
    [
      '[tcp]\nlisten = ":70000"',
      'tcp.listen = ":70000": expected a host:port listen address like ":2003" or "127.0.0.1:2003"',
      RangeError,
    ],
    ["[tcp]\nlisten = 2003", "tcp.listen = 2003 is not a string", TypeError],
    [
      '[tcp]\nread-timeout = "5"',
      'tcp.read-timeout = "5" is not a duration: missing unit',
      TypeError,
    ],
    [
      "[tcp]\nread-timeout = 120",
      'tcp.read-timeout = 120 is not a duration string like "1m0s"',
      TypeError,
    ],
    [
      '[tcp]\nread-timeout = "-1s"',
      'tcp.read-timeout = "-1s": expected at least 0s',
      RangeError,
    ],
    ["[tcp]\nmax-line-size = 0", "tcp.max-line-size = 0: expected at least 1", RangeError],
    [
      '[pickle]\nmax-message-size = "64MB"',
      'pickle.max-message-size = "64MB" is not an integer',
      TypeError,
    ],
    [
      '[carbonlink]\nread-timeout = "1x"',
      'carbonlink.read-timeout = "1x" is not a duration: unknown unit "x"',
      TypeError,
    ],
    [
      '[carbonserver]\nwrite-timeout = ""',
      'carbonserver.write-timeout = "" is not a duration',
      TypeError,
    ],
    [
      "[carbonserver]\nmax-globs = -1",
      "carbonserver.max-globs = -1: expected at least 0",
      RangeError,
    ],
    [
      "[carbonserver]\nfail-on-max-globs = []",
      "carbonserver.fail-on-max-globs = [] is not a boolean",
      TypeError,
    ],
    [
      '[common]\nmetric-interval = "0s"',
      'common.metric-interval = "0s": expected at least 1ms',
      RangeError,
    ],
    [
      '[common]\nmetric-endpoint = "http://127.0.0.1:2003"',
      'common.metric-endpoint = "http://127.0.0.1:2003": expected "local", "tcp://host:port" or "udp://host:port"',
      RangeError,
    ],
    ["[common]\ngraph-prefix = 5", "common.graph-prefix = 5 is not a string", TypeError],
    ['[common]\nmax-cpu = "x"', 'common.max-cpu = "x" is not an integer', TypeError],
    [
      '[common]\nlog-level = "loud"',
      'common.log-level = "loud": expected one of debug, info, warn, error',
      RangeError,
    ],
    [
      '[prometheus]\nendpoint = "metrics"',
      'prometheus.endpoint = "metrics": expected an HTTP path starting with "/"',
      RangeError,
    ],
    [
      "[prometheus]\nenabled = 1979-05-27",
      "prometheus.enabled = 1979-05-27 is not a boolean",
      TypeError,
    ],
    [
      '[[logging]]\nlevel = "verbose"',
      'logging.level = "verbose": expected one of debug, info, warn, error',
      RangeError,
    ],
    [
      '[[logging]]\nlevel = "info"\n[[logging]]\nencoding = "xml"',
      'logging[1].encoding = "xml": expected one of json, console, mixed',
      RangeError,
    ],
    ["whisper = 1", "whisper = 1: expected a table [whisper]", TypeError],
    ["logging = 1", "logging = 1: expected [[logging]] tables", TypeError],
    ["[whisper.workers]\nx = 1", 'whisper.workers = {"x":1} is not an integer', TypeError],
  ];
  for (const [toml, message, Class] of cases) {
    await withConfigFile(toml + "\n", async (file) => {
      await assertFails(loadConfig({ file, env: {} }), Class, `Invalid config ${file}: ${message}`);
    });
  }
});

Deno.test("loadConfig() fails on a bad environment value, naming the variable", async () => {
  const cases: [string, string, string, ErrorConstructor][] = [
    ["CARBONADO_WHISPER_WORKERS", "x", "is not an integer", TypeError],
    ["CARBONADO_WHISPER_WORKERS", "0", ": expected at least 1", RangeError],
    ["CARBONADO_CACHE_MAX_SIZE", "1e6", "is not an integer", TypeError],
    ["CARBONADO_UDP_ENABLED", "yes", "is not a boolean: expected true, false, 1 or 0", TypeError],
    ["CARBONADO_COMMON_METRIC_INTERVAL", "30", "is not a duration: missing unit", TypeError],
    [
      "CARBONADO_CACHE_WRITE_STRATEGY",
      "fast",
      ": expected one of max, sorted, noop",
      RangeError,
    ],
    [
      "CARBONADO_TCP_LISTEN",
      "localhost",
      ': expected a host:port listen address like ":2003" or "127.0.0.1:2003"',
      RangeError,
    ],
    [
      "CARBONADO_LOGGING_LEVEL",
      "loud",
      ": expected one of debug, info, warn, error",
      RangeError,
    ],
  ];
  for (const [name, value, reason, Class] of cases) {
    const sep = reason.startsWith(":") ? "" : " ";
    await assertFails(
      loadConfig({ env: { [name]: value } }),
      Class,
      `Invalid config from environment: ${name} = ${JSON.stringify(value)}${sep}${reason}`,
    );
  }
});

Deno.test("loadConfig() names the file and line of a TOML syntax error", async () => {
  await withConfigFile('[whisper]\ndata-dir = "/x"\nworkers = \n', async (file) => {
    await assertFails(
      loadConfig({ file, env: {} }),
      SyntaxError,
      `Cannot parse config ${file} at line 3: invalid value`,
    );
  });
  await withConfigFile("[whisper]\nworkers = 1\n[whisper]\nflock = true\n", async (file) => {
    await assertFails(
      loadConfig({ file, env: {} }),
      SyntaxError,
      new RegExp(`^Cannot parse config ${file} at line 3: `),
    );
  });
});

Deno.test("loadConfig() names a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertFails(
      loadConfig({ file: `${dir}/missing.toml`, env: {} }),
      Deno.errors.NotFound,
      new RegExp(`^Cannot read config ${dir}/missing.toml: `),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unknown keys are listed in their own warning, apart from unimplemented ones", async () => {
  const toml = [
    "toplevel = 1",
    "[whisper]",
    "workrs = 3",
    "workers = 3",
    "[dump]",
    "enabled = true",
    "[foo]",
    "bar = 1",
    "[[logging]]",
    "levle = 'debug'",
    "",
  ].join("\n");
  const { config, warnings } = await withConfigFile(toml, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(warnings, [
    "unimplemented config keys ignored, their features turned on here: dump.enabled",
    "unknown config keys ignored: toplevel, whisper.workrs (did you mean whisper.workers?), " +
    "foo, logging.levle (did you mean logging.level?)",
  ]);
  assert.equal(config.whisper.workers, 3);
});

Deno.test("go-carbon tables carbonado lacks are named once each in the unimplemented warning", async () => {
  const toml = [
    "[receiver.kafka]",
    'protocol = "kafka"',
    'brokers = ["host1:9092"]',
    "[receiver.http]",
    'protocol = "http"',
    "[prometheus]",
    "enabled = true",
    "[prometheus.labels]",
    'foo = "test"',
    "[[carbonserver.api-per-path-rate-limiters]]",
    'path = "/metrics/list/"',
    "[[carbonserver.api-per-path-rate-limiters]]",
    'path = "/render/"',
    "[carbonserver.grpc]",
    "enabled = true",
    'listen = ":7004"',
    "[tracing]",
    "send_timeout = '10s'",
    "",
  ].join("\n");
  const { warnings } = await withConfigFile(toml, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(warnings, [
    "unimplemented config keys ignored, their features turned on here: receiver.kafka, " +
    "receiver.http, prometheus.labels, carbonserver.api-per-path-rate-limiters, " +
    "carbonserver.grpc.enabled, carbonserver.grpc.listen",
    "unimplemented config keys ignored, their features left off: tracing.send_timeout",
  ]);
});

Deno.test("unknown and unimplemented CARBONADO_* variables are warned about, other variables ignored", () => {
  const { config, warnings } = parseConfig("", {
    env: {
      CARBONADO_WHISPER_WORKRS: "3",
      CARBONADO_DUMP_ENABLED: "true",
      CARBONADO_COMMON_MAX_CPU: "8",
      PATH: "/usr/bin",
      carbonado_whisper_workers: "5",
    },
  });
  assert.deepEqual(warnings, [
    "unimplemented config keys ignored, their features turned on here: " +
    "common.max-cpu (CARBONADO_COMMON_MAX_CPU), dump.enabled (CARBONADO_DUMP_ENABLED)",
    "unknown CARBONADO_* environment variables ignored: CARBONADO_WHISPER_WORKRS " +
    "(did you mean CARBONADO_WHISPER_WORKERS?)",
  ]);
  assert.equal(config.whisper.workers, 2);
  assert.equal(config.common.maxCpu, 8);
});

Deno.test("a single [logging] table is read as go-carbon reads it: as [[logging]]", async () => {
  const toml = '[logging]\nfile = "a.log"\n\n[whisper]\nworkers = 3\n\n[logging] # errors\n' +
    'file = "stderr"\r\nlevel = "error"';
  const { config, warnings } = await withConfigFile(toml, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.logging, [
    { logger: "", file: "a.log", level: "info", encoding: "json" },
    { logger: "", file: "stderr", level: "error", encoding: "json" },
  ]);
  assert.equal(config.whisper.workers, 3);
});

Deno.test("deprecated common.logfile and common.log-level replace [[logging]] as in go-carbon", async () => {
  const toml = '[common]\nlogfile = "/var/log/old.log"\nlog-level = "debug"\n' +
    '[[logging]]\nfile = "a.log"\n[[logging]]\nfile = "b.log"\n';
  const { config, warnings } = await withConfigFile(toml, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(config.logging, [
    { logger: "", file: "/var/log/old.log", level: "debug", encoding: "json" },
  ]);
  assert.deepEqual(warnings, [
    "deprecated config keys: common.logfile (use [[logging]] file), " +
    "common.log-level (use [[logging]] level)",
  ]);
  const fromEnv = parseConfig("", {
    env: { CARBONADO_COMMON_LOG_LEVEL: "warn", CARBONADO_LOGGING_FILE: "x.log" },
  });
  assert.deepEqual(fromEnv.config.logging, [
    { logger: "", file: "x.log", level: "warn", encoding: "json" },
  ]);
});

Deno.test("keys match without regard to case, as go-carbon's TOML decoder matches them", async () => {
  const toml = '[Whisper]\nWorkers = 5\nDATA-DIR = "/d"\n[[Logging]]\nLevel = "warn"\n';
  const { config, warnings } = await withConfigFile(toml, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(warnings, []);
  assert.equal(config.whisper.workers, 5);
  assert.equal(config.whisper.dataDir, "/d");
  assert.equal(config.logging[0].level, "warn");
});

Deno.test("an empty metric-endpoint means local, as in go-carbon", () => {
  const { config } = parseConfig('[common]\nmetric-endpoint = ""\n', { env: {} });
  assert.equal(config.common.metricEndpoint, "local");
});

Deno.test("two enabled TCP listeners on one port fail at load, naming both keys", async () => {
  const cases: [string, string][] = [
    [
      '[tcp]\nlisten = ":2004"',
      'tcp.listen = ":2004" and pickle.listen = ":2004" use the same TCP port',
    ],
    [
      '[prometheus]\nlisten = "127.0.0.1:8080"',
      'carbonserver.listen = "127.0.0.1:8080" and prometheus.listen = "127.0.0.1:8080" use the same TCP port',
    ],
    [
      '[carbonlink]\nlisten = ":2003"',
      'tcp.listen = ":2003" and carbonlink.listen = ":2003" use the same TCP port',
    ],
  ];
  for (const [toml, message] of cases) {
    await withConfigFile(toml + "\n", async (file) => {
      await assertFails(
        loadConfig({ file, env: {} }),
        RangeError,
        `Invalid config ${file}: ${message}`,
      );
    });
  }
  const fine = [
    '[tcp]\nlisten = ":2004"\n[pickle]\nenabled = false', // the other one is off
    '[tcp]\nlisten = "127.0.0.1:0"\n[pickle]\nlisten = "127.0.0.1:0"', // port 0 picks a free port
    '[carbonlink]\nlisten = "127.0.0.1:8081"\n[carbonserver]\nlisten = "127.0.0.2:8081"',
  ];
  for (const toml of fine) parseConfig(toml, { env: {} });
  assert.throws(
    () => parseConfig("", { env: { CARBONADO_PICKLE_LISTEN: ":2003" } }),
    /^RangeError: Invalid config: tcp.listen = ":2003" and pickle.listen = ":2003"/,
  );
});

Deno.test("[relay] on: a bad member or a replication above the members fails at load, naming the key", () => {
  const load = (text: string) => () => parseConfig(text, { env: {} });
  assert.throws(load("[relay]\nenabled = true\n"), /relay\.destinations: the list is empty/);
  assert.throws(
    load('[relay]\nenabled = true\ndestinations = ["10.0.0.1:2003", "10.0.0.2:x"]\n'),
    /relay\.destinations: "10\.0\.0\.2:x"/,
  );
  assert.throws(
    load('[relay]\nenabled = true\nreplication = 3\ndestinations = ["a:1", "b:1"]\n'),
    /relay\.replication = 3 is more than the 2 relay\.destinations/,
  );
  assert.equal(parseConfig('[relay]\ndestinations = ["bad"]\n', { env: {} }).warnings.length, 0);
});

Deno.test("whisper.max-creates-per-second is a deprecated alias; the carbonserver key wins", () => {
  const old = parseConfig(
    "[whisper]\nmax-creates-per-second = 7\nhard-max-creates-per-second = true\n",
    { env: {} },
  );
  assert.equal(old.config.carbonserver.maxCreatesPerSecond, 7);
  assert.equal(old.config.whisper.hardMaxCreatesPerSecond, true);
  assert.deepEqual(old.warnings, [
    "deprecated config keys: whisper.max-creates-per-second " +
    "(use carbonserver.max-creates-per-second), whisper.hard-max-creates-per-second " +
    "(use carbonserver.max-creates-per-second; still read: makes that limit hard)",
  ]);
  for (
    const toml of [
      "[carbonserver]\nmax-creates-per-second = 3\n[whisper]\nmax-creates-per-second = 7\n",
      "[whisper]\nmax-creates-per-second = 7\n[carbonserver]\nmax-creates-per-second = 3\n",
    ]
  ) {
    assert.equal(parseConfig(toml, { env: {} }).config.carbonserver.maxCreatesPerSecond, 3);
  }
  const env = parseConfig("[carbonserver]\nmax-creates-per-second = 3\n", {
    env: { CARBONADO_WHISPER_MAX_CREATES_PER_SECOND: "9" },
  });
  assert.equal(env.config.carbonserver.maxCreatesPerSecond, 9);
});

Deno.test("an ignored key is on when set in an enabled section, off when unset or its section is off", () => {
  const { warnings } = parseConfig(
    [
      "[grpc]",
      'listen = "127.0.0.1:7003"',
      "[dump]",
      'path = "/x"',
      "[pprof]",
      "enabled = true",
      "[carbonserver]",
      "enabled = false",
      "trie-index = true",
      "[cache]",
      "bloom-size = 0",
      "",
    ].join("\n"),
    { env: {} },
  );
  assert.deepEqual(warnings, [
    "unimplemented config keys ignored, their features turned on here: grpc.listen, " +
    "pprof.enabled",
    "unimplemented config keys ignored, their features left off: dump.path, " +
    "carbonserver.trie-index, cache.bloom-size",
  ]);
});
