// Parse and commit: the wasm side of the appender. Plaintext bytes are copied into one shared
// input buffer in linear memory and parsed and staged in one call per chunk; the rare records
// the wasm parser marks for fix-up are finished here with the reference parser; structured
// points (pickle, self-metrics) are written as batch records and staged by the same rules.
// commit() applies the open batch to the cache, rollback() drops it without a trace.

import { parsePlainLine, REJECT_REASONS, type RejectReason } from "../protocol/plaintext.ts";
import { GrowingBuffer, type WasmInstance } from "./instance.ts";

/** What a batch came to: points admitted, refused (by any reason), dropped for lack of room. */
export interface BatchCounts {
  /** Points admitted (applied to the cache on commit). */
  accepted: number;
  /** Lines and points refused: parse errors, bad names, failed series, producer rejections. */
  rejected: number;
  /** Points dropped because the cache was full. */
  overflow: number;
  /** The refusals by reason, present only when there were some. */
  rejectedBy?: Partial<Record<RejectReason, number>>;
}

const encoder = new TextEncoder();
/** Smallest input buffer; it grows to the largest chunk handed in. */
const MIN_INPUT_BYTES = 1 << 16;
/** Bytes of names staged per structured batch before it is handed to the module. */
const NAME_BYTES = 1 << 20;

/** Parses, stages, commits and rolls back batches in the wasm module. */
export class WasmIngest {
  #wasm: WasmInstance;
  /** The shared input buffer. */
  #input: GrowingBuffer;

  constructor(wasm: WasmInstance) {
    this.#wasm = wasm;
    this.#input = new GrowingBuffer(wasm, MIN_INPUT_BYTES);
  }

  /** The module was reset: every buffer is gone. */
  reset(): void {
    this.#input.forget();
  }

  /** The shared input buffer, grown to at least `size` bytes (plus read-ahead padding). */
  inputBuffer(size: number): number {
    return this.#input.at(size);
  }

  /**
   * Parses the complete plaintext lines of `bytes` and stages their points in the open batch.
   * Returns the bytes consumed; the caller keeps the partial last line. With `direct`, the
   * points are applied as they are admitted (one pass): the batch must be empty before and be
   * committed right after, and cannot be rolled back or logged.
   */
  parsePlain(bytes: Uint8Array, direct = false): number {
    const wasm = this.#wasm;
    const ptr = this.inputBuffer(bytes.length);
    wasm.u8.set(bytes, ptr);
    const ex = wasm.ex;
    let consumed = 0;
    if (direct) ex.setDirect(1);
    try {
      do {
        consumed += ex.parseStage(ptr + consumed, bytes.length - consumed);
        if (ex.pendingFixups() > 0) {
          this.#fixup();
          ex.stageBatch();
        }
      } while (ex.stoppedEarly() !== 0);
    } finally {
      if (direct) ex.setDirect(0);
    }
    return consumed;
  }

  /** Finishes records the wasm parser marked REC_FIXUP with the reference parser. */
  #fixup(): void {
    const wasm = this.#wasm;
    const L = wasm.layout;
    const base = wasm.ex.batchPtr();
    const n = wasm.ex.batchLength();
    const view = wasm.view;
    const u8 = wasm.u8;
    for (let i = 0; i < n; i++) {
      const rec = base + i * L.REC_SIZE;
      if (view.getUint32(rec + L.REC_STATUS, true) !== L.REC_FIXUP) continue;
      const name = view.getUint32(rec + L.REC_NAME, true);
      const lineLen = view.getUint32(rec + L.REC_LINE_LEN, true);
      const parsed = parsePlainLine(u8.subarray(name, name + lineLen), wasm.maxLineLen);
      if (parsed !== null && "value" in parsed) {
        view.setUint32(rec + L.REC_TS, parsed.timestamp, true);
        view.setFloat64(rec + L.REC_VALUE, parsed.value, true);
        view.setUint32(rec + L.REC_STATUS, 0, true);
      } else {
        const reason = parsed === null ? 0 : REJECT_REASONS.indexOf(parsed.reason);
        view.setUint32(rec + L.REC_STATUS, L.REC_REJECTED + reason, true);
      }
    }
  }

  /**
   * Stages points that arrive as values rather than text: names are checked exactly as
   * plaintext names are, in batches of at most BATCH_RECORDS records.
   */
  stagePoints(
    names: readonly string[],
    timestamps: ArrayLike<number>,
    values: ArrayLike<number>,
  ): void {
    const wasm = this.#wasm;
    const L = wasm.layout;
    const names0 = this.inputBuffer(NAME_BYTES);
    const base = wasm.ex.batchPtr();
    const badName = L.REC_REJECTED + REJECT_REASONS.indexOf("bad_name");
    let i = 0;
    while (i < names.length) {
      const view = wasm.view;
      const u8 = wasm.u8;
      let records = 0;
      let used = 0;
      for (; i < names.length && records < L.BATCH_RECORDS; i++) {
        const name = names[i];
        const rec = base + records * L.REC_SIZE;
        let status = 0;
        let len = 0;
        if (name.length > L.MAX_NAME_LEN) {
          status = badName;
        } else {
          if (used + name.length * 3 > NAME_BYTES) break;
          const at = names0 + used;
          len = encoder.encodeInto(name, u8.subarray(at, names0 + NAME_BYTES)).written;
        }
        view.setUint32(rec + L.REC_NAME, names0 + used, true);
        view.setUint32(rec + L.REC_NAME_LEN, len, true);
        view.setUint32(rec + L.REC_TS, timestamps[i], true);
        view.setFloat64(rec + L.REC_VALUE, values[i], true);
        view.setUint32(rec + L.REC_STATUS, status, true);
        used += len;
        records++;
      }
      wasm.ex.prepareStage(records);
    }
  }

  /** Counts `n` lines or points the producer refused itself, in the open batch. */
  reject(reason: RejectReason, n = 1): void {
    this.#wasm.ex.countRejected(REJECT_REASONS.indexOf(reason), n);
  }

  /** The open batch so far. */
  staged(): BatchCounts {
    const ex = this.#wasm.ex;
    return {
      accepted: ex.pendingPoints(),
      rejected: ex.stagedRejected(),
      overflow: ex.stagedOverflow(),
    };
  }

  /** Applies the open batch to the cache and folds in its counts; returns them. */
  commit(): BatchCounts {
    const ex = this.#wasm.ex;
    const rejectedBy = ex.stagedRejected() > 0 ? this.#rejectedBy() : undefined;
    const accepted = ex.commit();
    // a point slot that could not be allocated at apply time counts as overflow
    const counts: BatchCounts = {
      accepted,
      rejected: ex.committedRejected(),
      overflow: ex.committedOverflow(),
    };
    if (rejectedBy) counts.rejectedBy = rejectedBy;
    return counts;
  }

  /** The open batch's refusals by reason (read only when there are some: logging). */
  #rejectedBy(): Partial<Record<RejectReason, number>> {
    const wasm = this.#wasm;
    const L = wasm.layout;
    const view = wasm.view;
    const base = wasm.ex.stagedPtr();
    const out: Partial<Record<RejectReason, number>> = {};
    for (let r = 0; r < L.REASON_COUNT; r++) {
      const n = Number(view.getBigUint64(base + (L.COUNTER_REJECTED + r) * 8, true));
      if (n > 0) out[REJECT_REASONS[r]] = n;
    }
    return out;
  }

  /**
   * Drops the open batch because it could not be logged: its admitted points are counted as
   * rejected for `reason` (its other counts stay); returns what the batch came to.
   */
  abandon(reason: RejectReason): BatchCounts {
    const counts = this.staged();
    const dropped = this.#wasm.ex.abandon(REJECT_REASONS.indexOf(reason));
    return { accepted: 0, rejected: counts.rejected + dropped, overflow: counts.overflow };
  }

  /** Drops the open batch: its points, counts and new empty series. */
  rollback(): void {
    this.#wasm.ex.rollback();
  }
}
