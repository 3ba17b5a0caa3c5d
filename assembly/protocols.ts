// The export surface of the structured protocols (re-exported by index.ts): Influx line
// protocol and OpenTSDB telnet lines parsed into batch records, remote_write requests
// decoded from snappy and protobuf into them, and the records then staged by prepareStage()
// like pickle's. One call per chunk or request (two when values need the JS fix-up).

import { prepareStage } from "./index";
import { parseInflux } from "./influx";
import { parseOpenTsdb } from "./opentsdb";
import { RW_ERROR, rwStage } from "./remote_write";
import { fixupCount, recCount, setWorkArea, stoppedFull, Unit } from "./structured";

export { STRUCT_AREA_BYTES } from "./structured";
export { INFLUX_MAX_DB, INFLUX_MAX_DB_KEY, INFLUX_MAX_SEP, influxOptions, takeStringsSkipped } from "./influx";
export { snappyDecode, snappyLength } from "./snappy";
export { rwBegin, rwTakeCounts, RW_DONE, RW_ERROR, RW_MORE } from "./remote_write";

/** Codes of the Influx `precision` (influxOptions()); GUESS goes by magnitude. */
export const PRECISION_GUESS: i32 = Unit.GUESS;
export const PRECISION_NS: i32 = Unit.NS;
export const PRECISION_US: i32 = Unit.US;
export const PRECISION_MS: i32 = Unit.MS;
export const PRECISION_S: i32 = Unit.S;
export const PRECISION_M: i32 = Unit.MIN;
export const PRECISION_H: i32 = Unit.HOUR;

/** Lays out the structured protocols' work area (STRUCT_AREA_BYTES at `ptr`, from allocBuffer). */
export function structArea(ptr: usize): void {
  setWorkArea(ptr);
}

/**
 * Parses the complete Influx lines of [ptr, ptr + len) (lines over `maxLineLen` bytes refused)
 * and, unless some values need the JS
 * fix-up (structFixups()), stages their records. Returns the bytes consumed; structFull() says
 * whether to call again on the rest.
 */
export function influxStage(ptr: usize, len: u32, now: u32, maxLineLen: u32): u32 {
  const consumed = parseInflux(ptr, len, now, maxLineLen);
  if (fixupCount == 0) prepareStage(recCount);
  return <u32>consumed;
}

/** As influxStage(), for OpenTSDB telnet `put` lines. */
export function openTsdbStage(ptr: usize, len: u32, now: u32, maxLineLen: u32): u32 {
  const consumed = parseOpenTsdb(ptr, len, now, maxLineLen);
  if (fixupCount == 0) prepareStage(recCount);
  return <u32>consumed;
}

/** Records of the last structured call; fix-ups waiting for the JS side (0 once staged). */
export function structRecords(): i32 {
  return recCount;
}

export function structFixups(): i32 {
  return fixupCount;
}

/** 1 when the last structured call stopped on a full batch: call again on the rest. */
export function structFull(): i32 {
  return stoppedFull ? 1 : 0;
}

/** Stages the records of the last structured call, once the JS side has fixed them up. */
export function structStage(): void {
  prepareStage(recCount);
}

/**
 * Decodes the next part of the request begun with rwBegin() and stages it: RW_DONE, RW_MORE
 * (call again) or RW_ERROR (nothing of this call staged; the caller rolls the batch back).
 */
export function rwNext(): i32 {
  const status = rwStage();
  if (status != RW_ERROR) prepareStage(recCount);
  return status;
}
