// What the status page shows, as data: the vital figures at the top and the panels below, each
// claiming the sample families (Prometheus names from /api/status) whose name starts with one of
// its prefixes. A panel appears as soon as one of its samples exists, so a component that starts
// reporting `carbonado_wal_*` or `carbonado_relay_*` gets its panel with no change here; adding a
// panel for a new concern is one entry. The rules are documented in docs/ui.md.

/**
 * The figures in the strip at the top, and the health badge made of them.
 *
 * - `kind`: `rate` (per second, summed over every label set), `fraction` (first metric over the
 *   second), `age` (seconds since the timestamp the gauge holds; 0 means nothing waits);
 * - `warn`, `bad`: the state turns amber above `warn` and red above `bad`.
 */
export const VITALS = [
  {
    title: "Received",
    kind: "rate",
    metrics: ["carbonado_received_points_total"],
    unit: "/s",
  },
  {
    title: "Persisted",
    kind: "rate",
    metrics: ["carbonado_persisted_points_total"],
    unit: "/s",
  },
  {
    title: "Cache fill",
    kind: "fraction",
    metrics: ["carbonado_cache_points", "carbonado_cache_max_points"],
    unit: "%",
    warn: 0.7,
    bad: 0.9,
  },
  {
    title: "Oldest point waiting",
    kind: "age",
    metrics: ["carbonado_writeout_queue_oldest_point_timestamp_seconds"],
    unit: "s",
    warn: 300,
    bad: 1800,
  },
  {
    title: "Dropped, cache full",
    kind: "rate",
    metrics: ["carbonado_cache_overflow_points_total"],
    unit: "/s",
    bad: 0,
  },
  {
    title: "Rejected",
    kind: "rate",
    metrics: ["carbonado_rejected_lines_total"],
    unit: "/s",
    warn: 0,
  },
  {
    title: "Write errors",
    kind: "rate",
    metrics: ["carbonado_whisper_errors_total"],
    unit: "/s",
    bad: 0,
  },
];

/**
 * The panels, in page order. A sample family belongs to the first panel with a matching prefix
 * (`""` matches everything, so "Other" catches what no panel names).
 *
 * - `prefixes`: the families the panel claims;
 * - `charts`: charts drawn first, in order; each names its `metrics` (one line per metric and
 *   label set) and may set `kind` (`ratio`: rate of the first over rate of the second, e.g. a
 *   mean latency from a seconds counter and an operations counter; `age`: as in VITALS) and
 *   `unit`. Every other family of the panel gets a chart of its own: a counter as a rate per
 *   second, a gauge as it is;
 * - `table`: a label name; the panel then also lists, one row per value of that label (a relay
 *   destination, a scrape target), the latest value of each of its families;
 * - `open`: false to start folded.
 */
export const PANELS = [
  {
    id: "ingest",
    title: "Ingest",
    prefixes: [
      "carbonado_received_",
      "carbonado_rejected_",
      "carbonado_receiver_",
      "carbonado_pickle_",
      "carbonado_udp_",
    ],
    charts: [
      { title: "Points received, by protocol", metrics: ["carbonado_received_points_total"] },
      { title: "Lines rejected, by reason", metrics: ["carbonado_rejected_lines_total"] },
    ],
  },
  {
    id: "cache",
    title: "Cache",
    prefixes: ["carbonado_cache_", "carbonado_wasm_", "carbonado_js_heap_", "process_"],
    charts: [
      {
        title: "Points in the cache and max-size",
        metrics: ["carbonado_cache_points", "carbonado_cache_max_points"],
      },
      {
        title: "Series in the cache",
        metrics: ["carbonado_cache_series"],
      },
      {
        title: "Cache memory and max-memory",
        metrics: ["carbonado_cache_memory_bytes", "carbonado_cache_max_memory_bytes"],
      },
      {
        title: "Wasm linear memory reserved (its high-water mark)",
        metrics: ["carbonado_wasm_memory_bytes"],
      },
      {
        title: "Process resident memory and the main thread's JS heap",
        metrics: ["process_resident_memory_bytes", "carbonado_js_heap_bytes"],
      },
    ],
  },
  {
    id: "persister",
    title: "Persister",
    prefixes: ["carbonado_persist", "carbonado_whisper_", "carbonado_writeout_queue_"],
    charts: [
      { title: "Points persisted", metrics: ["carbonado_persisted_points_total"] },
      { title: "Whisper files created", metrics: ["carbonado_whisper_created_total"] },
      { title: "Writeout queue depth (series)", metrics: ["carbonado_writeout_queue_series"] },
      {
        title: "Age of the oldest point in the writeout queue",
        kind: "age",
        metrics: ["carbonado_writeout_queue_oldest_point_timestamp_seconds"],
        unit: "s",
      },
      {
        title: "Writeout queue rebuild, mean time",
        kind: "ratio",
        metrics: [
          "carbonado_writeout_queue_rebuild_seconds_total",
          "carbonado_writeout_queue_rebuilds_total",
        ],
        unit: "s",
      },
    ],
  },
  {
    id: "wal",
    title: "Write-ahead log",
    prefixes: ["carbonado_wal_"],
    charts: [
      { title: "WAL size on disk", metrics: ["carbonado_wal_size_bytes"] },
      { title: "WAL bytes written", metrics: ["carbonado_wal_bytes_total"] },
      {
        title: "WAL fsync, mean latency",
        kind: "ratio",
        metrics: ["carbonado_wal_fsync_duration_seconds_total", "carbonado_wal_fsyncs_total"],
        unit: "s",
      },
      { title: "WAL current segment", metrics: ["carbonado_wal_segment_current"] },
    ],
  },
  {
    id: "remote",
    title: "Remote write",
    prefixes: ["carbonado_remote_"],
    table: "remote_name",
    charts: [
      { title: "Samples sent, by remote", metrics: ["carbonado_remote_storage_samples_total"] },
      {
        title: "Samples dropped (by reason) and refused",
        metrics: [
          "carbonado_remote_storage_samples_dropped_total",
          "carbonado_remote_storage_samples_failed_total",
        ],
      },
      {
        title: "Lag: newest timestamp read minus newest accepted",
        metrics: ["carbonado_remote_storage_lag_seconds"],
        unit: "s",
      },
      { title: "WAL backlog kept for the remote", metrics: ["carbonado_remote_wal_backlog_bytes"] },
      { title: "Samples retried", metrics: ["carbonado_remote_storage_samples_retried_total"] },
      { title: "Shards", metrics: ["carbonado_remote_storage_shards"] },
    ],
  },
  {
    id: "relay",
    title: "Relay destinations",
    prefixes: ["carbonado_relay_"],
    charts: [
      { title: "Lines sent, by destination", metrics: ["carbonado_relay_sent_lines_total"] },
      { title: "Lines queued, by destination", metrics: ["carbonado_relay_queued_lines"] },
      { title: "Queue on disk, by destination", metrics: ["carbonado_relay_queue_bytes"] },
      {
        title: "Lines lost and resent, by destination",
        metrics: ["carbonado_relay_dropped_lines_total", "carbonado_relay_resent_lines_total"],
      },
      { title: "Destinations up (1) or down (0)", metrics: ["carbonado_relay_up"] },
    ],
    table: "destination",
  },
  {
    id: "scrape",
    title: "Scrape targets",
    prefixes: ["carbonado_scrape_"],
    charts: [
      { title: "Samples scraped and committed", metrics: ["carbonado_scrape_samples_total"] },
      { title: "Failed scrapes, by reason", metrics: ["carbonado_scrape_failures_total"] },
      { title: "Targets, by job", metrics: ["carbonado_scrape_targets"] },
    ],
    table: "target",
  },
  {
    id: "query",
    title: "Queries and index",
    prefixes: [
      "carbonado_carbonserver_",
      "carbonado_carbonlink_",
      "carbonado_index_",
      "carbonado_ui_",
    ],
    open: false,
  },
  { id: "other", title: "Other", prefixes: [""], open: false },
];
