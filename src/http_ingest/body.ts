// Reading an ingest request's body within bounds: a Content-Length over the limit is refused
// before a byte is read, the body is read as a stream that stops at the limit and at the read
// timeout, every byte held counts against a budget shared by all requests in flight, and gzip
// is undone into at most the limit (a gzip bomb stops there). Refusals are HttpError with the
// status to answer.

import { gunzipBounded } from "../protocol/gzip.ts";

/** A request refused: the status and the message to answer with. */
export class HttpError extends Error {
  readonly status: number;
  /** The refusal's lines were logged already (by the protocol's RejectedLog). */
  readonly logged: boolean;
  constructor(status: number, message: string, opts: { logged?: boolean } = {}) {
    super(message);
    this.status = status;
    this.logged = opts.logged ?? false;
  }
}

/** Bytes of request bodies held at once, over every request. */
export class InflightBudget {
  #max: number;
  /** Bytes held now. */
  used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes `n` bytes; false (nothing taken) when that would pass the maximum. */
  take(n: number): boolean {
    if (this.used + n > this.#max) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

/** Limits of {@linkcode readBody}. */
export interface BodyLimits {
  /** Largest body in bytes, as sent and once gunzipped. */
  maxSize: number;
  /** Longest time to read the body, in milliseconds. */
  timeoutMs: number;
  budget: InflightBudget;
}

/** A body read whole, and the bytes of the budget it holds until release(). */
export interface Body {
  bytes: Uint8Array;
  release(): void;
}

/**
 * Reads the body of `req`. Throws HttpError 413 past `maxSize`, 408 past the timeout, 503 when
 * the budget is spent. The caller calls release() once it is done with the bytes.
 */
export async function readBody(req: Request, limits: BodyLimits): Promise<Body> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limits.maxSize) throw tooLarge(limits.maxSize);
  // bytes of the budget taken: the declared length up front, or chunk by chunk
  let reserved = 0;
  const release = () => {
    limits.budget.give(reserved);
    reserved = 0;
  };
  const reserve = (n: number) => {
    if (!limits.budget.take(n)) {
      throw new HttpError(503, "Too many request bytes in flight: retry later");
    }
    reserved += n;
  };
  if (req.body === null) return { bytes: new Uint8Array(0), release };
  if (declared > 0) reserve(declared);
  const reader = req.body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, limits.timeoutMs);
  const chunks: Uint8Array[] = [];
  let held = 0;
  try {
    while (true) {
      let result;
      try {
        result = await reader.read();
      } catch (err) {
        if (timedOut) throw new HttpError(408, "Request body not read within the read timeout");
        throw err;
      }
      if (result.done) break;
      const chunk = result.value;
      if (held + chunk.length > limits.maxSize) throw tooLarge(limits.maxSize);
      if (held + chunk.length > reserved) reserve(held + chunk.length - reserved);
      held += chunk.length;
      chunks.push(chunk);
    }
    if (timedOut) throw new HttpError(408, "Request body not read within the read timeout");
  } catch (err) {
    release();
    if (!timedOut) await reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { bytes: concatChunks(chunks, held), release };
}

/**
 * Undoes the body's Content-Encoding: gzip (into at most `maxSize` bytes), or none. Throws
 * HttpError 415 for another encoding, 413 past the limit, 400 for corrupt gzip.
 */
export async function decodeContent(
  req: Request,
  bytes: Uint8Array,
  maxSize: number,
): Promise<Uint8Array> {
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return bytes;
  if (encoding !== "gzip" && encoding !== "x-gzip") {
    throw new HttpError(415, `Unsupported Content-Encoding "${encoding}": use gzip or none`);
  }
  try {
    return await gunzipBounded(bytes, maxSize);
  } catch (err) {
    if (err instanceof RangeError) throw tooLarge(maxSize, "once decompressed");
    throw new HttpError(400, `Cannot decompress gzip body: ${(err as Error).message}`);
  }
}

function tooLarge(max: number, when = ""): HttpError {
  const suffix = when ? ` ${when}` : "";
  return new HttpError(
    413,
    `Request body is larger${suffix} than http-ingest.max-request-size (${max} bytes)`,
  );
}

/** The chunks of a body as one array (`total` bytes); the chunk itself when there is one. */
export function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
