// OpenTSDB over HTTP: POST /api/put with one data point or an array of them as JSON (gzip or
// not), answered as OpenTSDB does: 204 when every point is stored (200 with the counts when
// `summary` or `details` is asked), 400 when some are not (the others are kept), with
// `{"error": {...}}` or, with `details`, the refused points and why. A cache that cannot take
// the whole request answers 503 and keeps none of it. JSON comes out of the parser as values,
// so the points enter the appender as values too (names, timestamps, values).

import type { Appendable } from "../appender/appender.ts";
import { parseTsdbJson, type TsdbPutError } from "../protocol/opentsdb.ts";
import type { StreamCounts } from "../receiver/plain_stream.ts";
import { RejectedLog } from "../receiver/rejected_log.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { type BodyLimits, decodeContent, HttpError, readBody } from "./body.ts";
import { commitWhole, type IngestRoute, jsonResponse, protocolStats } from "./route.ts";

/** The OpenTSDB route of the HTTP ingest listener. */
export class OpenTsdbHttp implements StatSource {
  #head: Appendable;
  #limits: BodyLimits;
  #counts: StreamCounts & { full: number } = { accepted: 0, rejected: 0, full: 0 };
  #rejected = new RejectedLog("opentsdb_http");

  constructor(head: Appendable, limits: BodyLimits) {
    this.#head = head;
    this.#limits = limits;
  }

  routes(): IngestRoute[] {
    return [{
      path: "/api/put",
      methods: ["POST"],
      handle: (req, peer) => this.#put(req, peer),
      error: (status, message) => jsonResponse(status, { error: { code: status, message } }),
    }];
  }

  async #put(req: Request, peer: string): Promise<Response> {
    const params = new URL(req.url).searchParams;
    const body = await readBody(req, this.#limits);
    let errors: TsdbPutError[];
    let stored: number;
    let failed: number;
    try {
      const text = new TextDecoder().decode(
        await decodeContent(req, body.bytes, this.#limits.maxSize),
      );
      const names: string[] = [];
      const timestamps: number[] = [];
      const values: number[] = [];
      const app = this.#head.appender();
      try {
        errors = parseTsdbJson(text, Math.floor(Date.now() / 1000), {
          point: (p) => {
            names.push(p.name);
            timestamps.push(p.timestamp);
            values.push(p.value);
          },
          reject: (reason) => app.reject(reason),
        });
      } catch (err) {
        app.rollback();
        if (!(err instanceof SyntaxError)) throw err;
        throw new HttpError(400, `Unable to parse the given JSON: ${err.message}`);
      }
      app.appendPoints(names, timestamps, values);
      const result = commitWhole(app, this.#counts, this.#rejected, peer);
      stored = result.accepted;
      failed = result.rejected;
    } finally {
      body.release();
    }
    const details = params.has("details");
    if (failed === 0) {
      if (details || params.has("summary")) {
        return jsonResponse(200, { failed: 0, success: stored, ...(details ? { errors } : {}) });
      }
      return new Response(null, { status: 204 });
    }
    if (details) return jsonResponse(400, { errors, failed, success: stored });
    if (params.has("summary")) return jsonResponse(400, { failed, success: stored });
    return jsonResponse(400, {
      error: {
        code: 400,
        message: "One or more data points had errors",
        details: 'Please see the TSD logs or append "details" to the put request',
      },
    });
  }

  stat(send: StatSend): void {
    protocolStats(send, "opentsdb_http", this.#counts);
  }
}
