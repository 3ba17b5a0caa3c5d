// What a route of the HTTP ingest listener is: its path, methods, handler and the way its
// protocol words an error (Influx 1.x and 2.x JSON, OpenTSDB JSON, remote_write text), and
// what the routes share: committing a request whole or not at all, and their counters.

import type { Appender, CommitResult } from "../appender/appender.ts";
import type { StreamCounts } from "../receiver/plain_stream.ts";
import { receiverStats } from "../receiver/receiver_stats.ts";
import type { FindRejections, RejectedLog } from "../receiver/rejected_log.ts";
import type { StatSend } from "../stats/sample.ts";
import { HttpError } from "./body.ts";

/** One path of the HTTP ingest listener. */
export interface IngestRoute {
  readonly path: string;
  readonly methods: readonly string[];
  /** Answers a request; may throw HttpError (answered with error()). */
  handle(req: Request, peer: string): Promise<Response> | Response;
  /** A refusal in the protocol's own format. */
  error(status: number, message: string): Response;
  /** The protocol's log of rejected input (whole requests refused are logged there too). */
  readonly rejected: RejectedLog;
}

/** A JSON response. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * Commits the open batch of `app`, or rolls it back whole and throws HttpError 503 when the
 * cache could not take all of it, and throws it too when the write-ahead log could not (the
 * sender retries the request: nothing of it is kept).
 * Adds the result to `counts` and logs refusals with the peer (rate-limited), each with what
 * `find` locates in the request.
 */
export function commitWhole(
  app: Appender,
  counts: StreamCounts & { full: number },
  log: RejectedLog,
  opts: { peer: string; find?: FindRejections },
): CommitResult {
  const staged = app.staged();
  if (staged.overflow > 0) {
    app.rollback();
    counts.full++;
    throw new HttpError(
      503,
      `The cache is full: ${staged.overflow} of the request's points do not fit, retry later`,
    );
  }
  const result = app.commit();
  counts.accepted += result.accepted;
  counts.rejected += result.rejected;
  if (result.rejected > 0) log.note(result, opts.peer, opts.find);
  if (result.rejectedBy?.wal_write) {
    // the write-ahead log could not take the batch: nothing of it was kept
    throw new HttpError(503, "Cannot write the write-ahead log: retry later");
  }
  return result;
}

/** What refusals came to, for an error message: `3 (bad_value: 2, fields: 1)`. */
export function describeRejected(result: CommitResult): string {
  const reasons = Object.entries(result.rejectedBy ?? {}).map(([r, n]) => `${r}: ${n}`);
  return `${result.rejected} (${reasons.join(", ")})`;
}

/** The counters each protocol of the listener keeps, under receiverStats()' names. */
export function protocolStats(
  send: StatSend,
  protocol: string,
  counts: StreamCounts & { full: number },
): void {
  receiverStats(send, protocol, counts);
  send({
    name: "carbonado_http_ingest_refused_full_total",
    help: "Requests refused whole with 503 because the cache could not take them, by protocol.",
    type: "counter",
    value: counts.full,
    labels: { protocol },
    carbon: `${protocol}.refusedFull`,
  });
}
