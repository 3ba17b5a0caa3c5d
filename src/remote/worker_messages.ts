// The messages between the main thread and the remote_write worker thread. Counters, the log's
// committed end and each remote's oldest needed segment travel through shared memory instead
// (counters.ts, log_end.ts): messages are only for start and stop.

import type { RemoteWriteConfig } from "../config/remote_write.ts";
import type { LogRoute } from "../log/logger.ts";
import type { TlsOptions } from "./client.ts";

/** One remote as the worker runs it: its config, with secrets and TLS files already read. */
export interface RemoteSpec {
  config: RemoteWriteConfig;
  /** Headers to send, authentication included. */
  headers: Record<string, string>;
  tls: TlsOptions;
  /** The remote's counters (counters.ts layout). */
  counters: SharedArrayBuffer;
}

/** Main thread → worker. */
export type ToWorker =
  | {
    type: "start";
    walDir: string;
    logging: LogRoute[];
    /** The log's committed end (log_end.ts). */
    end: SharedArrayBuffer;
    /** An Int32 per remote: the first segment it still needs. */
    holds: SharedArrayBuffer;
    remotes: RemoteSpec[];
  }
  | { type: "stop"; graceMs: number };

/** Worker → main thread. */
export type FromWorker =
  | { type: "started" }
  | { type: "failed"; remote: string; error: string }
  | { type: "stopped" };
