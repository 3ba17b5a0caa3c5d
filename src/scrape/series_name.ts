// A scraped series' Graphite name: its labels as Prometheus 2.42 stores them (scrape/scrape.go
// mutateSampleLabels: the target's labels added, clashes renamed `exported_<name>` unless
// honor_labels, then metric_relabel_configs), then `prefix + __name__` as the path and every
// other label as a tag, mended as the remote_write receive mapping mends them
// (src/protocol/label_names.ts). A label called `name` would be dropped by carbon (the `name`
// tag is the path), so it is renamed `exported_name` the way Prometheus renames a clashing
// label. The appender puts the tags in carbon's canonical order.

import type { ExposedSeries } from "../protocol/exposition.ts";
import { taggedName } from "../protocol/label_names.ts";
import { LABEL_NAME, type Labels, relabel, type RelabelRule } from "./relabel.ts";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** How a target's series are named. */
export interface NamingOptions {
  /** `[scrape] prefix`, put before every metric name. */
  prefix: string;
  honorLabels: boolean;
  /** The target's labels (no `__` prefix), sorted by name. */
  targetLabels: readonly (readonly [string, string])[];
  metricRelabelConfigs: readonly RelabelRule[];
}

/** A new name for `name` that none of `taken` has: `exported_` prefixed until free. */
function exportedName(name: string, taken: (n: string) => boolean): string {
  let next = name;
  do next = `exported_${next}`; while (taken(next));
  return next;
}

/**
 * The labels of a scraped series as Prometheus stores them (`__name__` included), or null when
 * metric relabeling drops it.
 */
export function sampleLabels(series: ExposedSeries, opts: NamingOptions): Labels | null {
  const exposed = new Map<string, string>([["__name__", series.name], ...series.labels]);
  const out = new Map(exposed);
  if (opts.honorLabels) {
    for (const [k, v] of opts.targetLabels) if (!exposed.get(k)) out.set(k, v);
  } else {
    const clashes: [string, string][] = [];
    for (const [k, v] of opts.targetLabels) {
      const exposedValue = exposed.get(k);
      if (exposedValue) clashes.push([k, exposedValue]);
      out.set(k, v);
    }
    // shortest names first, each renamed past every exposed, target and earlier renamed label
    clashes.sort((a, b) => a[0].length - b[0].length);
    const targetNames = new Set(opts.targetLabels.map(([k]) => k));
    const renamed = new Set<string>();
    for (const [k, v] of clashes) {
      const name = exportedName(k, (n) => exposed.has(n) || targetNames.has(n) || renamed.has(n));
      renamed.add(name);
      out.set(name, v);
    }
  }
  if (opts.metricRelabelConfigs.length === 0) {
    for (const [k, v] of out) if (v === "") out.delete(k);
    return out;
  }
  return relabel(out, opts.metricRelabelConfigs);
}

/**
 * The Graphite tagged name of a label set: `prefix + __name__`, then the other labels as tags.
 *
 * @throws {TypeError} when `__name__` is missing or invalid, or a label name is invalid: the
 * scrape fails, as Prometheus fails it
 */
export function graphiteName(labels: Labels, prefix: string): string {
  const metric = labels.get("__name__");
  if (!metric) throw new TypeError("missing metric name (__name__ label)");
  if (!METRIC_NAME.test(metric)) throw new TypeError(`invalid metric name "${metric}"`);
  const tags: [string, string][] = [];
  for (const [k, v] of labels) {
    if (k === "__name__") continue;
    if (!LABEL_NAME.test(k)) throw new TypeError(`invalid label name "${k}"`);
    const key = k === "name" ? exportedName(k, (n) => labels.has(n)) : k;
    tags.push([key, v]);
  }
  return taggedName(prefix + metric, tags);
}

/**
 * Names the series of one target: what the scrape cache calls for each series it has not seen.
 *
 * @example
 * ```ts
 * const name = seriesNamer({ prefix: "", honorLabels: false, metricRelabelConfigs: [],
 *   targetLabels: [["instance", "h:9100"], ["job", "node"]] });
 * name({ name: "node_load1", labels: [] }); // "node_load1;instance=h:9100;job=node"
 * ```
 */
export function seriesNamer(opts: NamingOptions): (series: ExposedSeries) => string | null {
  return (series) => {
    const labels = sampleLabels(series, opts);
    return labels === null ? null : graphiteName(labels, opts.prefix);
  };
}

/** The report series Prometheus appends for every scrape (scrape/scrape.go `report`). */
export const REPORT_METRICS = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
] as const;

/** The names of a target's report series: the target's labels only, never relabeled. */
export function reportNames(
  prefix: string,
  targetLabels: readonly (readonly [string, string])[],
): string[] {
  return REPORT_METRICS.map((metric) =>
    graphiteName(new Map([["__name__", metric], ...targetLabels]), prefix)
  );
}
