// The key table: it covers every Config field and every go-carbon key, and its names line up.

import assert from "node:assert/strict";
import { defaultConfig, parseListen } from "../../src/config/config.ts";
import { envName, findEnv, findKey, SCHEMA, SECTIONS } from "../../src/config/schema.ts";

Deno.test("defaultConfig() keeps the defaults other modules were written against", () => {
  assert.deepEqual(defaultConfig(), {
    common: {
      user: "carbon",
      graphPrefix: "carbon.agents.{host}",
      metricEndpoint: "local",
      metricInterval: 60_000,
      shutdownTimeout: 60_000,
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
      hashFilenames: true,
      hardMaxCreatesPerSecond: false,
    },
    cache: { maxSize: 1_000_000, maxMemory: 0, writeStrategy: "max" },
    udp: { listen: ":2003", enabled: true },
    tcp: {
      listen: ":2003",
      enabled: true,
      readTimeout: 120_000,
      maxConnections: 0,
      maxLineSize: 262_144,
    },
    pickle: {
      listen: ":2004",
      enabled: true,
      maxMessageSize: 67_108_864,
      maxBufferedSize: 67_108_864,
      readTimeout: 120_000,
      maxConnections: 0,
    },
    carbonlink: { listen: "127.0.0.1:7002", enabled: true, readTimeout: 30_000, maxConnections: 0 },
    carbonserver: {
      listen: "127.0.0.1:8080",
      enabled: true,
      readTimeout: 60_000,
      idleTimeout: 60_000,
      writeTimeout: 60_000,
      scanFrequency: 300_000,
      maxCreatesPerSecond: 0,
      maxGlobs: 100,
      failOnMaxGlobs: true,
      maxMetricsGlobbed: 10_000_000,
      maxMetricsRendered: 1_000_000,
    },
    prometheus: { listen: "127.0.0.1:7007", enabled: true, endpoint: "/metrics" },
    influx: {
      listen: ":8089",
      enabled: false,
      readTimeout: 120_000,
      maxConnections: 0,
      maxLineSize: 262_144,
      measurementFieldSeparator: ".",
      dbTag: "db",
    },
    opentsdb: {
      listen: ":4242",
      enabled: false,
      readTimeout: 120_000,
      maxConnections: 0,
      maxLineSize: 262_144,
    },
    "http-ingest": {
      listen: ":2006",
      enabled: true,
      maxRequestSize: 33_554_432,
      maxInflightSize: 268_435_456,
      readTimeout: 60_000,
    },
    tags: {
      enabled: false,
      tagdbUrl: "http://127.0.0.1:8000",
      tagdbChunkSize: 32,
      tagdbUpdateInterval: 100,
      localDir: "/var/lib/graphite/tagging/",
      tagdbTimeout: 1000,
      maxQueueSize: 67108864,
    },
    wal: {
      enabled: true,
      dir: "./wal",
      syncInterval: 1000,
      segmentSize: 128 * 2 ** 20,
      maxSize: 4 * 2 ** 30,
      flushOnStop: true,
      checkpointInterval: 300_000,
      checkpointSize: 256 * 2 ** 20,
    },
    relay: {
      enabled: false,
      method: "jump_fnv1a_ch",
      replication: 1,
      destinations: [],
      local: false,
      onDown: "queue",
      dir: "./relay",
      maxSize: 2 ** 30,
      segmentSize: 16 * 2 ** 20,
      syncInterval: 1000,
      bufferSize: 8 * 2 ** 20,
      resendBytes: 16 * 2 ** 20,
      connectTimeout: 3000,
      allowedChars: "-_:#",
    },
    remoteWrite: [],
    scrape: {
      enabled: false,
      configFile: "",
      prefix: "",
      bodySizeLimit: 64 * 2 ** 20,
      startSlots: 20,
    },
    logging: [{ logger: "", file: "stdout", level: "info", encoding: "json" }],
  });
});

Deno.test("defaultConfig() returns a fresh object each call", () => {
  const a = defaultConfig();
  a.whisper.workers = 99;
  a.logging[0].level = "debug";
  assert.equal(defaultConfig().whisper.workers, 2);
  assert.equal(defaultConfig().logging[0].level, "info");
});

Deno.test("SCHEMA knows every section and key of go-carbon's config reference", () => {
  const goCarbon: Record<string, string[]> = {
    common: [
      "user",
      "graph-prefix",
      "metric-endpoint",
      "metric-interval",
      "max-cpu",
      "logfile",
      "log-level",
    ],
    whisper: [
      "data-dir",
      "schemas-file",
      "aggregation-file",
      "quotas-file",
      "workers",
      "max-updates-per-second",
      "sparse-create",
      "physical-size-factor",
      "flock",
      "compressed",
      "enabled",
      "hash-filenames",
      "remove-empty-file",
      "online-migration",
      "online-migration-rate",
      "online-migration-global-scope",
    ],
    cache: ["max-size", "write-strategy", "bloom-size"],
    udp: ["listen", "enabled", "buffer-size", "log-incomplete"],
    tcp: ["listen", "enabled", "buffer-size", "compression"],
    pickle: ["listen", "max-message-size", "enabled", "buffer-size"],
    carbonlink: ["listen", "enabled", "read-timeout"],
    grpc: ["listen", "enabled"],
    tags: [
      "enabled",
      "tagdb-url",
      "tagdb-chunk-size",
      "tagdb-update-interval",
      "local-dir",
      "tagdb-timeout",
    ],
    carbonserver: [
      "listen",
      "enabled",
      "buckets",
      "metrics-as-counters",
      "read-timeout",
      "idle-timeout",
      "write-timeout",
      "request-timeout",
      "query-cache-enabled",
      "query-cache-size-mb",
      "streaming-query-cache-enabled",
      "find-cache-enabled",
      "find-cache-size-mb",
      "glob-cache-enabled",
      "glob-cache-size-mb",
      "trigram-index",
      "trie-index",
      "concurrent-index",
      "realtime-index",
      "scan-frequency",
      "cache-scan",
      "file-list-cache",
      "file-list-cache-version",
      "max-globs",
      "fail-on-max-globs",
      "max-metrics-globbed",
      "max-metrics-rendered",
      "max-fetch-data-goroutines",
      "max-creates-per-second",
      "quota-usage-report-frequency",
      "no-service-when-index-is-not-ready",
      "max-inflight-requests",
      "empty-result-ok",
      "do-not-log-404s",
      "internal-stats-dir",
      "stats-percentiles",
      "heavy-glob-query-rate-limiters",
      "api-per-path-rate-limiters",
      "render-trace-logging-enabled",
      "graphite-web-10-strict-mode",
    ],
    "carbonserver.grpc": ["enabled", "listen"],
    dump: ["enabled", "path", "restore-per-second"],
    pprof: ["listen", "enabled"],
    prometheus: ["enabled", "endpoint", "labels"],
    tracing: ["enabled", "jaegerEndpoint", "stdout", "send_timeout"],
    logging: [
      "logger",
      "file",
      "level",
      "encoding",
      "encoding-time",
      "encoding-duration",
      "sample-tick",
      "sample-initial",
      "sample-thereafter",
    ],
  };
  for (const [section, keys] of Object.entries(goCarbon)) {
    assert.ok(SECTIONS.includes(section), section);
    for (const key of keys) assert.ok(findKey(section, key), `${section}.${key}`);
  }
  assert.ok(findKey("", "receiver"));
});

Deno.test("SCHEMA marks as implemented exactly the keys with a Config field, plus the deprecated keys", () => {
  const implemented = new Set(SCHEMA.filter((s) => s.implemented).map((s) => s.name));
  const expected = new Set(SCHEMA.filter((s) => s.field !== undefined).map((s) => s.name));
  expected.delete("common.user");
  expected.delete("common.max-cpu");
  expected.delete("carbonserver.idle-timeout"); // Deno.serve has no keep-alive idle setting
  expected.add("common.logfile").add("common.log-level");
  expected.add("whisper.max-creates-per-second"); // an alias of the carbonserver key
  assert.deepEqual(implemented, expected);
  const only = SCHEMA.filter((s) => s.carbonadoOnly).map((s) => s.name);
  assert.deepEqual(only, [
    "common.shutdown-timeout",
    "cache.max-memory",
    "tcp.read-timeout",
    "tcp.max-connections",
    "tcp.max-line-size",
    "pickle.max-buffered-size",
    "pickle.read-timeout",
    "pickle.max-connections",
    "carbonlink.max-connections",
    "tags.max-queue-size",
    "wal.enabled",
    "wal.dir",
    "wal.sync-interval",
    "wal.segment-size",
    "wal.max-size",
    "wal.flush-on-stop",
    "wal.checkpoint-interval",
    "wal.checkpoint-size",
    "relay.enabled",
    "relay.method",
    "relay.replication",
    "relay.destinations",
    "relay.local",
    "relay.on-down",
    "relay.dir",
    "relay.max-size",
    "relay.segment-size",
    "relay.sync-interval",
    "relay.buffer-size",
    "relay.resend-bytes",
    "relay.connect-timeout",
    "relay.allowed-chars",
    "remote-write",
    "scrape.enabled",
    "scrape.config-file",
    "scrape.prefix",
    "scrape.body-size-limit",
    "scrape.start-slots",
    "prometheus.listen",
    ...SCHEMA.filter((s) => ["influx", "opentsdb", "http-ingest"].includes(s.section))
      .map((s) => s.name),
  ]);
});

Deno.test("every scalar key has its own CARBONADO_<SECTION>_<KEY> variable", () => {
  const seen = new Set<string>();
  for (const spec of SCHEMA) {
    if (
      spec.kind === "table" || spec.kind === "tables" || spec.kind === "table-list" ||
      spec.kind === "section-list"
    ) {
      assert.equal(spec.env, "", spec.name);
      continue;
    }
    assert.match(spec.env, /^CARBONADO_[A-Z0-9_]+$/, spec.name);
    assert.equal(spec.env, envName(spec.section, spec.key));
    assert.ok(!seen.has(spec.env), `${spec.env} is used twice`);
    seen.add(spec.env);
    assert.equal(findEnv(spec.env), spec);
  }
  assert.equal(findEnv("CARBONADO_WHISPER_DATA_DIR")?.name, "whisper.data-dir");
  assert.equal(findEnv("CARBONADO_CARBONSERVER_GRPC_ENABLED")?.name, "carbonserver.grpc.enabled");
  assert.equal(findEnv("CARBONADO_TRACING_SEND_TIMEOUT")?.name, "tracing.send_timeout");
});

Deno.test("each default has its key's kind and passes its key's own limits", () => {
  for (const spec of SCHEMA) {
    const d = spec.default;
    switch (spec.kind) {
      case "int":
      case "size":
      case "float":
      case "duration":
        assert.equal(typeof d, "number", spec.name);
        if (spec.min !== undefined) assert.ok((d as number) >= spec.min, spec.name);
        break;
      case "bool":
        assert.equal(typeof d, "boolean", spec.name);
        break;
      case "enum":
        assert.ok(spec.values?.includes(d as string), spec.name);
        break;
      case "listen":
        parseListen(d as string, spec.name);
        break;
      case "int-list":
      case "string-list":
      case "table-list":
      case "section-list":
        assert.ok(Array.isArray(d), spec.name);
        break;
      case "table":
      case "tables":
        assert.equal(typeof d, "object", spec.name);
        break;
      default:
        assert.equal(typeof d, "string", spec.name);
    }
  }
});

Deno.test("findKey() matches keys without regard to case, as go-carbon's TOML decoder does", () => {
  assert.equal(findKey("whisper", "Workers")?.name, "whisper.workers");
  assert.equal(findKey("WHISPER", "data-dir")?.name, "whisper.data-dir");
  assert.equal(findKey("tracing", "jaegerendpoint")?.name, "tracing.jaegerEndpoint");
  assert.equal(findKey("whisper", "workrs"), undefined);
});

Deno.test("every key the schema marks implemented has its field read outside src/config/", async () => {
  const root = new URL("../../src", import.meta.url).pathname;
  const texts: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory && path !== `${root}/config`) await walk(path);
      else if (e.isFile && e.name.endsWith(".ts")) texts.push(await Deno.readTextFile(path));
    }
  };
  await walk(root);
  const source = texts.join("\n");
  const unread = SCHEMA.filter((s) => s.implemented && s.field !== undefined)
    .filter((s) => !new RegExp(`\\b${s.field}\\b`).test(source))
    .map((s) => s.name);
  assert.deepEqual(unread, []);
});
