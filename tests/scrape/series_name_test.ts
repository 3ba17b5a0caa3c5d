// A scraped series' Graphite name: target labels, exported_ clashes, honor_labels, metric
// relabeling, mending, the `name` label, the report series.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { compileRegex } from "../../src/scrape/relabel.ts";
import { reportNames, seriesNamer } from "../../src/scrape/series_name.ts";

const target: [string, string][] = [["instance", "h:9100"], ["job", "node"]];

function namer(opts: Partial<Parameters<typeof seriesNamer>[0]> = {}) {
  return seriesNamer({
    prefix: "",
    honorLabels: false,
    targetLabels: target,
    metricRelabelConfigs: [],
    ...opts,
  });
}

Deno.test("target labels are added; an exposed clash becomes exported_<name>", () => {
  const name = namer();
  assertEquals(name({ name: "node_load1", labels: [] }), "node_load1;instance=h:9100;job=node");
  assertEquals(
    name({ name: "up", labels: [["job", "other"], ["exported_job", "x"], ["cpu", "0"]] }),
    "up;job=node;exported_job=x;cpu=0;instance=h:9100;exported_exported_job=other",
  );
});

Deno.test("honor_labels keeps exposed labels and fills in the target's", () => {
  assertEquals(
    namer({ honorLabels: true })({ name: "m", labels: [["job", "pushed"]] }),
    "m;job=pushed;instance=h:9100",
  );
});

Deno.test("metric relabeling rewrites or drops; a missing name fails", () => {
  const rule = (action: "drop" | "replace" | "labeldrop", extra: Record<string, unknown>) => ({
    sourceLabels: ["__name__"],
    separator: ";",
    regexText: "go_.*",
    regex: compileRegex("go_.*"),
    targetLabel: "",
    replacement: "$1",
    modulus: 0,
    action,
    ...extra,
  });
  assertEquals(
    namer({ metricRelabelConfigs: [rule("drop", {})] })({ name: "go_gc", labels: [] }),
    null,
  );
  const rename = rule("replace", {
    regexText: "(.*)",
    regex: compileRegex("(.*)"),
    targetLabel: "__name__",
    replacement: "x_$1",
  });
  assertEquals(
    namer({ metricRelabelConfigs: [rename] })({ name: "a", labels: [] }),
    "x_a;instance=h:9100;job=node",
  );
  const unname = rule("labeldrop", {
    sourceLabels: [],
    regexText: "__name__",
    regex: compileRegex("__name__"),
  });
  assertThrows(
    () => namer({ metricRelabelConfigs: [unname] })({ name: "a", labels: [] }),
    TypeError,
    "missing metric name",
  );
});

Deno.test("values carbon forbids are mended; empty values dropped; `name` is exported_name", () => {
  assertEquals(
    namer({ prefix: "prom." })({
      name: "m",
      labels: [["a", "x;y"], ["b", "~z"], ["c", ""], ["name", "n"]],
    }),
    "prom.m;a=x_y;b=z;exported_name=n;instance=h:9100;job=node",
  );
});

Deno.test("reportNames() gives the five report series with the target's labels", () => {
  assertEquals(reportNames("p.", target), [
    "p.up;instance=h:9100;job=node",
    "p.scrape_duration_seconds;instance=h:9100;job=node",
    "p.scrape_samples_scraped;instance=h:9100;job=node",
    "p.scrape_samples_post_metric_relabeling;instance=h:9100;job=node",
    "p.scrape_series_added;instance=h:9100;job=node",
  ]);
});
