// Carbonlink requests from graphite-web (webapp/graphite/carbonlink.py): a pickled dict such as
// {'type': 'cache-query', 'metric': name}, read into a typed union. The answers are written by
// the reply helpers of pickle_encode.ts.

import { decodePickle, typeName } from "./pickle_decode.ts";
import type { PickleDecodeOptions, PickleDict, PickleValue } from "./pickle_decode.ts";

/** `{'type': 'cache-query', 'metric': m}`: the cached points of one metric. */
export interface CacheQueryRequest {
  readonly type: "cache-query";
  readonly metric: string;
}

/** `{'type': 'cache-query-bulk', 'metrics': [...]}`: the cached points of several metrics. */
export interface CacheQueryBulkRequest {
  readonly type: "cache-query-bulk";
  readonly metrics: readonly string[];
}

/** `{'type': 'get-metadata', 'metric': m, 'key': k}`: e.g. k = 'aggregationMethod'. */
export interface GetMetadataRequest {
  readonly type: "get-metadata";
  readonly metric: string;
  readonly key: string;
}

/** `{'type': 'set-metadata', 'metric': m, 'key': k, 'value': v}`. */
export interface SetMetadataRequest {
  readonly type: "set-metadata";
  readonly metric: string;
  readonly key: string;
  readonly value: PickleValue;
}

/** A carbonlink request, told apart by `type`. */
export type CarbonlinkRequest =
  | CacheQueryRequest
  | CacheQueryBulkRequest
  | GetMetadataRequest
  | SetMetadataRequest;

/**
 * A well-formed pickle that is not a valid request. Its message is the text to answer in
 * `{'error': message}` (for an unknown type, Python carbon's `Invalid request type "<t>"`), and
 * the connection stays usable.
 */
export class CarbonlinkRequestError extends TypeError {
  override name = "CarbonlinkRequestError";
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes one carbonlink request frame (the payload after the 4-byte length).
 *
 * Keys other than those a type needs are ignored; names may be str or UTF-8 bytes.
 *
 * @throws {SyntaxError} if the pickle cannot be decoded safely (close the connection, as
 * go-carbon does).
 * @throws {CarbonlinkRequestError} if it is not a request carbon understands (answer with
 * `encodeErrorReply(err.message)`).
 *
 * @example
 * ```ts
 * const req = parseCarbonlinkRequest(payload);
 * if (req.type === "cache-query") reply(encodeDatapointsReply(ts, values));
 * ```
 */
export function parseCarbonlinkRequest(
  payload: Uint8Array,
  options?: PickleDecodeOptions,
): CarbonlinkRequest {
  return carbonlinkRequestFromValue(decodePickle(payload, options));
}

/**
 * Reads a carbonlink request from an already decoded pickle value.
 *
 * @throws {CarbonlinkRequestError} if it is not a request carbon understands.
 */
export function carbonlinkRequestFromValue(value: PickleValue): CarbonlinkRequest {
  if (!(value instanceof Map)) {
    throw new CarbonlinkRequestError(`Invalid request: expected a dict, got ${typeName(value)}`);
  }
  const type = value.get("type");
  if (type === undefined) throw new CarbonlinkRequestError('Invalid request: no "type" key');
  switch (type) {
    case "cache-query":
      return { type, metric: name(value, "metric") };
    case "cache-query-bulk":
      return { type, metrics: names(value, "metrics") };
    case "get-metadata":
      return { type, metric: name(value, "metric"), key: name(value, "key") };
    case "set-metadata":
      return {
        type,
        metric: name(value, "metric"),
        key: name(value, "key"),
        value: field(value, "value"),
      };
    default:
      // Python carbon: dict(error="Invalid request type \"%s\"" % request['type'])
      throw new CarbonlinkRequestError(`Invalid request type "${pythonStr(type)}"`);
  }
}

function field(request: PickleDict, key: string): PickleValue {
  const v = request.get(key);
  if (v === undefined) throw new CarbonlinkRequestError(`Invalid request: no "${key}" key`);
  return v;
}

/** A str, or UTF-8 bytes (Python 3 graphite-web never sends bytes, but a client could). */
function asName(v: PickleValue): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function name(request: PickleDict, key: string): string {
  const v = field(request, key);
  const s = asName(v);
  if (s === undefined) {
    throw new CarbonlinkRequestError(`Invalid request: "${key}" is a ${typeName(v)}, not a str`);
  }
  return s;
}

function names(request: PickleDict, key: string): string[] {
  const v = field(request, key);
  if (!Array.isArray(v)) {
    throw new CarbonlinkRequestError(`Invalid request: "${key}" is a ${typeName(v)}, not a list`);
  }
  const out: string[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const s = asName(v[i]);
    if (s === undefined) {
      throw new CarbonlinkRequestError(
        `Invalid request: "${key}"[${i}] is a ${typeName(v[i])}, not a str`,
      );
    }
    out[i] = s;
  }
  return out;
}

/** Python's `str()` of a scalar, as `"%s" % v` prints it in carbon's error answer. */
function pythonStr(v: PickleValue): string {
  if (typeof v === "string") return v;
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return String(v);
  }
  if (typeof v === "bigint") return v.toString();
  return `<${typeName(v)}>`;
}
