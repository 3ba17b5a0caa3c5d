// [[remote-write]]: entries from TOML and from CARBONADO_REMOTE_WRITE_<N>_<KEY>, their defaults,
// the checks that name the key, the printed config and the masked status-page view.

import assert from "node:assert/strict";
import { defaultConfig } from "../../src/config/config.ts";
import { parseConfig } from "../../src/config/load.ts";
import { defaultRemoteWrite, REMOTE_WRITE_KEYS } from "../../src/config/remote_write.ts";
import { renderConfig } from "../../src/config/render.ts";
import { configView, MASK } from "../../src/ui/config_view.ts";

const FULL = `
[[remote-write]]
url = "https://mimir.example:9009/api/v1/push"
name = "mimir"
remote-timeout = "10s"
headers = { "X-Scope-OrgID" = "tenant-1" }
bearer-token = "s3cret"
tls-ca-file = "/etc/ca.pem"
include = ["servers.*.cpu.*", "apps.**"]
exclude = ["servers.test-*.cpu.*"]
names = "raw"
accepts-out-of-order = true
capacity = 5000
min-shards = 2
max-shards = 8
max-samples-per-send = 1000
batch-send-deadline = "1s"
min-backoff = "50ms"
max-backoff = "10s"
retry-on-http-429 = false
max-backlog = 1048576
max-backlog-age = "2h"

[[remote-write.mapping]]
match = "servers.*.cpu.*"
name = "cpu_usage"
labels = { host = "$1", mode = "$2" }

[[remote-write]]
url = "http://127.0.0.1:8428/api/v1/write"
`;

Deno.test("[[remote-write]] entries are read with every key, and defaults for the rest", () => {
  const { config, warnings } = parseConfig(FULL, { env: {} });
  assert.deepEqual(warnings, []);
  assert.equal(config.remoteWrite.length, 2);
  assert.deepEqual(config.remoteWrite[0], {
    ...defaultRemoteWrite(),
    url: "https://mimir.example:9009/api/v1/push",
    name: "mimir",
    remoteTimeout: 10_000,
    headers: { "X-Scope-OrgID": "tenant-1" },
    bearerToken: "s3cret",
    tlsCaFile: "/etc/ca.pem",
    include: ["servers.*.cpu.*", "apps.**"],
    exclude: ["servers.test-*.cpu.*"],
    names: "raw",
    acceptsOutOfOrder: true,
    capacity: 5000,
    minShards: 2,
    maxShards: 8,
    maxSamplesPerSend: 1000,
    batchSendDeadline: 1000,
    minBackoff: 50,
    maxBackoff: 10_000,
    retryOnHttp429: false,
    maxBacklog: 1_048_576,
    maxBacklogAge: 7_200_000,
    mapping: [{ match: "servers.*.cpu.*", name: "cpu_usage", labels: { host: "$1", mode: "$2" } }],
  });
  // the second entry: defaults, and a name made from the URL
  assert.deepEqual(config.remoteWrite[1], {
    ...defaultRemoteWrite(),
    url: "http://127.0.0.1:8428/api/v1/write",
    name: "127.0.0.1_8428",
  });
  assert.deepEqual(defaultConfig().remoteWrite, []);
});

Deno.test("the queue defaults are Prometheus' current ones", () => {
  const d = defaultRemoteWrite();
  assert.equal(d.capacity, 10_000);
  assert.equal(d.maxShards, 50);
  assert.equal(d.minShards, 1);
  assert.equal(d.maxSamplesPerSend, 2000);
  assert.equal(d.batchSendDeadline, 5000);
  assert.equal(d.minBackoff, 30);
  assert.equal(d.maxBackoff, 5000);
  assert.equal(d.remoteTimeout, 30_000);
});

Deno.test("CARBONADO_REMOTE_WRITE_<N>_<KEY> sets entry N and adds entries past the file's", () => {
  const { config, warnings } = parseConfig(FULL, {
    env: {
      CARBONADO_REMOTE_WRITE_0_MAX_SHARDS: "4",
      CARBONADO_REMOTE_WRITE_0_INCLUDE: '["a.{b,c}"]', // a TOML array keeps the comma
      CARBONADO_REMOTE_WRITE_1_EXCLUDE: "x.*, y.*", // or words
      CARBONADO_REMOTE_WRITE_1_HEADERS: '{ "X-Scope-OrgID" = "t2" }',
      CARBONADO_REMOTE_WRITE_2_URL: "http://vm:8428/api/v1/write",
      CARBONADO_REMOTE_WRITE_2_MAPPING: '[{ match = "a.*", name = "a", labels = { x = "$1" } }]',
      CARBONADO_REMOTE_WRITE_2_RETRY_ON_HTTP_429: "0",
      CARBONADO_REMOTE_WRITE_0_NOPE: "1",
    },
  });
  assert.equal(config.remoteWrite[0].maxShards, 4);
  assert.deepEqual(config.remoteWrite[0].include, ["a.{b,c}"]);
  assert.deepEqual(config.remoteWrite[1].exclude, ["x.*", "y.*"]);
  assert.deepEqual(config.remoteWrite[1].headers, { "X-Scope-OrgID": "t2" });
  assert.equal(config.remoteWrite[2].url, "http://vm:8428/api/v1/write");
  assert.equal(config.remoteWrite[2].name, "vm_8428");
  assert.equal(config.remoteWrite[2].retryOnHttp429, false);
  assert.deepEqual(config.remoteWrite[2].mapping, [{
    match: "a.*",
    name: "a",
    labels: { x: "$1" },
  }]);
  assert.deepEqual(warnings, [
    "unknown CARBONADO_* environment variables ignored: CARBONADO_REMOTE_WRITE_0_NOPE",
  ]);
});

Deno.test("[[remote-write]] mistakes stop the start, naming the entry and the key", () => {
  const url = 'url = "http://a:1/w"';
  const cases: [string, RegExp][] = [
    ['[[remote-write]]\nname = "x"', /remote-write\[0\]\.url: a url is required/],
    [
      '[[remote-write]]\nurl = "ftp://x/"',
      /remote-write\[0\]\.url = "ftp:\/\/x\/": expected an http/,
    ],
    [`[[remote-write]]\n${url}\nname = "a b"`, /remote-write\[0\]\.name: "a b" may hold only/],
    [
      `[[remote-write]]\n${url}\n[[remote-write]]\n${url}`,
      /remote-write\[1\]\.name: "a_1" is also the name of entry 0/,
    ],
    [`[[remote-write]]\n${url}\nmin-shards = 5\nmax-shards = 2`, /\[0\]\.min-shards: 5 is above/],
    [`[[remote-write]]\n${url}\nmin-backoff = "10s"`, /\[0\]\.min-backoff: 10000 ms is above/],
    [
      `[[remote-write]]\n${url}\nbearer-token = "t"\nbasic-auth-username = "u"`,
      /bearer-token: set basic authentication or a bearer token, not both/,
    ],
    [`[[remote-write]]\n${url}\ntls-cert-file = "c.pem"`, /tls-key-file: tls-cert-file and/],
    [`[[remote-write]]\n${url}\ninclude = ["a..b"]`, /\[0\]\.include: Invalid glob pattern/],
    [`[[remote-write]]\n${url}\ninclude = "a.*"`, /include = "a.\*" is not a list of strings/],
    [`[[remote-write]]\n${url}\nheaders = { X = 1 }`, /headers = .* is not a table of strings/],
    [`[[remote-write]]\n${url}\ncapacity = 0`, /capacity = 0: expected at least 1/],
    [
      `[[remote-write]]\n${url}\n[[remote-write.mapping]]\nmatch = "a.*"\nname = "a"\nlabels = { "1x" = "$1" }`,
      /mapping\[0\]: "1x" is not a label name/,
    ],
    [
      `[[remote-write]]\n${url}\n[[remote-write.mapping]]\nmatch = "a.*"\nname = "a"\naction = "drop"`,
      /mapping\[0\]: unknown key "action"/,
    ],
    [
      `[[remote-write]]\n${url}\n[[remote-write.mapping]]\nmatch = "a.*"`,
      /mapping\[0\]: name must/,
    ],
    [`[wal]\nenabled = false\n[[remote-write]]\n${url}`, /set wal.enabled = true/],
    ["remote-write = 1", /remote-write = 1: expected \[\[remote-write\]\] tables/],
  ];
  for (const [toml, message] of cases) {
    assert.throws(() => parseConfig(toml, { env: {}, file: "c.toml" }), message, toml);
  }
  assert.throws(
    () => parseConfig("", { env: { CARBONADO_REMOTE_WRITE_0_INCLUDE: '["a.*"' } }),
    /from environment: CARBONADO_REMOTE_WRITE_0_INCLUDE = "\[\\"a.\*\\"" is not a list/,
  );
});

Deno.test("a config with [[remote-write]] entries prints as TOML that loads back unchanged", () => {
  const { config } = parseConfig(FULL, { env: {} });
  const text = renderConfig(config);
  assert.deepEqual(parseConfig(text, { env: {} }), { config, warnings: [] });
  // none: a commented example naming every key
  const empty = renderConfig(defaultConfig());
  for (const spec of REMOTE_WRITE_KEYS) assert.match(empty, new RegExp(`^# ${spec.key} = `, "m"));
  assert.deepEqual(parseConfig(empty, { env: {} }).config.remoteWrite, []);
});

Deno.test("the status page shows [[remote-write]] with TOML keys and secrets masked", () => {
  const { config } = parseConfig(
    FULL + 'basic-auth-username = "u"\nbasic-auth-password = "pw"\n' +
      'headers = { Authorization = "Bearer x", "X-Scope-OrgID" = "t" }\n',
    { env: {} },
  );
  const view = configView(config)["remote-write"] as Record<string, unknown>[];
  assert.equal(view[0]["bearer-token"], MASK);
  assert.equal(view[0]["url"], "https://mimir.example:9009/api/v1/push");
  assert.equal(view[0]["remote-timeout"], "10s");
  assert.equal(view[1]["basic-auth-password"], MASK);
  assert.equal(view[1]["basic-auth-username"], MASK); // "auth" makes the whole key secret
  assert.deepEqual(view[1]["headers"], { Authorization: MASK, "X-Scope-OrgID": "t" });
});
