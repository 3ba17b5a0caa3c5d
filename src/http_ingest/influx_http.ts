// Influx over HTTP, as Telegraf and the Influx clients speak it:
//   POST /write?db=&precision=         1.x: 204; errors {"error": "..."} (Telegraf reads them)
//   POST /api/v2/write?bucket=&precision=   2.x: 204; errors {"code": "...", "message": "..."}
//   GET|HEAD /ping                     204 with X-Influxdb-Version, as clients probe first
//   GET|POST /query?q=                 CREATE DATABASE and SHOW DATABASES answered as InfluxDB
//                                      1.x does (Telegraf creates its database at start)
// A body (gzip or not) is one batch: lines with errors are refused and counted and the rest
// kept, answered 400 "partial write" as InfluxDB does; a cache that cannot take the whole
// request answers 503 and keeps none of it (Telegraf retries 5xx). The `db` parameter becomes a
// tag as in VictoriaMetrics (not `bucket`, which VictoriaMetrics ignores too).

import type { Appendable } from "../appender/appender.ts";
import { INFLUX_PRECISIONS } from "../protocol/influx.ts";
import type { StreamCounts } from "../receiver/plain_stream.ts";
import { RejectedLog } from "../receiver/rejected_log.ts";
import { stringsSkippedStat } from "../receiver/line_format.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { type BodyLimits, decodeContent, HttpError, readBody } from "./body.ts";
import {
  commitWhole,
  describeRejected,
  type IngestRoute,
  jsonResponse,
  protocolStats,
} from "./route.ts";

/** The version answered in X-Influxdb-Version (VictoriaMetrics answers 1.8.0 too). */
const INFLUX_VERSION = "1.8.0";
const VERSION_HEADERS = { "x-influxdb-version": INFLUX_VERSION, "x-influxdb-build": "OSS" };
/** Most database names remembered for SHOW DATABASES. */
const MAX_DATABASES = 1000;
/** InfluxDB 2.x error codes by status. */
const V2_CODES: Record<number, string> = {
  400: "invalid",
  404: "not found",
  405: "method not allowed",
  408: "invalid",
  413: "request too large",
  415: "unsupported media type",
  500: "internal error",
  503: "unavailable",
};

/** `[influx]` as the HTTP routes use it. */
export interface InfluxHttpOptions {
  /** Between measurement and field in a name. */
  separator: string;
  /** The tag the `db` parameter becomes; "" adds none. */
  dbTag: string;
  /** Longest line in bytes. */
  maxLineLen: number;
}

/** The Influx routes of the HTTP ingest listener. */
export class InfluxHttp implements StatSource {
  #head: Appendable;
  #limits: BodyLimits;
  #opts: InfluxHttpOptions;
  #counts: StreamCounts & { full: number } = { accepted: 0, rejected: 0, full: 0 };
  #stringsSkipped = 0;
  #rejected = new RejectedLog("influx_http");
  #databases = new Set<string>();

  constructor(head: Appendable, limits: BodyLimits, opts: InfluxHttpOptions) {
    this.#head = head;
    this.#limits = limits;
    this.#opts = opts;
  }

  routes(): IngestRoute[] {
    const v1 = (status: number, message: string) =>
      jsonResponse(status, { error: message }, {
        ...VERSION_HEADERS,
        "x-influxdb-error": message.slice(0, 200),
      });
    const v2 = (status: number, message: string) =>
      jsonResponse(status, { code: V2_CODES[status] ?? "invalid", message }, VERSION_HEADERS);
    return [
      { path: "/write", methods: ["POST"], handle: (r, p) => this.#write(r, p), error: v1 },
      {
        path: "/api/v2/write",
        methods: ["POST"],
        handle: (r, p) => this.#write(r, p),
        error: v2,
      },
      { path: "/ping", methods: ["GET", "HEAD"], handle: (r) => this.#ping(r), error: v1 },
      { path: "/query", methods: ["GET", "POST"], handle: (r) => this.#query(r), error: v1 },
    ];
  }

  async #write(req: Request, peer: string): Promise<Response> {
    const params = new URL(req.url).searchParams;
    const precisionParam = params.get("precision");
    const precision = precisionParam === null ? undefined : INFLUX_PRECISIONS[precisionParam];
    if (precisionParam !== null && precision === undefined) {
      throw new HttpError(400, `invalid precision "${precisionParam}"`);
    }
    const db = params.get("db") ?? undefined;
    if (db !== undefined) this.#noteDatabase(db);
    const body = await readBody(req, this.#limits);
    try {
      const bytes = await decodeContent(req, body.bytes, this.#limits.maxSize);
      const app = this.#head.appender();
      let skipped;
      try {
        ({ skipped } = app.appendInflux(bytes, {
          separator: this.#opts.separator,
          dbTag: this.#opts.dbTag,
          maxLineLen: this.#opts.maxLineLen,
          precision,
          db,
          final: true,
        }));
      } catch (err) {
        app.rollback();
        if (err instanceof RangeError) throw new HttpError(400, err.message); // db too long
        throw err;
      }
      this.#stringsSkipped += skipped;
      const result = commitWhole(app, this.#counts, this.#rejected, peer);
      if (result.rejected > 0) {
        const message = `partial write: ${describeRejected(result)} lines or fields refused ` +
          `dropped=${result.rejected}`;
        throw new HttpError(400, message);
      }
    } finally {
      body.release();
    }
    return new Response(null, { status: 204, headers: VERSION_HEADERS });
  }

  #ping(req: Request): Response {
    if (new URL(req.url).searchParams.get("verbose") === "true") {
      return jsonResponse(200, { version: INFLUX_VERSION }, VERSION_HEADERS);
    }
    return new Response(null, { status: 204, headers: VERSION_HEADERS });
  }

  /** Answers the statements clients send before writing; any other gets an error result. */
  async #query(req: Request): Promise<Response> {
    const url = new URL(req.url);
    let q = url.searchParams.get("q");
    if (q === null && req.method === "POST") {
      const body = await readBody(req, this.#limits);
      try {
        q = new URLSearchParams(new TextDecoder().decode(body.bytes)).get("q");
      } finally {
        body.release();
      }
    }
    if (q === null || q.trim() === "") throw new HttpError(400, 'missing required parameter "q"');
    const statements = q.split(";").map((s) => s.trim()).filter((s) => s !== "");
    const results = statements.map((statement, i) => {
      const create = /^create\s+database\s+("(?:[^"\\]|\\.)*"|\S+)/i.exec(statement);
      if (create) {
        this.#noteDatabase(create[1].replace(/^"|"$/g, "").replace(/\\(.)/g, "$1"));
        return { statement_id: i };
      }
      if (/^show\s+databases$/i.test(statement)) {
        return {
          statement_id: i,
          series: [{
            name: "databases",
            columns: ["name"],
            values: [...this.#databases].map((d) => [d]),
          }],
        };
      }
      return {
        statement_id: i,
        error: "carbonado answers only CREATE DATABASE and SHOW DATABASES: query it with " +
          "Graphite (carbonserver, graphite-web)",
      };
    });
    return jsonResponse(200, { results }, VERSION_HEADERS);
  }

  #noteDatabase(db: string): void {
    if (this.#databases.size < MAX_DATABASES) this.#databases.add(db);
  }

  stat(send: StatSend): void {
    protocolStats(send, "influx_http", this.#counts);
    stringsSkippedStat(send, "influx_http", this.#stringsSkipped);
  }
}
