// Relay mode (`[relay]`): carbonado in front of a cluster, in carbon-c-relay's place. The relay
// is an Appendable, so every receiver feeds it as it feeds the cache: a committed batch's lines
// are routed in wasm (src/wasm/router.ts, the way carbon-c-relay 3.7 routes them), each
// destination's share is written to that destination's queue on disk, and only then is the batch
// counted as received. One sender per destination drains its queue over one connection. With
// `on-down = "reroute"` the lines of a destination that cannot be reached go to the next member
// that holds no replica of them, and its queue is moved over the same way.

import { joinPath } from "../storage/path.ts";
import type { Appendable, Appender, CommitResult } from "../appender/appender.ts";
import type { Config } from "../config/config.ts";
import { Logger, RateLimiter } from "../log/logger.ts";
import { REJECT_REASONS, type RejectReason } from "../protocol/plaintext.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import { WasmInstance } from "../wasm/instance.ts";
import { WasmRouter } from "../wasm/router.ts";
import { WalCodec } from "../wasm/wal_codec.ts";
import { type Destination, parseDestinations, routingTables } from "./destinations.ts";
import { DestinationQueue, type RecordSource } from "./queue.ts";
import { Sender } from "./sender.ts";
import { structuredPoints } from "./structured_points.ts";

const log = new Logger("relay");

/** Largest record of lines written to a queue (a batch's share is split at line ends). */
const RECORD_BYTES = 1 << 20;
/** How often acked positions are written to disk. */
const PERSIST_INTERVAL_MS = 1000;
/** Bytes of a down destination's queue rerouted per step, between which the event loop runs. */
const REROUTE_STEP_BYTES = 4 << 20;

/** `[relay]` as the relay uses it (sizes in bytes, durations in ms; see src/config/schema.ts). */
export type RelayOptions = Omit<Config["relay"], "enabled" | "local"> & {
  /** Longest plaintext line (`[tcp] max-line-size`). */
  maxLineLen: number;
  /** Sender timing, in ms (tests shorten it): the idle close, the reconnect backoff. */
  idleClose?: number;
  minBackoff?: number;
  maxBackoff?: number;
};

/** Per-destination counters kept by the relay itself. */
interface DestinationCounts {
  /** Lines rerouted away from this destination while it was down. */
  rerouted: number;
  /** Lines lost because their queue write failed. */
  writeFailed: number;
}

/** The relay: routing, queues and senders. */
export class Relay implements Appendable, StatSource {
  readonly destinations: readonly Destination[];
  #opts: RelayOptions;
  #router: WasmRouter;
  #queues: DestinationQueue[];
  #senders: Sender[];
  #counts: DestinationCounts[];
  #open: Appender | null = null;
  #stagedRejected = 0;
  #persistTimer?: ReturnType<typeof setInterval>;
  #syncTimer?: ReturnType<typeof setInterval>;
  #errorLog = new RateLimiter(10, 10_000);
  /** Reroute mode: per destination, true while a down destination's queue is to be moved. */
  #reroutePending: boolean[];
  // totals
  #routed = 0;
  #rejected = REJECT_REASONS.map(() => 0);

  private constructor(
    opts: RelayOptions,
    destinations: Destination[],
    router: WasmRouter,
    queues: DestinationQueue[],
  ) {
    this.#opts = opts;
    this.destinations = destinations;
    this.#router = router;
    this.#queues = queues;
    this.#counts = destinations.map(() => ({ rerouted: 0, writeFailed: 0 }));
    this.#reroutePending = destinations.map(() => false);
    this.#senders = destinations.map((d, i) =>
      new Sender(d, queues[i], {
        connectTimeout: opts.connectTimeout,
        resendBytes: opts.resendBytes,
        idleClose: opts.idleClose ?? 3000,
        minBackoff: opts.minBackoff ?? 200,
        maxBackoff: opts.maxBackoff ?? 2000,
      }, {
        state: (up) => this.#state(i, up),
        whileDown: opts.onDown === "reroute" ? () => this.#rerouteQueue(i) : undefined,
      })
    );
  }

  /**
   * Checks the members, loads the router (its own wasm instance) and opens every destination's
   * queue (what a previous run left is sent first). Nothing connects until start().
   *
   * @throws {RangeError} naming the `relay.*` key that is wrong
   */
  static async create(opts: RelayOptions, wasmOpts: { debug?: boolean } = {}): Promise<Relay> {
    const dests = parseDestinations(opts.destinations, "relay.destinations");
    if (opts.replication > dests.length) {
      throw new RangeError(
        `Invalid relay.replication: ${opts.replication} is more than the ${dests.length} ` +
          "relay.destinations",
      );
    }
    const wasm = await WasmInstance.load({
      maxPoints: 1,
      maxLineLen: opts.maxLineLen,
      ...wasmOpts,
    });
    const router = new WasmRouter(wasm);
    const { members, replication } = router.limits;
    if (dests.length > members || opts.replication > replication) {
      throw new RangeError(
        `Invalid relay.destinations: at most ${members} members and a replication of ` +
          `${replication}`,
      );
    }
    router.setup({
      method: opts.method,
      replication: opts.replication,
      members: dests.length,
      allowedChars: opts.allowedChars,
    });
    const tables = routingTables(
      opts.method,
      dests,
      router.ringReplicas,
      (method, key) => router.ringPosition(method, key),
    );
    if ("order" in tables) router.setOrder(tables.order);
    else router.setRing(tables.ring);
    const codec = new WalCodec(wasm);
    if (opts.segmentSize % codec.pageSize !== 0) {
      throw new RangeError(
        `Invalid relay.segment-size: ${opts.segmentSize} is not a multiple of ${codec.pageSize}`,
      );
    }
    if (opts.maxSize < 2 * opts.segmentSize) {
      throw new RangeError(
        `Invalid relay.max-size: ${opts.maxSize} is less than two relay.segment-size`,
      );
    }
    const queues = dests.map((d) =>
      DestinationQueue.open({
        dir: joinPath(opts.dir, queueDirName(d)),
        segmentSize: opts.segmentSize,
        maxSize: opts.maxSize,
        memoryBytes: opts.bufferSize,
        syncEach: opts.syncInterval === 0,
      }, codec)
    );
    const relay = new Relay(opts, dests, router, queues);
    for (const [i, q] of queues.entries()) {
      if (q.pending > 0) {
        log.info("relay queue left from a previous run", {
          destination: dests[i].address,
          lines: q.pending,
          bytes: q.diskBytes,
        });
      }
    }
    return relay;
  }

  /** Starts the senders and the fsync and position timers. */
  start(): void {
    for (const s of this.#senders) s.start();
    this.#persistTimer = setInterval(() => this.#persist(), PERSIST_INTERVAL_MS);
    if (this.#opts.syncInterval > 0) {
      this.#syncTimer = setInterval(() => this.#sync(), this.#opts.syncInterval);
    }
  }

  #persist(): void {
    for (const [i, q] of this.#queues.entries()) {
      try {
        q.persist();
      } catch (err) {
        if (this.#errorLog.allow() >= 0) {
          log.error("cannot write a relay queue position", {
            destination: this.destinations[i].address,
            err,
          });
        }
      }
    }
  }

  #sync(): void {
    for (const q of this.#queues) {
      try {
        q.sync();
      } catch (err) {
        if (this.#errorLog.allow() >= 0) log.error("cannot fsync a relay queue", { err });
      }
    }
  }

  /** A destination was found down or back up: reroute mode sends its lines elsewhere. */
  #state(i: number, up: boolean): void {
    if (this.#opts.onDown !== "reroute") return;
    this.#router.setDown(i, !up);
    this.#reroutePending[i] = !up;
  }

  /** A new appender; batches are routed, queued and counted on commit. */
  appender(): Appender {
    const app: Appender = {
      appendPlain: (bytes) => {
        this.#claim(app);
        return this.#router.route(bytes);
      },
      commitPlain: (bytes) => {
        this.#claim(app);
        const consumed = this.#router.route(bytes);
        return { consumed, ...this.#commit(app) };
      },
      appendPoints: (names, timestamps, values) => {
        this.#claim(app);
        this.#routePoints(names, timestamps, values);
      },
      reject: (_reason: RejectReason, n = 1) => {
        this.#claim(app);
        this.#stagedRejected += n;
      },
      ...structuredPoints({
        points: (names, timestamps, values) => {
          this.#claim(app);
          this.#routePoints(names, timestamps, values);
        },
        reject: (_reason, n = 1) => {
          this.#claim(app);
          this.#stagedRejected += n;
        },
      }),
      staged: () => {
        const counts = this.#router.counts();
        const rejected = counts.rejected.reduce((a, b) => a + b, this.#stagedRejected);
        return { accepted: counts.lines, rejected, overflow: 0 };
      },
      commit: () => this.#commit(app),
      rollback: () => {
        if (this.#open !== app) return;
        this.#open = null;
        this.#stagedRejected = 0;
        this.#router.begin();
      },
    };
    return app;
  }

  #claim(app: Appender): void {
    if (this.#open === app) return;
    if (this.#open !== null) {
      throw new Error("Cannot append: another batch is open (commit or roll back before awaiting)");
    }
    this.#open = app;
  }

  /**
   * Structured points as plaintext lines, routed like any other: the value in its shortest
   * round-trip form, the timestamp in whole seconds. A name that would split the line (a blank,
   * a control byte) is refused.
   */
  #routePoints(
    names: readonly string[],
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
  ): void {
    let text = "";
    for (let i = 0; i < names.length; i++) {
      const ts = Math.trunc(timestamps[i]);
      if (SPLITS_LINE.test(names[i])) {
        this.#stagedRejected++;
        continue;
      }
      if (!Number.isFinite(values[i]) || !(ts >= 0)) {
        this.#stagedRejected++;
        continue;
      }
      text += `${names[i]} ${values[i]} ${ts}\n`;
      if (text.length >= RECORD_BYTES) {
        this.#router.route(encoder.encode(text));
        text = "";
      }
    }
    if (text) this.#router.route(encoder.encode(text));
  }

  /** Writes each destination's share of the batch to its queue, then counts the batch. */
  #commit(app: Appender): CommitResult {
    if (this.#open !== app) return { accepted: 0, rejected: 0, overflow: 0 };
    this.#open = null;
    const router = this.#router;
    const counts = router.counts();
    for (let m = 0; m < this.#queues.length; m++) {
      const out = router.output(m);
      if (out.lines === 0) continue;
      this.#enqueue(m, out.bytes, out.lines);
      this.#senders[m].wake();
    }
    let rejected = this.#stagedRejected;
    counts.rejected.forEach((n, i) => {
      this.#rejected[i] += n;
      rejected += n;
    });
    this.#routed += counts.lines;
    this.#stagedRejected = 0;
    router.begin();
    return { accepted: counts.lines, rejected, overflow: 0 };
  }

  /** Member `m`'s output, in records of at most RECORD_BYTES, into its queue. */
  #enqueue(m: number, bytes: number, lines: number): void {
    const router = this.#router;
    let from = 0;
    while (from < bytes) {
      let to = bytes;
      let n = lines;
      if (bytes - from > RECORD_BYTES) {
        const view = router.outputView(m, from, from + RECORD_BYTES);
        to = from + view.lastIndexOf(0x0a) + 1;
        n = countLines(router.outputView(m, from, to));
      }
      const range = { from, to };
      const src: RecordSource = {
        lines: n,
        view: () => router.outputView(m, from, to),
        frame: (header, offset, size) => router.frameOutput(m, range, header, { offset, size }),
      };
      try {
        this.#queues[m].append(src);
      } catch (err) {
        this.#counts[m].writeFailed += n;
        const suppressed = this.#errorLog.allow();
        if (suppressed >= 0) {
          log.error("cannot write to a relay queue: lines dropped", {
            destination: this.destinations[m].address,
            lines: n,
            err,
            suppressed,
          });
        }
      }
      lines -= n;
      from = to;
    }
  }

  /**
   * Reroute mode, once per outage of destination `m`: the lines queued for it when it was found
   * down go through the router again, each to the replacement of `m` in its replica set (back to
   * `m` when there is none). Lines routed later were already rerouted as they came in.
   */
  async #rerouteQueue(m: number): Promise<void> {
    if (!this.#reroutePending[m]) return;
    this.#reroutePending[m] = false;
    const queue = this.#queues[m];
    const until = queue.written;
    const router = this.#router;
    try {
      while (queue.sent.seq < until && !this.#senders[m].connected) {
        const records = queue.take(REROUTE_STEP_BYTES);
        const last = records.at(-1);
        if (!last) break;
        router.begin();
        for (const r of records) router.route(r.body, m);
        let moved = 0;
        for (let k = 0; k < this.#queues.length; k++) {
          const out = router.output(k);
          if (out.lines === 0) continue;
          if (k !== m) moved += out.lines;
          this.#enqueue(k, out.bytes, out.lines);
          this.#senders[k].wake();
        }
        router.begin();
        queue.ack({ segment: last.segment, offset: last.end, seq: last.seqEnd });
        this.#counts[m].rerouted += moved;
        await new Promise((r) => setTimeout(r, 0)); // let the receivers run between steps
      }
    } finally {
      queue.rewind();
    }
  }

  /**
   * Stops the senders: every destination that is up gets its queue within `timeoutMs`; what is
   * left stays on disk for the next start. Positions are written and the queues closed.
   */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.#persistTimer);
    clearInterval(this.#syncTimer);
    const results = await Promise.all(this.#senders.map((s) => s.stop(timeoutMs)));
    for (const [i, q] of this.#queues.entries()) {
      try {
        q.close();
      } catch (err) {
        log.error("cannot close a relay queue", { destination: this.destinations[i].address, err });
      }
      if (!results[i] && q.written > q.acked.seq) {
        log.warn("relay destination not drained: its lines stay queued for the next start", {
          destination: this.destinations[i].address,
          lines: q.written - q.acked.seq,
          up: this.#senders[i].up,
        });
      }
    }
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_relay_routed_lines_total",
      help: "Lines routed by the relay (each to one destination or more).",
      type: "counter",
      value: this.#routed,
      carbon: "relay.metricsReceived",
    });
    for (const [i, reason] of REJECT_REASONS.entries()) {
      if (this.#rejected[i] === 0) continue;
      send({
        name: "carbonado_relay_rejected_lines_total",
        help: "Lines the relay refused, by reason.",
        type: "counter",
        value: this.#rejected[i],
        labels: { reason },
        carbon: `relay.rejected.${reason}`,
      });
    }
    for (const [i, d] of this.destinations.entries()) {
      const q = this.#queues[i];
      const s = this.#senders[i];
      const c = this.#counts[i];
      const labels = { destination: d.address };
      const carbon = (name: string) => `relay.destinations.${carbonName(d)}.${name}`;
      const lost = q.droppedLines + q.damagedLines + c.writeFailed;
      const sample = (
        name: string,
        help: string,
        type: "counter" | "gauge",
        value: number,
        carbonKey: string,
      ) => send({ name, help, type, value, labels, carbon: carbon(carbonKey) });
      sample(
        "carbonado_relay_sent_lines_total",
        "Lines written to the destination's connection (resent ones again).",
        "counter",
        s.sentLines,
        "metricsSent",
      );
      sample(
        "carbonado_relay_queued_lines",
        "Lines queued for the destination and not yet sent.",
        "gauge",
        q.pending,
        "metricsQueued",
      );
      sample(
        "carbonado_relay_dropped_lines_total",
        "Lines for the destination lost: queue over relay.max-size, failed queue writes, damage.",
        "counter",
        lost,
        "metricsDropped",
      );
      sample(
        "carbonado_relay_queue_bytes",
        "Bytes of the destination's queue on disk.",
        "gauge",
        q.diskBytes,
        "queueBytes",
      );
      sample(
        "carbonado_relay_memory_bytes",
        "Bytes of the destination's queued lines held in memory.",
        "gauge",
        q.memoryBytes,
        "memoryBytes",
      );
      sample(
        "carbonado_relay_reconnects_total",
        "Connections to the destination opened after the first.",
        "counter",
        s.reconnects,
        "reconnects",
      );
      sample(
        "carbonado_relay_connect_failures_total",
        "Connection attempts to the destination that failed.",
        "counter",
        s.connectFailures,
        "connectFailures",
      );
      sample(
        "carbonado_relay_resent_lines_total",
        "Lines sent again after a lost connection (they may not have been delivered).",
        "counter",
        s.resentLines,
        "metricsResent",
      );
      sample(
        "carbonado_relay_rerouted_lines_total",
        "Lines sent to another member because the destination was down (on-down = reroute).",
        "counter",
        c.rerouted,
        "metricsRerouted",
      );
      sample(
        "carbonado_relay_up",
        "1 when the destination is reachable, 0 after a failed connect.",
        "gauge",
        s.up ? 1 : 0,
        "up",
      );
    }
  }
}

const encoder = new TextEncoder();
/** A blank or a control character: in a name it would split or end the line. */
// deno-lint-ignore no-control-regex
const SPLITS_LINE = /[\x00-\x20\x7f]/;

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

/** A destination's queue directory: its address with the separators as underscores. */
export function queueDirName(d: Destination): string {
  return `${d.host}_${d.port}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

/** A destination in a carbon metric name, as carbon-c-relay writes it (dots as underscores). */
function carbonName(d: Destination): string {
  return `${d.host.replace(/[.:]/g, "_")}_${d.port}`;
}
