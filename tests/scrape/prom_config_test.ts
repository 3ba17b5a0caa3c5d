// Reading a Prometheus configuration file as Prometheus 2.42 reads it: defaults, validation
// with the key named, what carbonado ignores listed by key.

import { assert, assertEquals, assertThrows } from "../_util/assert.ts";
import {
  formatPromDuration,
  parsePromConfig,
  parsePromDuration,
  parseTargetGroups,
  readPromConfig,
} from "../../src/scrape/prom_config.ts";

Deno.test("parsePromConfig() fills in Prometheus 2.42's defaults", () => {
  const { jobs, ignored } = parsePromConfig(
    "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['h:9100']\n",
  );
  assertEquals(ignored, []);
  const j = jobs[0];
  assertEquals(
    [j.scrapeInterval, j.scrapeTimeout, j.metricsPath, j.scheme, j.honorLabels, j.honorTimestamps],
    [60_000, 10_000, "/metrics", "http", false, true],
  );
  assertEquals(j.sampleLimit, 0);
  assertEquals(j.staticConfigs, [{ targets: ["h:9100"], labels: new Map() }]);
});

Deno.test("parsePromConfig() caps an unset timeout at the interval and takes global settings", () => {
  const { jobs } = parsePromConfig(
    "global: {scrape_interval: 5s}\nscrape_configs:\n  - job_name: a\n  - job_name: b\n" +
      "    scrape_interval: 20s\n    scrape_timeout: 15s\n    honor_labels: true\n" +
      "    params: {module: [http_2xx]}\n    sample_limit: 100\n" +
      "    basic_auth: {username: u, password: p}\n",
  );
  assertEquals([jobs[0].scrapeInterval, jobs[0].scrapeTimeout], [5000, 5000]);
  assertEquals([jobs[1].scrapeInterval, jobs[1].scrapeTimeout], [20_000, 15_000]);
  assertEquals([jobs[1].honorLabels, jobs[1].sampleLimit], [true, 100]);
  assertEquals(jobs[1].params, { module: ["http_2xx"] });
  assertEquals(jobs[1].auth, { type: "basic", username: "u", password: "p", passwordFile: "" });
});

Deno.test("parsePromConfig() lists every key it does not act on", () => {
  const { ignored } = parsePromConfig(
    "global: {evaluation_interval: 1m, external_labels: {a: b}}\nrule_files: [x]\n" +
      "alerting: {}\nremote_write: [{url: 'http://x'}]\nscrape_configs:\n" +
      "  - job_name: k\n    kubernetes_sd_configs: [{role: pod}]\n    tls_config: {}\n",
  );
  assertEquals(ignored, [
    "global.evaluation_interval",
    "global.external_labels",
    "scrape_configs[0].kubernetes_sd_configs",
    "scrape_configs[0].tls_config",
    "rule_files",
    "alerting",
    "remote_write",
  ]);
});

Deno.test("parsePromConfig() names the key of a bad value, as Prometheus refuses it", () => {
  const cases: [string, string][] = [
    [
      "scrape_configs:\n  - job_name: a\n    scrape_interval: 1x\n",
      "scrape_configs[0].scrape_interval",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 6s\n",
      "greater than",
    ],
    ["scrape_configs:\n  - job_name: a\n  - job_name: a\n", "multiple scrape configs"],
    ["scrape_configs:\n  - {}\n", "job_name"],
    ["scrape_configs:\n  - job_name: a\n    scheme: ftp\n", "scheme"],
    ["scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: nope}]\n", "relabel action"],
    [
      "scrape_configs:\n  - job_name: a\n    relabel_configs: [{regex: '('}]\n",
      "relabel_configs[0].regex",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n",
      "modulus",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: replace, target_label: '1x'}]\n",
      "target_label",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: labeldrop, regex: a, target_label: b}]\n",
      "only 'regex'",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: [a], labels: {'1': x}}]\n",
      "label name",
    ],
    ["scrape_configs:\n  - job_name: a\n    static_configs: [{targetz: [a]}]\n", "targetz"],
    [
      "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ['x.txt']}]\n",
      "not valid for file discovery",
    ],
    [
      "scrape_configs:\n  - job_name: a\n    bearer_token: t\n    basic_auth: {username: u}\n",
      "at most one",
    ],
    ["scrape_configs: [\n", "line"],
  ];
  for (const [text, includes] of cases) {
    const err = assertThrows(() => parsePromConfig(text), Error);
    assert.ok(err.message.includes(includes), `${err.message} should say ${includes}`);
  }
});

Deno.test("readPromConfig() names the file", () => {
  assertThrows(
    () => readPromConfig("/nonexistent/prometheus.yml"),
    Error,
    "/nonexistent/prometheus.yml",
  );
});

Deno.test("Prometheus durations parse and print as model.Duration does", () => {
  assertEquals(parsePromDuration("1h30m"), 5_400_000);
  assertEquals(parsePromDuration("500ms"), 500);
  assertEquals(parsePromDuration("2w"), 14 * 86_400_000);
  assertEquals(parsePromDuration("0"), 0);
  assertEquals(parsePromDuration("1.5s"), null);
  assertEquals(parsePromDuration("30m1h"), null);
  assertEquals(formatPromDuration(90_000), "1m30s");
  assertEquals(formatPromDuration(15_000), "15s");
});

Deno.test("parseTargetGroups() reads file_sd JSON and YAML", () => {
  const json = '[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}]';
  assertEquals(parseTargetGroups(json, "json"), [
    { targets: ["a:1", "b:2"], labels: new Map([["env", "prod"]]) },
  ]);
  assertEquals(parseTargetGroups("- targets: [c:3]\n", "yaml"), [
    { targets: ["c:3"], labels: new Map() },
  ]);
  assertThrows(() => parseTargetGroups('{"targets": []}', "json"), TypeError, "not a list");
});
