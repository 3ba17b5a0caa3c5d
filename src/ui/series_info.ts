// `/api/series`: what the metric browser shows beside a chart and `/render/`'s JSON does not carry
// (go-carbon's shape is kept as it is for its clients): for each metric a target matches, its
// archives, the archive a render over the same range reads (whisper's rule: the first whose
// retention covers `now - from`), that archive's step, whether the metric has a file yet, and
// how many of its points are still in the cache (a render lays them over the file's).

import type { MetricStore } from "../api/metric_store.ts";
import { fetchWindow } from "../whisper/whisper_file.ts";

/** One archive of a metric. */
export interface ArchiveView {
  secondsPerPoint: number;
  points: number;
  /** Seconds covered: `secondsPerPoint * points`. */
  retention: number;
}

/** Where a render of one metric over a range reads its points. */
export interface SeriesInfo {
  name: string;
  /** False while the metric is only in the cache: its archives are those its file will have. */
  onDisk: boolean;
  aggregationMethod: string;
  xFilesFactor: number;
  archives: ArchiveView[];
  /** Index in `archives` of the archive read, or null when the range is outside the retention. */
  archive: number | null;
  /** Seconds between the rendered values (that archive's precision), or null as `archive`. */
  step: number | null;
  /** Points of this metric in the cache now (written over the file's values by a render). */
  cachedPoints: number;
}

/** A target's matches, or `limitReached` when there are more than the caller allows. */
export interface SeriesInfoResult {
  series: SeriesInfo[];
  limitReached: boolean;
}

/**
 * Describes every metric `target` (a name or a Graphite glob) matches for a render over
 * `[from, until]` at `now` (epoch seconds).
 *
 * @throws {RangeError} for a pattern the glob compiler refuses or `from` after `until`
 */
export function seriesInfo(
  store: MetricStore,
  target: string,
  range: { from: number; until: number; now: number; maxSeries: number },
): SeriesInfoResult {
  const names = store.expand(target, range.maxSeries);
  if (names.limitReached) return { series: [], limitReached: true };
  const series: SeriesInfo[] = [];
  for (const name of names.items) {
    const info = store.info(name);
    if (info === null) continue;
    const archives = info.archives.map(({ secondsPerPoint, points, retention }) => ({
      secondsPerPoint,
      points,
      retention,
    }));
    const window = fetchWindow(info, range.from, { untilTime: range.until, now: range.now });
    series.push({
      name,
      onDisk: info.onDisk,
      aggregationMethod: info.aggregationMethod,
      xFilesFactor: info.xFilesFactor,
      archives,
      archive: window?.archive ?? null,
      step: window?.step ?? null,
      cachedPoints: store.cachePoints(name)?.timestamps.length ?? 0,
    });
  }
  return { series, limitReached: false };
}
