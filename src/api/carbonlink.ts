// carbonlink (`[carbonlink] listen`, default 127.0.0.1:7002): graphite-web asks the carbon daemon
// for points not yet in Whisper files. Every message both ways is a 4-byte big-endian length and
// a pickle; answers are protocol-2 pickles as Python carbon's CacheManagementHandler sends them:
// `cache-query` → {'datapoints': [(ts, value), ...]} (popped-but-unconfirmed points included),
// `cache-query-bulk` → {'datapointsByMetric': {...}}, `get-metadata`/`set-metadata` for the
// aggregation method. A request that is not a valid pickle closes the connection; a valid one
// that asks for something unknown gets {'error': ...}, as carbon answers.

import { Logger, RateLimiter } from "../log/logger.ts";
import {
  type CarbonlinkRequest,
  CarbonlinkRequestError,
  parseCarbonlinkRequest,
} from "../protocol/carbonlink_request.ts";
import {
  type Datapoints,
  encodeDatapointsByMetricReply,
  encodeDatapointsReply,
  encodeErrorReply,
  encodePickle,
  encodeValueReply,
} from "../protocol/pickle_encode.ts";
import { FrameReader } from "../receiver/frame_reader.ts";
import { type Connection, StreamServer, writeAll } from "../net/stream_server.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { connectionStats } from "../receiver/receiver_stats.ts";
import type { MetricStore } from "./metric_store.ts";
import { setAggregationMethod } from "../whisper/whisper_file.ts";
import { metricPath } from "../storage/metric_path.ts";
import type { ConnectionBudget } from "../net/descriptors.ts";

const log = new Logger("carbonlink");

/** Largest request accepted (go-carbon's carbonlink limit). */
const MAX_REQUEST_BYTES = 1 << 20;

/** Options of {@linkcode CarbonlinkServer}. */
export interface CarbonlinkOptions {
  listen: string;
  readTimeout: number;
  /** Connections open at once; 0 or absent: the process's share (StreamServer). */
  maxConnections?: number;
  /** The process's share of connections, shared by every stream listener. */
  budget?: ConnectionBudget;
  /** The data directory for set-metadata; null when whisper is disabled. */
  dataDir: string | null;
  /** `[whisper] hash-filenames` (default true). */
  hashFilenames?: boolean;
}

const NO_POINTS: Datapoints = { timestamps: new Uint32Array(0), values: new Float64Array(0) };

/** Answers graphite-web's carbonlink requests from the cache. */
export class CarbonlinkServer implements StatSource {
  #store: MetricStore;
  #opts: CarbonlinkOptions;
  #server: StreamServer;
  #queries = 0;
  #errors = 0;
  #logLimit = new RateLimiter(10, 10_000);

  constructor(store: MetricStore, opts: CarbonlinkOptions) {
    this.#store = store;
    this.#opts = opts;
    this.#server = new StreamServer(
      { ...opts, key: "carbonlink.listen" },
      (c) => this.#serve(c),
      log,
    );
  }

  start(): void {
    this.#server.start();
  }

  get addr(): Deno.NetAddr {
    return this.#server.addr;
  }

  stop(): Promise<void> {
    return this.#server.stop();
  }

  async #serve(c: Connection): Promise<void> {
    const frames = new FrameReader(c, MAX_REQUEST_BYTES);
    while (true) {
      const frame = await frames.next();
      if (frame === null) return;
      if (!("payload" in frame)) return this.#refuse(c.peer, `request ${frame.error}`);
      c.progress();
      let request: CarbonlinkRequest;
      let reply: Uint8Array;
      try {
        request = parseCarbonlinkRequest(frame.payload);
        reply = this.answer(request);
      } catch (err) {
        if (!(err instanceof CarbonlinkRequestError)) {
          return this.#refuse(c.peer, err instanceof Error ? err.message : String(err));
        }
        this.#errors++;
        reply = encodeErrorReply(err.message, { framed: true });
      }
      this.#queries++;
      await writeAll(c.conn, reply);
    }
  }

  /** The framed reply to one request. */
  answer(request: CarbonlinkRequest): Uint8Array {
    switch (request.type) {
      case "cache-query":
        return encodeDatapointsReply(this.#store.cachePoints(request.metric) ?? NO_POINTS, {
          framed: true,
        });
      case "cache-query-bulk":
        return encodeDatapointsByMetricReply(
          request.metrics.map((m) => [m, this.#store.cachePoints(m) ?? NO_POINTS] as const),
          { framed: true },
        );
      case "get-metadata": {
        if (request.key !== "aggregationMethod") return this.#error(unsupportedKey(request.key));
        const info = this.#store.info(request.metric);
        if (info === null) return this.#error(`No such metric: ${request.metric}`);
        if (info.damaged) return this.#error(info.damaged.error); // carbon answers its exception
        return encodeValueReply(info.aggregationMethod, { framed: true });
      }
      case "set-metadata": {
        if (request.key !== "aggregationMethod") return this.#error(unsupportedKey(request.key));
        if (this.#opts.dataDir === null) return this.#error("whisper is disabled");
        try {
          const path = metricPath(
            this.#opts.dataDir,
            request.metric,
            this.#opts.hashFilenames ?? true,
          );
          const old = setAggregationMethod(path, String(request.value));
          return encodePickle(new Map([["old_value", old], ["new_value", request.value]]), {
            framed: true,
          });
        } catch (err) {
          return this.#error(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        }
      }
    }
  }

  #error(message: string): Uint8Array {
    this.#errors++;
    return encodeErrorReply(message, { framed: true });
  }

  #refuse(peer: string, detail: string): void {
    this.#errors++;
    const suppressed = this.#logLimit.allow();
    if (suppressed >= 0) log.warn("bad carbonlink request; closing", { peer, detail, suppressed });
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_carbonlink_requests_total",
      help: "carbonlink requests answered.",
      type: "counter",
      value: this.#queries,
      carbon: "cache.queries",
    });
    send({
      name: "carbonado_carbonlink_errors_total",
      help: "carbonlink requests refused or answered with an error.",
      type: "counter",
      value: this.#errors,
      carbon: "carbonlink.errors",
    });
    connectionStats(send, "carbonlink", this.#server);
  }
}

function unsupportedKey(key: string): string {
  return `Unsupported metadata key "${key}"`;
}
