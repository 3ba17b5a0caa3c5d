// Prometheus remote_write 1.0: decodes a protobuf WriteRequest (already out of snappy) into
// batch records, one per sample, named `__name__;label=value;...` in the labels' order (the
// appender puts the tags in carbon's order). The same procedure as
// src/protocol/remote_write.ts, the TS reference.
//
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
//                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // milliseconds
//
// Unknown fields are skipped by wire type. Timestamps are floored to seconds; stale markers
// and NaN are skipped (counted, not refused); a series without `__name__` has its samples
// refused as empty_name; native histograms are skipped and counted. A request that is not
// valid protobuf (a varint past 10 bytes, a length past its message, a known field with the
// wrong wire type, a group) is an error: the JS side rolls the whole batch back.
//
// A request can hold more samples than a batch: rwStage() stops when the batch or the names
// region is full, remembers the series and sample it stopped at, and goes on at the next call.

import { bumpStaged } from "./counters";
import { COUNTER_REJECTED, Reason, REC_OK, REC_REJECTED } from "./layout";
import {
  emit,
  Esc,
  labelTable,
  markFull,
  MAX_LABELS,
  Mend,
  namePos,
  over,
  putMended,
  putTag,
  recordsBegin,
  roomForRecord,
  toSeconds,
  Unit,
  wBegin,
  wEnd,
} from "./structured";

/** rwStage() results. */
export const RW_DONE: i32 = 0;
export const RW_MORE: i32 = 1; // the batch filled up: stage it, then call again
export const RW_ERROR: i32 = -1; // not a valid WriteRequest

const STALE_NAN: u64 = 0x7ff0000000000002;
const WIRE_VARINT: u32 = 0;
const WIRE_I64: u32 = 1;
const WIRE_LEN: u32 = 2;
const WIRE_I32: u32 = 5;

// Counts since the JS side last took them.
let staleSkipped: u32 = 0;
let nanSkipped: u32 = 0;
let histogramsSkipped: u32 = 0;
let seriesUnnamed: u32 = 0;

// The request and where the last call stopped.
let pos: usize = 0;
let reqEnd: usize = 0;
let sampleSkip: u32 = 0;
/** The series at `pos` was begun by an earlier call: its skips are counted already. */
let resumed: bool = false;

// The varint reader: readVarint() returns the position after it, 0 on a bad varint.
let varint: u64 = 0;

/** Reads the varint at `p`: the one-byte case inline (tags and most lengths), the rest apart. */
// @ts-ignore: decorator
@inline function readVarint(p: usize, end: usize): usize {
  if (p < end) {
    const b = <u64>load<u8>(p);
    if (b < 0x80) {
      varint = b;
      return p + 1;
    }
  }
  return readVarintSlow(p, end);
}

function readVarintSlow(p: usize, end: usize): usize {
  let v: u64 = 0;
  for (let shift: u64 = 0; shift < 70; shift += 7) {
    if (p >= end) return 0;
    const b = <u64>load<u8>(p++);
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      varint = v;
      return p;
    }
  }
  return 0;
}

/** The position after a field of `wire` type at `p` (its tag read), or 0 when malformed. */
function skipField(p: usize, end: usize, wire: u32): usize {
  if (wire == WIRE_VARINT) return readVarint(p, end);
  if (wire == WIRE_I64) return p + 8 <= end ? p + 8 : 0;
  if (wire == WIRE_I32) return p + 4 <= end ? p + 4 : 0;
  if (wire == WIRE_LEN) {
    p = readVarint(p, end);
    if (p == 0 || varint > <u64>(end - p)) return 0;
    return p + <usize>varint;
  }
  return 0; // groups (3, 4) are not used by this schema; 6, 7 do not exist
}

// Fields of the message being read: the tag and, for a length-delimited one, its extent.
let fieldNo: u32 = 0;
let fieldWire: u32 = 0;
let fieldStart: usize = 0;
let fieldEnd: usize = 0;

/** Reads the field at `p`: its tag and (for LEN) its bounds. Returns the next position or 0. */
// @ts-ignore: decorator
@inline function readField(p: usize, end: usize): usize {
  p = readVarint(p, end);
  if (p == 0 || varint > 0xffffffff) return 0;
  fieldNo = <u32>(varint >> 3);
  fieldWire = <u32>varint & 7;
  if (fieldWire == WIRE_LEN) {
    p = readVarint(p, end);
    if (p == 0 || varint > <u64>(end - p)) return 0;
    fieldStart = p;
    fieldEnd = p + <usize>varint;
    return fieldEnd;
  }
  fieldStart = p;
  p = skipField(p, end, fieldWire);
  fieldEnd = p;
  return p;
}

/** Starts decoding the WriteRequest at [ptr, ptr + len). */
export function rwBegin(ptr: usize, len: usize): void {
  pos = ptr;
  reqEnd = ptr + len;
  sampleSkip = 0;
  resumed = false;
}

/**
 * Decodes series into the batch from where the last call stopped, until the request ends
 * (RW_DONE), the batch is full (RW_MORE) or the request is malformed (RW_ERROR).
 */
export function rwStage(): i32 {
  recordsBegin();
  while (pos < reqEnd) {
    const next = readField(pos, reqEnd);
    if (next == 0) return RW_ERROR;
    if (fieldNo == 1) {
      if (fieldWire != WIRE_LEN) return RW_ERROR;
      const done = series(fieldStart, fieldEnd);
      if (done < 0) return RW_ERROR;
      if (done == 0) {
        markFull();
        resumed = true;
        return RW_MORE;
      }
    }
    pos = next;
    sampleSkip = 0;
    resumed = false;
  }
  return RW_DONE;
}

/** Labels of the series being read, and which one is `__name__` (-1: none). */
let labelCount: i32 = 0;
let nameLabel: i32 = -1;

/**
 * Decodes one TimeSeries [p, end). Returns 1 when its samples are all in the batch (or
 * counted), 0 when the batch filled up first (sampleSkip says where to go on), -1 on an error.
 */
function series(p: usize, end: usize): i32 {
  labelCount = 0;
  nameLabel = -1;
  let samples: u32 = 0;
  let firstSample: usize = end;
  let tooMany = false;
  // first pass: the labels, and the number of samples
  let q = p;
  while (q < end) {
    const next = readField(q, end);
    if (next == 0) return -1;
    if (fieldNo == 1 || fieldNo == 2) {
      if (fieldWire != WIRE_LEN) return -1;
      if (fieldNo == 2) {
        if (samples++ == 0) firstSample = q;
      } else if (labelCount == MAX_LABELS) {
        tooMany = true;
      } else if (!label(fieldStart, fieldEnd)) {
        return -1;
      }
    } else if (fieldNo == 4 && !resumed) {
      histogramsSkipped++;
    }
    q = next;
  }
  if (samples <= sampleSkip) return 1;
  const left = samples - sampleSkip;
  if (nameLabel < 0 || tooMany) {
    // refused whole; its samples must still be well-formed protobuf
    if (!samplesWellFormed(p, end)) return -1;
    if (nameLabel < 0 && !resumed) seriesUnnamed++;
    bumpStaged(COUNTER_REJECTED + (nameLabel < 0 ? Reason.EMPTY_NAME : Reason.BAD_NAME), left);
    return 1;
  }
  // the name, built once per call and copied for each further sample
  let name: usize = 0;
  let nameLen: usize = 0;
  let nameBad = false;
  // second pass: the samples (the fields before the first are labels, read already)
  let index: u32 = 0;
  q = firstSample;
  while (q < end) {
    const next = readField(q, end);
    if (fieldNo == 2 && index++ >= sampleSkip) {
      if (!sample(fieldStart, fieldEnd)) return -1;
      if (sampleStatus == REC_OK && !nameBad) {
        if (!roomForRecord()) {
          sampleSkip = index - 1;
          return 0;
        }
        if (nameLen == 0) {
          name = namePos;
          buildName(name);
          nameLen = wEnd() - name;
          nameBad = over;
        } else {
          memory.copy(namePos, name, nameLen);
        }
        if (!nameBad) emit(namePos, nameLen, sampleTs, sampleValue, REC_OK, 0);
      }
      if (sampleStatus == REC_OK && nameBad) {
        bumpStaged(COUNTER_REJECTED + Reason.BAD_NAME);
      } else if (sampleStatus != REC_OK && sampleStatus != SKIPPED) {
        bumpStaged(COUNTER_REJECTED + <i32>(sampleStatus - REC_REJECTED));
      }
    }
    q = next;
  }
  return 1;
}

/** Notes the label [p, end) in the label table; false when it is malformed. */
function label(p: usize, end: usize): bool {
  let n: usize = 0, nLen: usize = 0, v: usize = 0, vLen: usize = 0;
  while (p < end) {
    const next = readField(p, end);
    if (next == 0) return false;
    if (fieldNo == 1 || fieldNo == 2) {
      if (fieldWire != WIRE_LEN) return false;
      if (fieldNo == 1) {
        n = fieldStart;
        nLen = fieldEnd - fieldStart;
      } else {
        v = fieldStart;
        vLen = fieldEnd - fieldStart;
      }
    }
    p = next;
  }
  const entry = labelTable + (<usize>labelCount << 4);
  store<u32>(entry, <u32>n);
  store<u32>(entry, <u32>nLen, 4);
  store<u32>(entry, <u32>v, 8);
  store<u32>(entry, <u32>vLen, 12);
  // `__name__` (8 bytes: 0x5f5f 'name' 0x5f5f)
  if (nLen == 8 && load<u64>(n) == 0x5f5f656d616e5f5f) nameLabel = labelCount;
  labelCount++;
  return true;
}

/** Writes `__name__` mended as a path, then `;label=value` for each other label. */
function buildName(at: usize): void {
  wBegin(at);
  const nameEntry = labelTable + (<usize>nameLabel << 4);
  putMended(
    <usize>load<u32>(nameEntry, 8),
    <usize>load<u32>(nameEntry, 12),
    Mend.PATH,
    Esc.NONE,
  );
  for (let i = 0; i < labelCount; i++) {
    if (i == nameLabel) continue;
    const e = labelTable + (<usize>i << 4);
    putTag(
      <usize>load<u32>(e),
      <usize>load<u32>(e, 4),
      <usize>load<u32>(e, 8),
      <usize>load<u32>(e, 12),
      Esc.NONE,
    );
  }
}

/** True when every Sample of the TimeSeries [p, end) has the schema's wire types. */
function samplesWellFormed(p: usize, end: usize): bool {
  while (p < end) {
    const next = readField(p, end);
    if (fieldNo == 2) {
      let q = fieldStart;
      const sEnd = fieldEnd;
      while (q < sEnd) {
        const after = readField(q, sEnd);
        if (after == 0) return false;
        if (fieldNo == 1 && fieldWire != WIRE_I64) return false;
        if (fieldNo == 2 && fieldWire != WIRE_VARINT) return false;
        q = after;
      }
    }
    p = next;
  }
  return true;
}

const SKIPPED: u32 = 0xffffffff; // sampleStatus: a stale marker or NaN
let sampleStatus: u32 = REC_OK;
let sampleTs: u32 = 0;
let sampleValue: f64 = 0;

/** Reads the Sample [p, end): sets sampleStatus, sampleTs, sampleValue; false when malformed. */
function sample(p: usize, end: usize): bool {
  let bits: u64 = 0;
  let ms: i64 = 0;
  while (p < end) {
    const next = readField(p, end);
    if (next == 0) return false;
    if (fieldNo == 1) {
      if (fieldWire != WIRE_I64) return false;
      bits = load<u64>(fieldStart);
    } else if (fieldNo == 2) {
      if (fieldWire != WIRE_VARINT) return false;
      readVarint(fieldStart, end);
      ms = <i64>varint;
    }
    p = next;
  }
  sampleValue = reinterpret<f64>(bits);
  if (bits == STALE_NAN) {
    staleSkipped++;
    sampleStatus = SKIPPED;
    return true;
  }
  if (isNaN(sampleValue)) {
    nanSkipped++;
    sampleStatus = SKIPPED;
    return true;
  }
  if (!isFinite(sampleValue)) {
    sampleStatus = REC_REJECTED + Reason.BAD_VALUE;
    return true;
  }
  const s = toSeconds(ms < 0 ? ms : ms / 1000, Unit.S);
  if (s < 0) {
    sampleStatus = REC_REJECTED + Reason.BAD_TIMESTAMP;
    return true;
  }
  sampleTs = <u32>s;
  sampleStatus = REC_OK;
  return true;
}

/** Counts since the last call, written as four u32 at `out`: stale, NaN, histograms, unnamed. */
export function rwTakeCounts(out: usize): void {
  store<u32>(out, staleSkipped);
  store<u32>(out, nanSkipped, 4);
  store<u32>(out, histogramsSkipped, 8);
  store<u32>(out, seriesUnnamed, 12);
  staleSkipped = 0;
  nanSkipped = 0;
  histogramsSkipped = 0;
  seriesUnnamed = 0;
}
