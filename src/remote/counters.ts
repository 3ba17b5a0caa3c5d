// The counters and gauges of one remote, in a Float64Array of fixed slots: the sender (in the
// remote_write worker thread) writes them into shared memory, the main thread reads them for
// /metrics and the carbon self-metrics. Names follow Prometheus' prometheus_remote_storage_*
// (with carbonado_ for prometheus_), labelled remote_name and url as Prometheus labels them;
// the WAL position and backlog are carbonado's own.

import type { StatSend } from "../stats/sample.ts";

/** Slots of the counter array; a name per slot, defined once. */
export const SLOT = {
  samplesIn: 0,
  samplesSent: 1,
  samplesFailed: 2,
  samplesRetried: 3,
  droppedOutOfOrder: 4,
  droppedExcluded: 5,
  droppedUnknownSeries: 6,
  droppedBacklog: 7,
  samplesPending: 8,
  shards: 9,
  shardsDesired: 10,
  highestIn: 11,
  highestSent: 12,
  bytesSent: 13,
  sendSeconds: 14,
  requestsSent: 15,
  requestsFailed: 16,
  requestsRetried: 17,
  ackedSegment: 18,
  ackedOffset: 19,
  backlogBytes: 20,
  skippedSegments: 21,
  skippedBytes: 22,
  stateWrites: 23,
  stateWriteFailures: 24,
  series: 25,
  holdSegment: 26,
  readSegment: 27,
  lastSendTime: 28,
} as const;

/** Slots in all. */
export const SLOT_COUNT = 29;

/** Values by slot; `set`/`add` from the sender, `stat` on the reading side. */
export class RemoteCounters {
  readonly values: Float64Array;

  /** Over `buffer` (a SharedArrayBuffer shared by both threads), or a fresh array. */
  constructor(buffer?: SharedArrayBuffer) {
    this.values = buffer ? new Float64Array(buffer, 0, SLOT_COUNT) : new Float64Array(SLOT_COUNT);
  }

  /** A SharedArrayBuffer large enough for one remote's counters. */
  static shared(): SharedArrayBuffer {
    return new SharedArrayBuffer(SLOT_COUNT * 8);
  }

  add(slot: number, n: number): void {
    this.values[slot] += n;
  }

  set(slot: number, v: number): void {
    this.values[slot] = v;
  }

  get(slot: number): number {
    return this.values[slot];
  }

  /** Sends the samples of one remote, labelled with its name and URL. */
  stat(
    send: StatSend,
    remote: {
      name: string;
      url: string;
      minShards: number;
      maxShards: number;
      capacity: number;
      maxSamplesPerSend: number;
    },
  ): void {
    const v = this.values;
    const labels = { remote_name: remote.name, url: remote.url };
    const carbon = `remote.${remote.name.replace(/\./g, "_")}`;
    const one = (
      name: string,
      type: "counter" | "gauge",
      value: number,
      help: string,
      carbonName?: string,
      more?: Record<string, string>,
    ) =>
      send({
        name,
        help,
        type,
        value,
        labels: more ? { ...labels, ...more } : labels,
        carbon: carbonName && `${carbon}.${carbonName}`,
      });
    const p = "carbonado_remote_storage_";
    one(
      `${p}samples_in_total`,
      "counter",
      v[SLOT.samplesIn],
      "Samples read from the WAL for this remote.",
      "samplesIn",
    );
    one(
      `${p}samples_total`,
      "counter",
      v[SLOT.samplesSent],
      "Samples sent and accepted by the remote.",
      "samplesSent",
    );
    one(
      `${p}samples_failed_total`,
      "counter",
      v[SLOT.samplesFailed],
      "Samples in requests the remote refused for good (4xx other than a retried 429).",
      "samplesFailed",
    );
    one(
      `${p}samples_retried_total`,
      "counter",
      v[SLOT.samplesRetried],
      "Samples in requests sent again after a network error, a 5xx or a 429.",
      "samplesRetried",
    );
    const dropped = [
      ["out_of_order", SLOT.droppedOutOfOrder],
      ["dropped_series", SLOT.droppedExcluded],
      ["unknown_series", SLOT.droppedUnknownSeries],
      ["backlog", SLOT.droppedBacklog],
    ] as const;
    for (const [reason, slot] of dropped) {
      one(
        `${p}samples_dropped_total`,
        "counter",
        v[slot],
        "Samples not sent, by reason: out_of_order (at or before the newest sent of their " +
          "series), dropped_series (include/exclude), unknown_series, backlog (max-backlog).",
        `samplesDropped.${reason}`,
        { reason },
      );
    }
    one(
      `${p}samples_pending`,
      "gauge",
      v[SLOT.samplesPending],
      "Samples queued and not yet answered.",
      "samplesPending",
    );
    one(`${p}shards`, "gauge", v[SLOT.shards], "Shards in use.", "shards");
    one(
      `${p}shards_desired`,
      "gauge",
      v[SLOT.shardsDesired],
      "Shards the last resharding asked for.",
    );
    one(`${p}shards_min`, "gauge", remote.minShards, "min-shards.");
    one(`${p}shards_max`, "gauge", remote.maxShards, "max-shards.");
    one(`${p}shard_capacity`, "gauge", remote.capacity, "capacity: samples queued per shard.");
    one(`${p}max_samples_per_send`, "gauge", remote.maxSamplesPerSend, "max-samples-per-send.");
    one(
      `${p}highest_timestamp_in_seconds`,
      "gauge",
      v[SLOT.highestIn],
      "Newest sample timestamp read from the WAL for this remote.",
      "highestTimestampIn",
    );
    one(
      `${p}queue_highest_sent_timestamp_seconds`,
      "gauge",
      v[SLOT.highestSent],
      "Newest sample timestamp the remote accepted; lag = highest_timestamp_in - this.",
      "highestSentTimestamp",
    );
    one(
      `${p}bytes_total`,
      "counter",
      v[SLOT.bytesSent],
      "Compressed request bytes accepted.",
      "bytesSent",
    );
    one(
      `${p}sent_batch_duration_seconds_total`,
      "counter",
      v[SLOT.sendSeconds],
      "Seconds spent in requests the remote answered.",
    );
    one(
      `${p}requests_total`,
      "counter",
      v[SLOT.requestsSent],
      "Requests accepted (2xx).",
      "requests",
    );
    one(
      `${p}requests_failed_total`,
      "counter",
      v[SLOT.requestsFailed],
      "Requests refused for good; their bodies are logged (rate-limited).",
      "requestsFailed",
    );
    one(
      `${p}requests_retried_total`,
      "counter",
      v[SLOT.requestsRetried],
      "Attempts that failed and were retried.",
      "requestsRetried",
    );
    one(
      `${p}last_send_timestamp_seconds`,
      "gauge",
      v[SLOT.lastSendTime],
      "When the remote last accepted a request (0: never since start).",
    );
    const w = "carbonado_remote_wal_";
    one(
      `${w}acked_segment`,
      "gauge",
      v[SLOT.ackedSegment],
      "WAL segment of the acknowledged position.",
      "ackedSegment",
    );
    one(
      `${w}acked_offset_bytes`,
      "gauge",
      v[SLOT.ackedOffset],
      "Offset of the acknowledged position.",
    );
    one(`${w}read_segment`, "gauge", v[SLOT.readSegment], "WAL segment being read.");
    one(
      `${w}hold_segment`,
      "gauge",
      v[SLOT.holdSegment],
      "Oldest WAL segment kept for this remote.",
    );
    one(
      `${w}backlog_bytes`,
      "gauge",
      v[SLOT.backlogBytes],
      "WAL bytes from the acknowledged position to the end of the log.",
      "backlogBytes",
    );
    one(
      `${w}skipped_segments_total`,
      "counter",
      v[SLOT.skippedSegments],
      "WAL segments skipped for this remote (max-backlog, deleted, torn).",
      "skippedSegments",
    );
    one(
      `${w}skipped_bytes_total`,
      "counter",
      v[SLOT.skippedBytes],
      "WAL bytes skipped for this remote.",
      "skippedBytes",
    );
    one(
      `${w}state_writes_total`,
      "counter",
      v[SLOT.stateWrites],
      "position.json and snapshot writes.",
    );
    one(
      `${w}state_write_failures_total`,
      "counter",
      v[SLOT.stateWriteFailures],
      "position.json and snapshot writes that failed (retried).",
      "stateWriteFailures",
    );
    one(`${w}series`, "gauge", v[SLOT.series], "Series this remote knows.");
  }
}
