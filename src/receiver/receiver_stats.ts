// The counters every receiver reports, under go-carbon's `<receiver>.*` self-metric names.

import type { StatSend } from "../stats/sample.ts";
import type { StreamCounts } from "./plain_stream.ts";

/** Connection counters of a stream receiver (absent for UDP). */
export interface ConnectionCounts {
  readonly connections: number;
  readonly connectionsTotal: number;
  readonly idleClosed: number;
  readonly slowClosed: number;
  readonly refused: number;
  readonly acceptErrors: number;
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
  if (conns) connectionStats(send, protocol, conns);
}

/** Sends a stream listener's connection counters labelled with its protocol. */
export function connectionStats(send: StatSend, protocol: string, conns: ConnectionCounts): void {
  const labels = { protocol };
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
    help: "Connections closed after the read timeout with nothing received, by protocol.",
    type: "counter",
    value: conns.idleClosed,
    labels,
    carbon: `${protocol}.idleClosed`,
  });
  send({
    name: "carbonado_receiver_slow_closed_total",
    help: "Connections closed for completing no line or frame in the read timeout while " +
      "bytes kept coming (slow senders), by protocol.",
    type: "counter",
    value: conns.slowClosed,
    labels,
    carbon: `${protocol}.slowClosed`,
  });
  send({
    name: "carbonado_receiver_connections_refused_total",
    help: "Connections closed at once: the listener's max-connections or the process's " +
      "share of descriptors was reached, by protocol.",
    type: "counter",
    value: conns.refused,
    labels,
    carbon: `${protocol}.connectionsRefused`,
  });
  send({
    name: "carbonado_receiver_accept_errors_total",
    help: "Accepts that failed (EMFILE, ENFILE, ...) and were retried after a pause, by protocol.",
    type: "counter",
    value: conns.acceptErrors,
    labels,
    carbon: `${protocol}.acceptErrors`,
  });
}
