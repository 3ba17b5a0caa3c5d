// The main thread's side of remote_write: reads each [[remote-write]] entry's secret and TLS
// files at start (a bad one stops the start, naming the key), runs the senders in a worker
// thread, tells it the log's committed end after every commit (shared memory and a notify: no
// message per commit), keeps every segment a remote still needs (Wal.registerReader, up to its
// max-backlog), reports each remote's counters, and stops it on SIGTERM.

import type { RemoteWriteConfig } from "../config/remote_write.ts";
import { Logger, type LogRoute } from "../log/logger.ts";
import type { StatSend, StatSource } from "../stats/sample.ts";
import type { Wal } from "../wal/wal.ts";
import { authHeaders } from "./auth_headers.ts";
import type { TlsOptions } from "./client.ts";
import { RemoteCounters } from "./counters.ts";
import { LogEndWriter, sharedLogEnd } from "./log_end.ts";
import type { FromWorker, RemoteSpec, ToWorker } from "./worker_messages.ts";

const log = new Logger("remote-write");

/** How long a stop keeps sending to remotes that answer (never waiting on one that fails). */
export const STOP_GRACE_MS = 5000;
/** How long a stop waits for the worker beyond the grace before ending it. */
const STOP_MARGIN_MS = 10_000;
/** Wait before a crashed worker is started again (its state on disk makes that safe). */
const RESPAWN_MS = 1000;

/** Options of {@linkcode RemoteWrite}. */
export interface RemoteWriteOptions {
  remotes: readonly RemoteWriteConfig[];
  wal: Wal;
  logging: readonly LogRoute[];
}

/** Every [[remote-write]] destination, fed from the WAL by one worker thread. */
export class RemoteWrite implements StatSource {
  #opts: RemoteWriteOptions;
  #specs: RemoteSpec[];
  #counters: RemoteCounters[];
  #end = sharedLogEnd();
  #holds: Int32Array;
  #worker?: Worker;
  #stopped?: () => void;
  #stopping = false;
  #respawn?: ReturnType<typeof setTimeout>;

  /**
   * Reads the entries' secret and TLS files and registers each remote as a reader of the log.
   *
   * @throws {Error} naming the key (`remote-write[0].tls-ca-file`) when a file cannot be read
   */
  constructor(opts: RemoteWriteOptions) {
    this.#opts = opts;
    this.#specs = opts.remotes.map((config, i) => resolveSpec(config, i));
    this.#counters = this.#specs.map((s) => new RemoteCounters(s.counters));
    this.#holds = new Int32Array(new SharedArrayBuffer(4 * this.#specs.length));
    const wal = opts.wal;
    if (wal.segmentSize >= 2 ** 31) {
      throw new RangeError("Invalid wal.segment-size: remote write needs segments below 2 GiB");
    }
    this.#specs.forEach((spec, i) => {
      wal.registerReader(`remote-write:${spec.config.name}`, () => Atomics.load(this.#holds, i));
    });
    const writer = new LogEndWriter(this.#end);
    wal.onEnd((segment, offset) => writer.publish(segment, offset));
  }

  /** Starts the worker; the senders start from their state on disk. */
  start(): void {
    this.#spawn();
  }

  #spawn(): void {
    const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const msg = e.data;
      if (msg.type === "stopped") this.#stopped?.();
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      log.error("remote write worker failed; starting it again", { err: e.message });
      worker.terminate();
      if (this.#stopping) {
        this.#stopped?.();
        return;
      }
      this.#respawn = setTimeout(() => this.#spawn(), RESPAWN_MS);
    };
    this.#post({
      type: "start",
      walDir: this.#opts.wal.dir,
      logging: [...this.#opts.logging],
      end: this.#end,
      holds: this.#holds.buffer as SharedArrayBuffer,
      remotes: this.#specs,
    });
  }

  #post(msg: ToWorker): void {
    this.#worker?.postMessage(msg);
  }

  /**
   * Sends for up to `graceMs` more to remotes that answer, then persists every sender's state
   * and ends the worker. The backlog of a remote that is down stays in the log for next time.
   */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#respawn);
    const worker = this.#worker;
    if (!worker) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#stopped = resolve;
      timer = setTimeout(() => {
        log.error("remote write worker did not stop in time: ended", {});
        resolve();
      }, graceMs + STOP_MARGIN_MS);
      this.#post({ type: "stop", graceMs });
    });
    clearTimeout(timer);
    worker.terminate();
    this.#worker = undefined;
  }

  stat(send: StatSend): void {
    this.#specs.forEach((spec, i) => this.#counters[i].stat(send, spec.config));
  }
}

/** An entry with its files read: headers (authentication included) and TLS PEM text. */
function resolveSpec(config: RemoteWriteConfig, i: number): RemoteSpec {
  const read = (key: string, path: string): string => {
    try {
      return Deno.readTextFileSync(path);
    } catch (err) {
      const Class = (err as Error).constructor as ErrorConstructor;
      throw new Class(
        `Cannot read remote-write[${i}].${key} "${path}": ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  const password = config.basicAuthPasswordFile
    ? read("basic-auth-password-file", config.basicAuthPasswordFile).trim()
    : config.basicAuthPassword;
  const bearerToken = config.bearerTokenFile
    ? read("bearer-token-file", config.bearerTokenFile).trim()
    : config.bearerToken;
  const tls: TlsOptions = { insecureSkipVerify: config.tlsInsecureSkipVerify };
  if (config.tlsCaFile) {
    const pem = read("tls-ca-file", config.tlsCaFile);
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new TypeError(
        `Invalid remote-write[${i}].tls-ca-file "${config.tlsCaFile}": no PEM certificate in it`,
      );
    }
    tls.caCerts = [pem];
  }
  if (config.tlsCertFile) {
    tls.cert = read("tls-cert-file", config.tlsCertFile);
    tls.key = read("tls-key-file", config.tlsKeyFile);
  }
  if (tls.caCerts || tls.cert) {
    // parse the PEM now, so that a bad file stops the start instead of the sender
    try {
      Deno.createHttpClient(
        tls.cert
          ? { caCerts: tls.caCerts, cert: tls.cert, key: tls.key! }
          : { caCerts: tls.caCerts },
      ).close();
    } catch (err) {
      const key = tls.cert ? "tls-cert-file" : "tls-ca-file";
      throw new TypeError(`Invalid remote-write[${i}].${key}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  return {
    config,
    headers: {
      ...config.headers,
      ...authHeaders({ username: config.basicAuthUsername, password, bearerToken }),
    },
    tls,
    counters: RemoteCounters.shared(),
  };
}
