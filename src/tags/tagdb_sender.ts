// go-carbon's [tags] section: new tagged series (and every `tagdb-update-interval`th write of
// one) are posted to an external graphite-web TagDB as `POST <tagdb-url>/tags/tagMultiSeries`
// with up to `tagdb-chunk-size` `path=` fields, `tagdb-timeout` per request, through a bounded
// queue on disk in `local-dir` (send_queue.ts). A failed post is retried with backoff; nothing
// is lost across restarts or TagDB outages unless the queue's byte bound is reached (counted).
// go-carbon: tags/tags.go, tags/queue.go; carbon: TagQueue and database.tag().

import { Logger, RateLimiter } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { SendQueue } from "./send_queue.ts";

const log = new Logger("tags");
/** Pause between two posts when there is nothing to send. */
const IDLE_MS = 100;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Options of {@linkcode TagDbSender} (go-carbon's `[tags]`). */
export interface TagDbSenderOptions {
  tagdbUrl: string;
  tagdbChunkSize: number;
  tagdbUpdateInterval: number;
  tagdbTimeout: number;
  localDir: string;
  /** Bound of the queue in bytes. */
  maxQueueBytes: number;
}

/** Posts tagged series names to an external TagDB. */
export class TagDbSender implements StatSource {
  #opts: TagDbSenderOptions;
  #queue: SendQueue;
  #url: string;
  #updates = 0;
  #sent = 0;
  #failed = 0;
  #timer?: ReturnType<typeof setTimeout>;
  #running: Promise<void> | null = null;
  #stopped = false;
  #backoff = 0;
  #logLimit = new RateLimiter(5, 60_000);

  constructor(opts: TagDbSenderOptions) {
    this.#opts = opts;
    this.#queue = new SendQueue(opts.localDir, opts.maxQueueBytes);
    this.#url = new URL("/tags/tagMultiSeries", opts.tagdbUrl).href;
  }

  /** Opens the queue and starts posting. */
  start(): void {
    const waiting = this.#queue.open();
    if (waiting > 0) log.info("tagdb queue resumed", { dir: this.#opts.localDir, waiting });
    this.#schedule(0);
  }

  /** Stops posting (a post in flight finishes) and closes the queue; what is left stays. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#queue.close();
  }

  /**
   * Queues a series: always when `now` (a new series), else on every
   * `tagdb-update-interval`th update, as go-carbon's Tags.Add.
   */
  add(name: string, now: boolean): void {
    if (!name.includes(";")) return;
    const every = Math.max(1, this.#opts.tagdbUpdateInterval);
    if (now || ++this.#updates % every === 0) this.#queue.push(name);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#sendSome().finally(() => this.#running = null);
    }, ms);
  }

  async #sendSome(): Promise<void> {
    const { names, next } = this.#queue.peek(Math.max(1, this.#opts.tagdbChunkSize));
    if (names.length === 0) return this.#schedule(IDLE_MS);
    const body = new URLSearchParams();
    for (const name of names) body.append("path", name);
    try {
      const res = await fetch(this.#url, {
        method: "POST",
        body,
        signal: AbortSignal.timeout(this.#opts.tagdbTimeout),
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`bad status code: ${res.status}`);
      this.#queue.ack(next);
      this.#sent += names.length;
      this.#backoff = 0;
      this.#schedule(0);
    } catch (err) {
      this.#failed++;
      this.#backoff = Math.min(RETRY_MAX_MS, this.#backoff ? this.#backoff * 2 : RETRY_FIRST_MS);
      const suppressed = this.#logLimit.allow();
      if (suppressed >= 0) {
        log.warn("failed to post tags", {
          url: this.#url,
          err,
          retryMs: this.#backoff,
          suppressed,
        });
      }
      this.#schedule(this.#backoff);
    }
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_tagdb_queued_total",
      help: "Tagged series names queued for the external TagDB.",
      type: "counter",
      value: this.#queue.queued,
      carbon: "tags.queuePutCount",
    });
    send({
      name: "carbonado_tagdb_dropped_total",
      help: "Names dropped because the TagDB queue was full ([tags] local-dir bound).",
      type: "counter",
      value: this.#queue.dropped,
      carbon: "tags.queuePutErrors",
    });
    send({
      name: "carbonado_tagdb_sent_total",
      help: "Names posted to the external TagDB.",
      type: "counter",
      value: this.#sent,
      carbon: "tags.tagdbSendSuccess",
    });
    send({
      name: "carbonado_tagdb_send_failures_total",
      help: "Posts to the external TagDB that failed (retried).",
      type: "counter",
      value: this.#failed,
      carbon: "tags.tagdbSendFail",
    });
    send({
      name: "carbonado_tagdb_queue_bytes",
      help: "Bytes waiting in the TagDB queue.",
      type: "gauge",
      value: this.#queue.pendingBytes,
    });
  }
}
