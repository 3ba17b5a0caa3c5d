// The counters every receiver reports, under go-carbon's `<receiver>.*` self-metric names.

import type { StatSend } from "../stats/sample.ts";
import type { StreamCounts } from "./plain_stream.ts";

/** Connection counters of a stream receiver (absent for UDP). */
export interface ConnectionCounts {
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly idleClosed: number;
}

/** Sends a receiver's counters labelled with its protocol (`tcp`, `udp`, `pickle`). */
export function receiverStats(
  send: StatSend,
  protocol: string,
  counts: StreamCounts,
  conns?: ConnectionCounts,
): void {
  const labels = { protocol };
  send({
    name: "carbonado_received_points_total",
    help: "Points received and accepted by the parser, by protocol.",
    type: "counter",
    value: counts.accepted,
    labels,
    carbon: `${protocol}.metricsReceived`,
  });
  send({
    name: "carbonado_receiver_errors_total",
    help: "Lines, points or frames rejected, by protocol.",
    type: "counter",
    value: counts.rejected,
    labels,
    carbon: `${protocol}.errors`,
  });
  if (!conns) return;
  send({
    name: "carbonado_receiver_connections",
    help: "Open connections, by protocol.",
    type: "gauge",
    value: conns.connections,
    labels,
    carbon: `${protocol}.active`,
  });
  send({
    name: "carbonado_receiver_connections_total",
    help: "Connections accepted, by protocol.",
    type: "counter",
    value: conns.connectionsTotal,
    labels,
  });
  send({
    name: "carbonado_receiver_idle_closed_total",
    help: "Connections closed after the read timeout, by protocol.",
    type: "counter",
    value: conns.idleClosed,
    labels,
  });
}
