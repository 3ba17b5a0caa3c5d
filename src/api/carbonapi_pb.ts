// carbonapi's protobuf formats on carbonserver, as go-carbon's carbonserver serves them
// (go-graphite/protocol's carbonapi_v2_pb.proto and carbonapi_v3_pb.proto; the field numbers are
// in the message sketches below): `format=protobuf` (also `protobuf3`, `carbonapi_v2_pb`) and
// `format=carbonapi_v3_pb` (or `Accept: application/x-carbonapi-v3-pb`) for find, render and
// info. v3 requests carry their targets as a protobuf body (MultiGlobRequest for find and info,
// MultiFetchRequest for render), as carbonapi sends them; v2 answers describe the first query
// or target only, as go-carbon's do.
//
//   v2 GlobResponse      { string name = 1; repeated GlobMatch matches = 2; }
//      GlobMatch         { string path = 1; bool isLeaf = 2; }
//      MultiFetchResponse{ repeated FetchResponse metrics = 1; }
//      FetchResponse     { string name = 1; int32 startTime = 2; int32 stopTime = 3;
//                          int32 stepTime = 4; repeated double values = 5; repeated bool isAbsent = 6; }
//      InfoResponse      { string name = 1; string aggregationMethod = 2; int32 maxRetention = 3;
//                          float xFilesFactor = 4; repeated Retention retentions = 5; }
//      Retention         { int32 secondsPerPoint = 1; int32 numberOfPoints = 2; }
//   v3 MultiGlobRequest  { repeated string metrics = 1; int64 startTime = 2; int64 stopTime = 3; }
//      MultiGlobResponse { repeated GlobResponse metrics = 1; }       (GlobResponse as v2)
//      MultiFetchRequest { repeated FetchRequest metrics = 1; }
//      FetchRequest      { string name = 1; int64 startTime = 2; int64 stopTime = 3;
//                          bool highPrecisionTimestamps = 4; string pathExpression = 5; ... }
//      MultiFetchResponse{ repeated FetchResponse metrics = 1; }
//      FetchResponse     { string name = 1; string pathExpression = 2; string consolidationFunc = 3;
//                          int64 startTime = 4; int64 stopTime = 5; int64 stepTime = 6;
//                          float xFilesFactor = 7; bool highPrecisionTimestamps = 8;
//                          repeated double values = 9; repeated string appliedFunctions = 10;
//                          int64 requestStartTime = 11; int64 requestStopTime = 12; }
//      MultiMetricsInfoResponse { repeated MetricsInfoResponse metrics = 1; }
//      MetricsInfoResponse { string name = 1; string consolidationFunc = 2; int64 maxRetention = 3;
//                          float xFilesFactor = 4; repeated Retention retentions = 5; } (int64s)

import { ProtobufReader, ProtobufWriter } from "../protocol/protobuf.ts";

/** The two protobuf dialects. */
export type PbFormat = "carbonapi_v2_pb" | "carbonapi_v3_pb";

/** go-carbon's format names for them (carbonserver/format.go). */
const PB_FORMATS: Record<string, PbFormat> = {
  protobuf: "carbonapi_v2_pb",
  protobuf3: "carbonapi_v2_pb",
  carbonapi_v2_pb: "carbonapi_v2_pb",
  carbonapi_v3_pb: "carbonapi_v3_pb",
};

/** The content type carbonapi's v3 client sends in Accept and carbonserver answers with. */
export const CONTENT_TYPE_V3 = "application/x-carbonapi-v3-pb";
/** v2 find and render answers (carbonzipper's ContentTypeProtobuf). */
export const CONTENT_TYPE_PROTOBUF = "application/x-protobuf";
/** v2 info answers. */
export const CONTENT_TYPE_V2 = "application/x-carbonapi-v2-pb";

/**
 * The protobuf dialect a request asks for: `Accept: application/x-carbonapi-v3-pb` wins, as in
 * go-carbon; else the `format` parameter; null for every other format.
 */
export function pbFormat(format: string | null, accept: string | null): PbFormat | null {
  if (accept?.split(",").some((a) => a.trim() === CONTENT_TYPE_V3)) return "carbonapi_v3_pb";
  return format === null ? null : PB_FORMATS[format] ?? null;
}

/** One find query and what it matched. */
export interface GlobResult {
  name: string;
  matches: { path: string; isLeaf: boolean }[];
}

/** One rendered series. */
export interface FetchedSeries {
  name: string;
  pathExpression: string;
  consolidationFunc: string;
  startTime: number;
  stopTime: number;
  stepTime: number;
  xFilesFactor: number;
  /** null where there is no point. */
  values: (number | null)[];
  requestStartTime: number;
  requestStopTime: number;
}

/** One metric's description. */
export interface InfoResult {
  name: string;
  consolidationFunc: string;
  maxRetention: number;
  xFilesFactor: number;
  retentions: { secondsPerPoint: number; numberOfPoints: number }[];
}

/** A find answer: v2 a GlobResponse for the first query, v3 a MultiGlobResponse. */
export function encodeFind(format: PbFormat, results: GlobResult[]): Uint8Array<ArrayBuffer> {
  const w = new ProtobufWriter();
  if (format === "carbonapi_v2_pb") {
    if (results.length > 0) globResponse(w, results[0]);
    return w.finish();
  }
  for (const r of results) {
    w.begin(1);
    globResponse(w, r);
    w.end();
  }
  return w.finish();
}

function globResponse(w: ProtobufWriter, r: GlobResult): void {
  w.string(1, r.name);
  for (const m of r.matches) {
    w.begin(2);
    w.string(1, m.path);
    w.bool(2, m.isLeaf);
    w.end();
  }
}

/** A render answer: a MultiFetchResponse of either dialect. */
export function encodeRender(format: PbFormat, series: FetchedSeries[]): Uint8Array<ArrayBuffer> {
  const w = new ProtobufWriter(256 + series.reduce((n, s) => n + 9 * s.values.length + 128, 0));
  for (const s of series) {
    w.begin(1);
    if (format === "carbonapi_v2_pb") {
      w.string(1, s.name);
      w.int(2, s.startTime);
      w.int(3, s.stopTime);
      w.int(4, s.stepTime);
      w.doubles(5, s.values.map((v) => (v === null || Number.isNaN(v) ? 0 : v)));
      w.bools(6, s.values.map((v) => v === null || Number.isNaN(v)));
    } else {
      w.string(1, s.name);
      w.string(2, s.pathExpression);
      w.string(3, s.consolidationFunc);
      w.int(4, s.startTime);
      w.int(5, s.stopTime);
      w.int(6, s.stepTime);
      w.float(7, s.xFilesFactor);
      w.doubles(9, s.values.map((v) => (v === null ? NaN : v)));
      w.int(11, s.requestStartTime);
      w.int(12, s.requestStopTime);
    }
    w.end();
  }
  return w.finish();
}

/** An info answer: v2 an InfoResponse for the first metric, v3 a MultiMetricsInfoResponse. */
export function encodeInfo(format: PbFormat, infos: InfoResult[]): Uint8Array<ArrayBuffer> {
  const w = new ProtobufWriter();
  if (format === "carbonapi_v2_pb") {
    if (infos.length > 0) infoResponse(w, infos[0]);
    return w.finish();
  }
  for (const info of infos) {
    w.begin(1);
    infoResponse(w, info);
    w.end();
  }
  return w.finish();
}

/** v2 InfoResponse and v3 MetricsInfoResponse share their field numbers. */
function infoResponse(w: ProtobufWriter, info: InfoResult): void {
  w.string(1, info.name);
  w.string(2, info.consolidationFunc);
  w.int(3, info.maxRetention);
  w.float(4, info.xFilesFactor);
  for (const r of info.retentions) {
    w.begin(5);
    w.int(1, r.secondsPerPoint);
    w.int(2, r.numberOfPoints);
    w.end();
  }
}

/** The queries of a v3 MultiGlobRequest (find and info requests). */
export function decodeGlobRequest(body: Uint8Array): string[] {
  const r = new ProtobufReader(body);
  const names: string[] = [];
  for (let f = r.next(); f !== null; f = r.next()) {
    if (f.field === 1 && f.wire === 2) names.push(r.string());
    else r.skip(f.wire);
  }
  return names;
}

/** One target of a v3 MultiFetchRequest. */
export interface FetchRequest {
  name: string;
  startTime: number;
  stopTime: number;
  pathExpression: string;
}

/** The targets of a v3 MultiFetchRequest (render requests). */
export function decodeFetchRequest(body: Uint8Array): FetchRequest[] {
  const r = new ProtobufReader(body);
  const out: FetchRequest[] = [];
  for (let f = r.next(); f !== null; f = r.next()) {
    if (f.field !== 1 || f.wire !== 2) {
      r.skip(f.wire);
      continue;
    }
    const m = new ProtobufReader(r.bytes());
    const req: FetchRequest = { name: "", startTime: 0, stopTime: 0, pathExpression: "" };
    for (let g = m.next(); g !== null; g = m.next()) {
      if (g.field === 1 && g.wire === 2) req.name = m.string();
      else if (g.field === 2 && g.wire === 0) req.startTime = m.int();
      else if (g.field === 3 && g.wire === 0) req.stopTime = m.int();
      else if (g.field === 5 && g.wire === 2) req.pathExpression = m.string();
      else m.skip(g.wire);
    }
    out.push(req);
  }
  return out;
}
