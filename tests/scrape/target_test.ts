// Targets as Prometheus 2.42's populateLabels makes them, and its target hash and offset.

import { assert, assertEquals } from "../_util/assert.ts";
import { parsePromConfig } from "../../src/scrape/prom_config.ts";
import {
  firstScrapeDelay,
  fnv1a64,
  labelsHash,
  makeTargets,
  slotLength,
  slotStart,
  targetHash,
} from "../../src/scrape/target.ts";
import { xxhash64 } from "../../src/scrape/xxhash64.ts";

const enc = new TextEncoder();

function job(yaml: string) {
  return parsePromConfig(`scrape_configs:\n  - job_name: j\n${yaml}`).jobs[0];
}

Deno.test("makeTargets() adds the job's labels, a default port and instance, drops __meta_", () => {
  const j = job("    scrape_interval: 30s\n    params: {module: [x y]}\n");
  const { targets, errors } = makeTargets(
    j,
    ["host", "h2:9100"],
    new Map([["__meta_a", "1"], ["env", "p"]]),
  );
  assertEquals(errors, []);
  assertEquals(targets[0].publicLabels, [["env", "p"], ["instance", "host:80"], ["job", "j"]]);
  assertEquals(targets[0].url, "http://host:80/metrics?module=x+y");
  assertEquals([targets[0].interval, targets[0].timeout], [30_000, 10_000]);
  assertEquals(targets[1].labels.get("__address__"), "h2:9100");
  assert.ok(!targets[0].labels.has("__meta_a"));
  assertEquals(targets[1].key, "j/h2:9100");
});

Deno.test("makeTargets() applies relabel_configs: rewrite, drop, and the scrape settings", () => {
  const j = job(
    "    relabel_configs:\n" +
      "      - {source_labels: [__address__], regex: 'drop.*', action: drop}\n" +
      "      - {source_labels: [__address__], regex: '(.*):.*', target_label: instance}\n" +
      "      - {target_label: __scrape_interval__, replacement: 5s}\n" +
      "      - {target_label: __scrape_timeout__, replacement: 2s}\n" +
      "      - {target_label: __metrics_path__, replacement: /probe}\n",
  );
  const { targets } = makeTargets(j, ["dropme:1", "keep:2"], new Map());
  assertEquals(targets.length, 1);
  assertEquals(targets[0].publicLabels, [["instance", "keep"], ["job", "j"]]);
  assertEquals([targets[0].url, targets[0].interval, targets[0].timeout], [
    "http://keep:2/probe",
    5000,
    2000,
  ]);
  // a timeout longer than the interval is refused, as Prometheus refuses it
  const tooLong = job(
    "    relabel_configs:\n      - {target_label: __scrape_interval__, replacement: 5s}\n",
  );
  assertEquals(
    makeTargets(tooLong, ["a:1"], new Map()).errors[0].error,
    "scrape timeout cannot be greater than scrape interval",
  );
});

Deno.test("makeTargets() reports targets it cannot scrape", () => {
  const j = job("    relabel_configs:\n      - {target_label: __address__, replacement: ''}\n");
  const { targets, errors } = makeTargets(j, ["a:1"], new Map());
  assertEquals(targets, []);
  assertEquals(errors, [{ address: "a:1", error: "no address" }]);
  const bad = makeTargets(job(""), ["a/b:1"], new Map());
  assertEquals(bad.errors.length, 1);
});

Deno.test("xxhash64() matches XXH64's published vectors", () => {
  assertEquals(xxhash64(new Uint8Array()), 0xef46db3751d8e999n);
  assertEquals(xxhash64(enc.encode("abc")), 0x44bc2cf5ad770999n);
  assertEquals(
    xxhash64(enc.encode("Nobody inspects the spammish repetition")),
    0xfbcea83c8a378bf1n,
  );
});

Deno.test("the target hash is FNV-1a 64 over the labels hash and the URL", () => {
  assertEquals(fnv1a64(""), 0xcbf29ce484222325n);
  assertEquals(fnv1a64("a"), 0xaf63dc4c8601ec8cn);
  const labels = new Map([["job", "j"], ["instance", "a:1"]]);
  const h = labelsHash(labels);
  assertEquals(
    targetHash(labels, "http://a:1/metrics"),
    fnv1a64("http://a:1/metrics", fnv1a64(h.toString().padStart(16, "0"))),
  );
});

Deno.test("firstScrapeDelay() places a target at a fixed point of the interval", () => {
  const [t] = makeTargets(job("    scrape_interval: 10s\n"), ["a:1"], new Map()).targets;
  const seed = 12345n;
  const phase = (now: number) => (now + firstScrapeDelay(t, seed, now)) % 10_000;
  const delays = [0, 1234, 7777, 9999].map((d) => firstScrapeDelay(t, seed, 1_700_000_000_000 + d));
  for (const d of delays) assert.ok(d >= 0 && d <= 10_000, String(d));
  assertEquals(new Set([0, 1234, 7777, 9999].map((d) => phase(1_700_000_000_000 + d))).size, 1);
});

Deno.test("slotLength() is interval / slots in whole seconds, at least 1 s, at most the interval", () => {
  const cases: [interval: number, slots: number, length: number][] = [
    [5000, 0, 0], // no slots
    [5000, 20, 1000], // 250 ms: a second
    [60_000, 20, 3000],
    [30_000, 20, 2000], // 1.5 s rounds to 2
    [15_000, 2, 8000], // 7.5 s rounds to 8
    [500, 20, 500], // a sub-second interval: one slot of it
    [5000, 1, 5000],
  ];
  for (const [interval, slots, length] of cases) {
    assertEquals(slotLength(interval, slots), length, `${interval} ${slots}`);
  }
});

Deno.test("slotStart() rounds a due time up to the interval's next start slot", () => {
  const cases: [due: number, interval: number, slots: number, start: number][] = [
    [1_700_000_000_123, 5000, 0, 1_700_000_000_123], // no slots: Prometheus' own offset
    [1_700_000_000_123, 5000, 20, 1_700_000_001_000], // 1 s slots
    [1_700_000_001_000, 5000, 20, 1_700_000_001_000], // on a boundary: stays
    [1_700_000_001_001, 5000, 20, 1_700_000_002_000],
    [1_700_000_004_999, 5000, 1, 1_700_000_005_000],
    [1_700_000_000_001, 60_000, 20, 1_700_000_001_000], // 3 s slots (multiples of 3 s)
  ];
  for (const [due, interval, slots, start] of cases) {
    assertEquals(slotStart(due, interval, slots), start, `${due} ${interval} ${slots}`);
  }
});
