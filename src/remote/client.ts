// The HTTP side of remote_write 1.0 (wave2.md 3): POST of a snappy-compressed WriteRequest with
// the four headers the spec requires, authentication, extra headers and TLS, a timeout per
// request, and what the answer means for the batch: 2xx accepted; network errors, timeouts
// and 5xx retried; 429 retried or dropped per retry-on-http-429; any other status dropped, its
// body kept (bounded) for the log. `Retry-After` (seconds or an HTTP date) is passed on.

import { Buffer } from "node:buffer";
import https from "node:https";

/** The `User-Agent` carbonado sends. */
export const USER_AGENT = "carbonado";
/** Longest response body kept for the log of a refused request. */
export const MAX_ERROR_BODY_BYTES = 1024;
/** Longest wait a Retry-After header may ask for (a bound on a bad header). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** TLS settings, PEM text already read from the files. */
export interface TlsOptions {
  caCerts?: string[];
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

/** Options of {@linkcode RemoteClient}. */
export interface ClientOptions {
  url: string;
  timeoutMs: number;
  retryOn429: boolean;
  /** Extra headers, authentication included (see auth_headers.ts). */
  headers: Record<string, string>;
  tls?: TlsOptions;
}

/** What an attempt came to. */
export type SendResult =
  | { kind: "ok"; status: number }
  | { kind: "retry"; status?: number; retryAfterMs?: number; error?: string }
  | { kind: "drop"; status: number; body: string };

/** A response as the client reads it: status, one header, a bounded body. */
interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** Posts bodies to one remote. */
export class RemoteClient {
  #opts: ClientOptions;
  #headers: Record<string, string>;
  #client?: Deno.HttpClient;
  #agent?: https.Agent;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.#headers = {
      ...opts.headers,
      "Content-Encoding": "snappy",
      "Content-Type": "application/x-protobuf",
      "User-Agent": USER_AGENT,
      "X-Prometheus-Remote-Write-Version": "0.1.0",
    };
    const tls = opts.tls ?? {};
    if (tls.insecureSkipVerify) {
      // fetch cannot skip verification per client; node:https can
      this.#agent = new https.Agent({
        keepAlive: true,
        rejectUnauthorized: false,
        ca: tls.caCerts,
        cert: tls.cert,
        key: tls.key,
      });
    } else if (tls.caCerts?.length || tls.cert) {
      this.#client = tls.cert
        ? Deno.createHttpClient({ caCerts: tls.caCerts, cert: tls.cert, key: tls.key! })
        : Deno.createHttpClient({ caCerts: tls.caCerts });
    }
  }

  /**
   * Sends one compressed WriteRequest; never throws (a failure is a `retry`). `attempt` counts
   * from 0; retries carry `Retry-Attempt` as Prometheus' sender does.
   */
  async send(
    body: Uint8Array,
    opts: { attempt: number; signal: AbortSignal },
  ): Promise<SendResult> {
    const headers = opts.attempt > 0
      ? { ...this.#headers, "Retry-Attempt": String(opts.attempt) }
      : this.#headers;
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("timeout", "TimeoutError")),
      this.#opts.timeoutMs,
    );
    const signal = AbortSignal.any([opts.signal, timeout.signal]);
    let answer: Answer;
    try {
      answer = this.#agent
        ? await this.#postNode(body, headers, signal)
        : await this.#postFetch(body, headers, signal);
    } catch (err) {
      return { kind: "retry", error: describe(err) };
    } finally {
      clearTimeout(timer);
    }
    const status = answer.status;
    if (status >= 200 && status < 300) return { kind: "ok", status };
    const retryAfterMs = parseRetryAfter(answer.retryAfter, Date.now());
    if (status >= 500 || (status === 429 && this.#opts.retryOn429)) {
      return { kind: "retry", status, retryAfterMs, error: answer.body };
    }
    return { kind: "drop", status, body: answer.body };
  }

  async #postFetch(
    body: Uint8Array,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Answer> {
    const res = await fetch(this.#opts.url, {
      method: "POST",
      body: body as Uint8Array<ArrayBuffer>,
      headers,
      signal,
      client: this.#client,
    });
    const ok = res.status >= 200 && res.status < 300;
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      body: ok ? (await res.body?.cancel(), "") : await readBounded(res),
    };
  }

  #postNode(
    body: Uint8Array,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = https.request(this.#opts.url, {
        method: "POST",
        agent: this.#agent,
        headers: { ...headers, "Content-Length": String(body.length) },
        signal,
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < MAX_ERROR_BODY_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: (res.headers["retry-after"] as string | undefined) ?? null,
            body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_ERROR_BODY_BYTES),
          }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.#client?.close();
    this.#agent?.destroy();
  }
}

/** The first MAX_ERROR_BODY_BYTES of a response body, as text. */
async function readBounded(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ERROR_BODY_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder().decode(all.subarray(0, MAX_ERROR_BODY_BYTES));
}

/**
 * A Retry-After value (delay in seconds, or an HTTP date) as milliseconds from `now`, capped
 * at MAX_RETRY_AFTER_MS; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function describe(err: unknown): string {
  if (err instanceof DOMException && err.name === "TimeoutError") return "timeout";
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
