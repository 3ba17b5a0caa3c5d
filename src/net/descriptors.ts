// The process's file descriptors as the stream listeners share them: the open-file limit read
// at start from /proc/self/limits (Deno raises the soft limit to the hard one), a reserve kept
// for Whisper files, the write-ahead log, HTTP and Deno itself, and the connections open over
// every listener. A listener over its own `max-connections`, or over the process's share,
// accepts the connection and closes it at once (issue 9: at the descriptor limit Deno panics).

import type { StatSend, StatSource } from "../stats/sample.ts";

/** Descriptors kept out of the connections' share at the least. */
export const MIN_RESERVED_FDS = 128;
/** Of a larger limit, this fraction is kept out of the connections' share. */
export const RESERVED_FDS_FRACTION = 0.25;
/** The limit assumed where /proc/self/limits cannot be read (systemd's usual soft limit). */
export const FALLBACK_FD_LIMIT = 1024;
/** At least this many connections are allowed over all listeners, whatever the limit. */
const MIN_SHARED_CONNECTIONS = 16;

/**
 * The soft "Max open files" limit from the text of /proc/self/limits; Infinity for
 * "unlimited", undefined when the line is missing.
 *
 * @example
 * ```ts
 * parseOpenFileLimit("Max open files            1024                 4096                 files");
 * // 1024
 * ```
 */
export function parseOpenFileLimit(text: string): number | undefined {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return undefined;
  if (m[1] === "unlimited") return Infinity;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The process's open-file limit now (FALLBACK_FD_LIMIT if it cannot be read). */
export function readOpenFileLimit(): number {
  try {
    return parseOpenFileLimit(Deno.readTextFileSync("/proc/self/limits")) ?? FALLBACK_FD_LIMIT;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
      return FALLBACK_FD_LIMIT;
    }
    throw err;
  }
}

/** Connections every stream listener together may hold under `fdLimit` descriptors. */
export function sharedConnections(fdLimit: number): number {
  if (!Number.isFinite(fdLimit)) return Number.MAX_SAFE_INTEGER;
  const reserve = Math.max(MIN_RESERVED_FDS, Math.ceil(fdLimit * RESERVED_FDS_FRACTION));
  return Math.max(MIN_SHARED_CONNECTIONS, fdLimit - reserve);
}

/** The connections open over every stream listener, against the process's share. */
export class ConnectionBudget implements StatSource {
  /** The open-file limit the share was computed from. */
  readonly fdLimit: number;
  /** Connections every listener together may hold. */
  readonly max: number;
  /** Connections open now, over every listener. */
  open = 0;

  constructor(fdLimit = readOpenFileLimit()) {
    this.fdLimit = fdLimit;
    this.max = sharedConnections(fdLimit);
  }

  /** Takes a slot; false when the process's share is used up. */
  take(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  /** Gives a slot back. */
  release(): void {
    this.open--;
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_open_files_limit",
      help: "The process's open-file limit, read at start from /proc/self/limits.",
      type: "gauge",
      value: Number.isFinite(this.fdLimit) ? this.fdLimit : -1,
      carbon: "descriptors.limit",
    });
    send({
      name: "carbonado_connections_max",
      help: "Connections every stream listener together may hold: the limit less a reserve.",
      type: "gauge",
      value: this.max,
      carbon: "descriptors.maxConnections",
    });
    send({
      name: "carbonado_connections_open",
      help: "Connections open now over every stream listener.",
      type: "gauge",
      value: this.open,
      carbon: "descriptors.connections",
    });
  }
}
