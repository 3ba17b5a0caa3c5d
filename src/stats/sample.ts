// What components report: go-carbon's Stat(send) pattern. Every long-running part has a
// `stat(send)` method that sends its counters and gauges as samples; the Prometheus page and the
// carbon.agents.* self-metrics are both built from them.

/** One counter or gauge reading. */
export interface Sample {
  /** Prometheus metric name, e.g. `carbonado_received_points_total`. */
  name: string;
  help: string;
  type: "counter" | "gauge";
  value: number;
  labels?: Record<string, string>;
  /** go-carbon's self-metric name under `carbon.agents.{host}.`, e.g. `tcp.metricsReceived`. */
  carbon?: string;
}

/** Receives samples. */
export type StatSend = (sample: Sample) => void;

/** Anything that reports counters. */
export interface StatSource {
  stat(send: StatSend): void;
}

/** Collects one round of samples from every source. */
export function collect(sources: Iterable<StatSource>): Sample[] {
  const samples: Sample[] = [];
  for (const source of sources) source.stat((s) => samples.push(s));
  return samples;
}
