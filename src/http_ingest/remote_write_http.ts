// Prometheus remote_write 1.0 receive: POST /api/v1/write, a snappy block of a protobuf
// WriteRequest, decoded in wasm. Answers as the 1.0 spec asks a receiver to:
//   204  stored (a metadata-only request too: Prometheus sends one every minute)
//   400  undecodable (nothing kept), or some samples invalid (the valid ones kept); senders
//        do not retry 4xx
//   413  larger than http-ingest.max-request-size, as sent or once decoded
//   415  a Remote-Write 2.0 request or another Content-Encoding than snappy
//   503  the cache cannot take the whole request: nothing kept, the sender retries (not 429:
//        Prometheus 2.42 drops 429s unless retry_on_http_429 is set)
// Stale markers and NaN are skipped, native histograms too (counted apart, not errors).

import type { Appendable } from "../appender/appender.ts";
import type { StreamCounts } from "../receiver/plain_stream.ts";
import { RejectedLog } from "../receiver/rejected_log.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { RemoteWriteSkips } from "../wasm/structured.ts";
import { type BodyLimits, HttpError, readBody } from "./body.ts";
import { commitWhole, describeRejected, type IngestRoute, protocolStats } from "./route.ts";

/** What the response says the receiver speaks (the 1.0 spec's version header). */
const VERSION_HEADERS = { "x-prometheus-remote-write-version": "0.1.0" };

/** The remote_write route of the HTTP ingest listener. */
export class RemoteWriteHttp implements StatSource {
  #head: Appendable;
  #limits: BodyLimits;
  #counts: StreamCounts & { full: number } = { accepted: 0, rejected: 0, full: 0 };
  #skipped: RemoteWriteSkips = { stale: 0, nan: 0, histograms: 0, unnamed: 0 };
  #rejected = new RejectedLog("remote_write");

  constructor(head: Appendable, limits: BodyLimits) {
    this.#head = head;
    this.#limits = limits;
  }

  routes(): IngestRoute[] {
    return [{
      path: "/api/v1/write",
      methods: ["POST"],
      rejected: this.#rejected,
      handle: (req, peer) => this.#write(req, peer),
      error: (status, message) =>
        new Response(message + "\n", {
          status,
          headers: { "content-type": "text/plain; charset=utf-8", ...VERSION_HEADERS },
        }),
    }];
  }

  async #write(req: Request, peer: string): Promise<Response> {
    const type = req.headers.get("content-type") ?? "";
    if (/proto\s*=\s*"?io\.prometheus\.write\.v2\.Request/i.test(type)) {
      throw new HttpError(
        415,
        "Remote-Write 2.0 is not supported: send 1.0 (prometheus.WriteRequest)",
      );
    }
    const encoding = (req.headers.get("content-encoding") ?? "snappy").trim().toLowerCase();
    if (encoding !== "snappy") {
      throw new HttpError(
        415,
        `Unsupported Content-Encoding "${encoding}": remote_write is snappy`,
      );
    }
    const body = await readBody(req, this.#limits);
    try {
      const app = this.#head.appender();
      let skips: RemoteWriteSkips;
      try {
        skips = app.appendRemoteWrite(body.bytes, {
          snappy: true,
          maxDecoded: this.#limits.maxSize,
        });
      } catch (err) {
        app.rollback();
        if (err instanceof SyntaxError) throw new HttpError(400, err.message);
        if (err instanceof RangeError) throw new HttpError(413, err.message);
        throw err;
      }
      this.#skipped.stale += skips.stale;
      this.#skipped.nan += skips.nan;
      this.#skipped.histograms += skips.histograms;
      this.#skipped.unnamed += skips.unnamed;
      const result = commitWhole(app, this.#counts, this.#rejected, { peer });
      if (result.rejected > 0) {
        const unnamed = skips.unnamed > 0 ? ` (${skips.unnamed} series without __name__)` : "";
        throw new HttpError(400, `${describeRejected(result)} samples refused${unnamed}`, {
          logged: true,
        });
      }
    } finally {
      body.release();
    }
    return new Response(null, { status: 204, headers: VERSION_HEADERS });
  }

  stat(send: StatSend): void {
    protocolStats(send, "remote_write", this.#counts);
    const skipped = this.#skipped;
    for (const what of ["stale", "nan", "histograms"] as const) {
      send({
        name: "carbonado_remote_write_skipped_total",
        help: "remote_write samples skipped (not errors): stale markers, NaN, native histograms.",
        type: "counter",
        value: skipped[what],
        labels: { what },
        carbon: `remote_write.skipped.${what}`,
      });
    }
    send({
      name: "carbonado_remote_write_unnamed_series_total",
      help: "remote_write series without __name__ (their samples are refused as empty_name).",
      type: "counter",
      value: skipped.unnamed,
      carbon: "remote_write.unnamedSeries",
    });
  }
}
