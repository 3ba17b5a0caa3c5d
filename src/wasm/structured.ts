// The structured protocols on the wasm side of the appender: Influx line protocol and OpenTSDB
// telnet chunks parsed into batch records in one call per chunk (plus one when a value needs
// the reference parser), remote_write bodies decoded from snappy and protobuf into them, all
// staged by the same rules as plaintext (names checked and put in carbon's order). The input
// goes through WasmIngest's shared input buffer; the names of the records live in a work area
// this class allocates on first use.

import type { InfluxOptions } from "../protocol/influx.ts";
import { parseValueToken, REJECT_REASONS } from "../protocol/plaintext.ts";
import type { WasmIngest } from "./ingest.ts";
import type { WasmInstance } from "./instance.ts";

/** Options of {@linkcode StructuredIngest.parseInflux}: the reference parser's, less `now`. */
export type InfluxParseOptions = Omit<InfluxOptions, "now">;

/** Options of a line protocol chunk. */
export interface LineChunkOptions {
  /** The chunk ends the input: its last line needs no `\n`. */
  final?: boolean;
  /** Unix seconds for lines without a timestamp; default: the clock. */
  now?: number;
  /** Longest line in bytes; longer ones are refused and counted (default: the module's). */
  maxLineLen?: number;
}

/** What decoding a remote_write request skipped besides the refusals counted in the batch. */
export interface RemoteWriteSkips {
  /** Stale markers (series that ended) and NaN samples: nothing to store. */
  stale: number;
  nan: number;
  /** Native histograms: not stored. */
  histograms: number;
  /** Series without `__name__`: their samples are refused as empty_name. */
  unnamed: number;
}

/** Precision codes of influxOptions(), by precision. */
const PRECISION_CODES = {
  ns: "PRECISION_NS",
  us: "PRECISION_US",
  ms: "PRECISION_MS",
  s: "PRECISION_S",
  m: "PRECISION_M",
  h: "PRECISION_H",
} as const;

const encoder = new TextEncoder();
const LF = 0x0a;
/** Bytes that end an unquoted value token (Influx `,` and space, OpenTSDB blanks, line ends). */
const TOKEN_END = new Set([0x2c, 0x20, 0x09, 0x0d, 0x0a]);

/** Parses and stages the structured protocols in the wasm module. */
export class StructuredIngest {
  #wasm: WasmInstance;
  #ingest: WasmIngest;
  #area = 0;
  #decoded = 0;
  #decodedSize = 0;
  #influxKey = "";

  constructor(wasm: WasmInstance, ingest: WasmIngest) {
    this.#wasm = wasm;
    this.#ingest = ingest;
  }

  /** The module was reset: every buffer is gone. */
  reset(): void {
    this.#area = 0;
    this.#decoded = 0;
    this.#decodedSize = 0;
    this.#influxKey = "";
  }

  #ensureArea(): void {
    if (this.#area !== 0) return;
    this.#area = this.#wasm.allocBuffer(this.#wasm.layout.STRUCT_AREA_BYTES);
    this.#wasm.ex.structArea(this.#area);
  }

  /**
   * Copies `bytes` into the shared input buffer, with a `\n` after a final chunk whose last line
   * has none. Returns the pointer and the length to parse.
   */
  #input(bytes: Uint8Array, final: boolean): [number, number] {
    this.#ensureArea();
    const ptr = this.#ingest.inputBuffer(bytes.length + 1);
    const u8 = this.#wasm.u8;
    u8.set(bytes, ptr);
    let len = bytes.length;
    if (final && len > 0 && bytes[len - 1] !== LF) u8[ptr + len++] = LF;
    return [ptr, len];
  }

  /** Sends the Influx options to the module when they differ from the last ones. */
  #influxOptions(opts: InfluxParseOptions): void {
    const L = this.#wasm.layout;
    const db = opts.db ?? "";
    const dbTag = db === "" ? "" : opts.dbTag ?? "db";
    const key = `${opts.separator}\0${dbTag}\0${db}\0${opts.precision ?? ""}`;
    if (key === this.#influxKey) return;
    const sep = encoder.encode(opts.separator);
    const dbKey = encoder.encode(dbTag);
    const dbValue = encoder.encode(db);
    if (sep.length > L.INFLUX_MAX_SEP) {
      throw new RangeError(`Influx separator longer than ${L.INFLUX_MAX_SEP} bytes`);
    }
    if (dbKey.length > L.INFLUX_MAX_DB_KEY || dbValue.length > L.INFLUX_MAX_DB) {
      throw new RangeError(`Influx db longer than ${L.INFLUX_MAX_DB} bytes`);
    }
    const at = this.#wasm.ex.nameScratchPtr();
    const u8 = this.#wasm.u8;
    u8.set(sep, at);
    u8.set(dbKey, at + sep.length);
    u8.set(dbValue, at + sep.length + dbKey.length);
    const precision = L[opts.precision ? PRECISION_CODES[opts.precision] : "PRECISION_GUESS"];
    this.#wasm.ex.influxOptions(at, sep.length, dbKey.length, dbValue.length, precision);
    this.#influxKey = key;
  }

  /**
   * Parses the complete Influx lines of `bytes` (all of them when `final`) and stages their
   * points in the open batch. Returns the bytes consumed and the string fields skipped.
   */
  parseInflux(
    bytes: Uint8Array,
    opts: InfluxParseOptions & LineChunkOptions,
  ): { consumed: number; skipped: number } {
    this.#influxOptions(opts);
    const consumed = this.#lines(bytes, opts, this.#wasm.ex.influxStage);
    return { consumed, skipped: this.#wasm.ex.takeStringsSkipped() };
  }

  /** As parseInflux(), for OpenTSDB telnet `put` lines; returns the bytes consumed. */
  parseOpenTsdb(bytes: Uint8Array, opts: LineChunkOptions): number {
    return this.#lines(bytes, opts, this.#wasm.ex.openTsdbStage);
  }

  #lines(
    bytes: Uint8Array,
    opts: LineChunkOptions,
    stage: (ptr: number, len: number, now: number, maxLineLen: number) => number,
  ): number {
    const [ptr, len] = this.#input(bytes, opts.final ?? false);
    const now = opts.now ?? Math.floor(Date.now() / 1000);
    const maxLineLen = opts.maxLineLen ?? this.#wasm.maxLineLen;
    const ex = this.#wasm.ex;
    let consumed = 0;
    do {
      consumed += stage(ptr + consumed, len - consumed, now, maxLineLen);
      if (ex.structFixups() > 0) {
        this.#fixup();
        ex.structStage();
      }
    } while (ex.structFull() !== 0);
    return Math.min(consumed, bytes.length);
  }

  /** Finishes the values the wasm parser marked REC_FIXUP with the reference parser. */
  #fixup(): void {
    const wasm = this.#wasm;
    const L = wasm.layout;
    const base = wasm.ex.batchPtr();
    const n = wasm.ex.structRecords();
    const view = wasm.view;
    const u8 = wasm.u8;
    const badValue = L.REC_REJECTED + REJECT_REASONS.indexOf("bad_value");
    for (let i = 0; i < n; i++) {
      const rec = base + i * L.REC_SIZE;
      if (view.getUint32(rec + L.REC_STATUS, true) !== L.REC_FIXUP) continue;
      const value = parseValueToken(valueToken(u8, view.getUint32(rec + L.REC_LINE_LEN, true)));
      if (Number.isNaN(value)) {
        view.setUint32(rec + L.REC_STATUS, badValue, true);
      } else {
        view.setFloat64(rec + L.REC_VALUE, value, true);
        view.setUint32(rec + L.REC_STATUS, 0, true);
      }
    }
  }

  /**
   * Decodes a remote_write request body (snappy unless `snappy` is false) and stages its
   * samples in the open batch. Throws SyntaxError when the body is not a snappy block or not a
   * WriteRequest (the caller rolls the batch back), RangeError when it decodes to more than
   * `maxDecoded` bytes (checked before decoding).
   */
  stageRemoteWrite(body: Uint8Array, snappy: boolean, maxDecoded: number): RemoteWriteSkips {
    this.#ensureArea();
    const wasm = this.#wasm;
    const ex = wasm.ex;
    const L = wasm.layout;
    const input = this.#ingest.inputBuffer(body.length);
    wasm.u8.set(body, input);
    let ptr = input;
    let len = body.length;
    if (snappy) {
      const decodedLen = Number(ex.snappyLength(input, body.length));
      if (decodedLen < 0) throw new SyntaxError("Cannot decode snappy block: bad preamble");
      if (decodedLen > maxDecoded) {
        throw new RangeError(
          `Snappy block decodes to ${decodedLen} bytes, more than the limit of ${maxDecoded}`,
        );
      }
      ptr = this.#decodedBuffer(decodedLen);
      if (ex.snappyDecode(input, body.length, ptr, decodedLen) !== 0) {
        throw new SyntaxError("Cannot decode snappy block: corrupt input");
      }
      len = decodedLen;
    }
    ex.rwBegin(ptr, len);
    let status;
    do status = ex.rwNext(); while (status === L.RW_MORE);
    const counts = ex.nameScratchPtr();
    ex.rwTakeCounts(counts);
    const view = wasm.view;
    const skips: RemoteWriteSkips = {
      stale: view.getUint32(counts, true),
      nan: view.getUint32(counts + 4, true),
      histograms: view.getUint32(counts + 8, true),
      unnamed: view.getUint32(counts + 12, true),
    };
    if (status === L.RW_ERROR) {
      throw new SyntaxError("Cannot decode WriteRequest: malformed protobuf");
    }
    return skips;
  }

  /** The buffer snappy decodes into, grown to at least `size` bytes. */
  #decodedBuffer(size: number): number {
    if (size > this.#decodedSize) {
      let next = Math.max(this.#decodedSize, 1 << 16);
      while (next < size) next *= 2;
      if (this.#decoded !== 0) this.#wasm.freeBuffer(this.#decoded, this.#decodedSize);
      this.#decoded = 0;
      this.#decodedSize = 0;
      this.#decoded = this.#wasm.allocBuffer(next);
      this.#decodedSize = next;
    }
    return this.#decoded;
  }
}

/** The text of the value token at `at`: a quoted string's content, or up to the next delimiter. */
function valueToken(u8: Uint8Array, at: number): Uint8Array {
  if (u8[at] === 0x22) {
    let end = at + 1;
    while (u8[end] !== 0x22) end += u8[end] === 0x5c ? 2 : 1;
    return u8.subarray(at + 1, end);
  }
  let end = at;
  while (!TOKEN_END.has(u8[end])) end++;
  let token = u8.subarray(at, end);
  const last = token[token.length - 1];
  if (last === 0x69 || last === 0x75) token = token.subarray(0, -1); // Influx `i`/`u`
  return token;
}
