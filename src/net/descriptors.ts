// The process's file descriptors as the stream listeners share them: the open-file limit read
// at start from /proc/self/limits (Deno raises the soft limit to the hard one), a reserve kept
// for Whisper files, the write-ahead log, HTTP and Deno itself, and the connections open over
// every listener. A listener over its own `max-connections`, or over the process's share,
// accepts the connection and closes it at once (issue 9: at the descriptor limit Deno panics).
// Where the limit cannot be read (Deno lets only --allow-all read /proc/self), the share is
// unbounded until accept first fails with EMFILE, and cut below the connections open then.

import type { StatSend, StatSource } from "../stats/sample.ts";

/** Descriptors kept out of the connections' share at the least. */
export const MIN_RESERVED_FDS = 128;
/** Of a larger limit, this fraction is kept out of the connections' share. */
export const RESERVED_FDS_FRACTION = 0.25;
/** Once descriptors ran out, the share is cut to this fraction of the connections open then. */
export const SHARE_AFTER_EMFILE = 0.75;
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

/**
 * The process's open-file limit now, or undefined when it cannot be read: Deno lets only a
 * process run with --allow-all read /proc/self (NotCapable otherwise), and there is no /proc
 * off Linux.
 */
export function readOpenFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(Deno.readTextFileSync("/proc/self/limits"));
  } catch (err) {
    if (
      err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.PermissionDenied
    ) {
      return undefined;
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
  /** The open-file limit the share was computed from; undefined when it could not be read. */
  readonly fdLimit: number | undefined;
  /** Connections every listener together may hold, from the limit. */
  readonly max: number;
  /** Connections open now, over every listener. */
  open = 0;
  /** Connections every listener together may hold: `max`, or less once the limit was hit. */
  #max: number;
  /** A descriptor held in reserve, given up to accept and close a connection at the limit. */
  #spare?: Deno.FsFile;
  #users = 0;

  constructor(fdLimit: number | undefined = readOpenFileLimit()) {
    this.fdLimit = fdLimit;
    this.max = this.#max = sharedConnections(fdLimit ?? Infinity);
  }

  /** Connections allowed now (less than `max` once descriptors ran out). */
  get allowed(): number {
    return this.#max;
  }

  /** A listener starts using the budget (the first one sets the spare descriptor aside). */
  attach(): void {
    if (this.#users++ === 0) this.reserveSpare();
  }

  /** A listener stopped using the budget (the last one gives the spare back). */
  detach(): void {
    if (--this.#users > 0) return;
    this.#spare?.close();
    this.#spare = undefined;
  }

  /** Takes a slot; false when the process's share is used up. */
  take(): boolean {
    if (this.open >= this.#max) return false;
    this.open++;
    return true;
  }

  /**
   * Descriptors ran out (EMFILE) before the share did, the limit being unknown or other parts
   * holding more than the reserve: the share is cut to a quarter below the connections open,
   * and the spare descriptor is given up so that the next accept succeeds: the listener judges
   * that connection by the new share (closing it when over) and then calls reserveSpare(), so
   * that a storm is drained instead of left waiting in the kernel's queue. True if there was a
   * spare to give up.
   */
  exhausted(): boolean {
    this.#max = Math.min(
      this.#max,
      Math.max(MIN_SHARED_CONNECTIONS, Math.floor(this.open * SHARE_AFTER_EMFILE)),
    );
    if (!this.#spare) return false;
    this.#spare.close();
    this.#spare = undefined;
    return true;
  }

  /** Sets a spare descriptor aside again, if there is none and a descriptor is free. */
  reserveSpare(): void {
    if (this.#spare || this.#users === 0) return;
    try {
      this.#spare = Deno.openSync("/dev/null");
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      // out of descriptors now, or no /dev/null: without a spare, accepts pause and retry
    }
  }

  /** Gives a slot back. */
  release(): void {
    this.open--;
  }

  stat(send: StatSend): void {
    send({
      name: "carbonado_open_files_limit",
      help: "The process's open-file limit, read at start from /proc/self/limits (-1: " +
        "unlimited or unreadable).",
      type: "gauge",
      value: this.fdLimit !== undefined && Number.isFinite(this.fdLimit) ? this.fdLimit : -1,
      carbon: "descriptors.limit",
    });
    send({
      name: "carbonado_connections_max",
      help: "Connections every stream listener together may hold: the open-file limit less a " +
        "reserve, lowered when descriptors ran out first (-1: no bound yet).",
      type: "gauge",
      value: this.#max >= Number.MAX_SAFE_INTEGER ? -1 : this.#max,
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
