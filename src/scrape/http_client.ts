// The scraper's HTTP/1.1 client, below fetch: one keep-alive connection per target, reused from
// scrape to scrape (a new one when the server has closed it), the request rendered once, the
// response read by hand into one buffer the client keeps (status line, headers, then the body by
// Content-Length, chunked transfer coding, or until the server closes), gzip undone in one call,
// the body bounded by the size limit and the whole exchange by a deadline that closes the
// connection. fetch spent about 0.4 ms of CPU on a 38 KB scrape in Deno's HTTP client and its
// streams (docs/benchmarks.md, "Scraping end to end"); this is a write and one to three reads.

import { writeAll } from "../net/stream_server.ts";
import { gunzipBounded } from "../protocol/gzip.ts";

/** Why a GET failed: the scrape loop's failure reasons it can cause. */
export type HttpGetFailure = "timeout" | "connect" | "body_read" | "body_size";

/** A GET that failed, with the scrape failure reason it counts as. */
export class HttpGetError extends Error {
  readonly reason: HttpGetFailure;
  constructor(reason: HttpGetFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A response as the scraper needs it. */
export interface HttpResponse {
  status: number;
  /** The status line's reason phrase, e.g. `Internal Server Error`. */
  statusText: string;
  contentType: string | null;
  /**
   * The body, gzip undone; empty unless the status is 200. A view of the client's buffer:
   * valid until the next get().
   */
  body: Uint8Array;
}

/** Options of {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /** Request headers besides Host, in the order sent (name, value). */
  headers: [string, string][];
  /** Largest body in bytes, as sent and once gunzipped. */
  maxBodyBytes: number;
}

/** Buffer a client starts with; it grows to the largest response and stays. */
const INITIAL_BUFFER_BYTES = 64 * 1024;
/** Longest status line and headers of a response (Go's http.Transport default is 1 MiB). */
export const MAX_HEAD_BYTES = 1 << 20;
/** Longest chunk-size line (size, extensions) of a chunked body. */
const MAX_CHUNK_LINE_BYTES = 4096;
/** A client that held a buffer larger than this lets it go before its next GET. */
const KEEP_BUFFER_BYTES = 1 << 20;

/** lineEnd(): a line ended by LF alone. */
const BARE_LF = -2;
const CR = 0x0d;
const LF = 0x0a;
const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Thrown when a reused connection turns out closed before any byte of the answer: retry. */
class StaleConnection extends Error {}

/** GETs one URL again and again over a kept-alive connection. Not for concurrent use. */
export class HttpClient {
  #hostname: string;
  #port: number;
  #tls: boolean;
  #head: string;
  #request: Uint8Array;
  /** The Authorization value `#request` was rendered with. */
  #authorization: string | null = null;
  #maxBody: number;
  #conn: Deno.Conn | null = null;
  #connecting: AbortController | null = null;
  #buf = new Uint8Array(INITIAL_BUFFER_BYTES);
  /** Bytes of the answer in `#buf`. */
  #len = 0;
  #closed = false;

  constructor(url: string, opts: HttpClientOptions) {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new TypeError(`Cannot scrape "${url}": the scheme is not http or https`);
    }
    this.#tls = u.protocol === "https:";
    this.#hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    this.#port = u.port ? Number(u.port) : this.#tls ? 443 : 80;
    this.#head = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\n` +
      opts.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("");
    this.#request = encoder.encode(this.#head + "\r\n");
    this.#maxBody = opts.maxBodyBytes;
  }

  /**
   * GETs the URL within `timeoutMs` (connecting, sending, reading the whole body), with an
   * Authorization header when `authorization` is given. `beforeRead`, when given, is awaited
   * once the request is sent and before the answer is read (the deadline runs on). Throws
   * HttpGetError.
   */
  async get(
    timeoutMs: number,
    authorization: string | null = null,
    beforeRead: (() => Promise<void>) | null = null,
  ): Promise<HttpResponse> {
    if (this.#closed) throw new HttpGetError("connect", "the client is closed");
    const request = this.#requestWith(authorization);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#drop();
    }, timeoutMs);
    try {
      const reused = this.#conn !== null;
      try {
        return await this.#exchange(request, beforeRead);
      } catch (err) {
        // a kept connection the server closed while idle: once more on a new one, as Go does
        if (!(err instanceof StaleConnection) || !reused || timedOut) throw err;
        this.#drop();
        return await this.#exchange(request, beforeRead);
      }
    } catch (err) {
      this.#drop();
      if (timedOut) throw new HttpGetError("timeout", "context deadline exceeded");
      if (err instanceof HttpGetError) throw err;
      if (err instanceof StaleConnection) {
        throw new HttpGetError("body_read", "the server closed the connection before answering");
      }
      throw new HttpGetError("body_read", `reading the response: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      if (this.#buf.length > KEEP_BUFFER_BYTES) this.#buf = new Uint8Array(INITIAL_BUFFER_BYTES);
    }
  }

  /** Closes the connection; a GET in flight fails, later ones are refused. */
  close(): void {
    this.#closed = true;
    this.#drop();
  }

  #requestWith(authorization: string | null): Uint8Array {
    if (authorization !== this.#authorization) {
      this.#authorization = authorization;
      this.#request = encoder.encode(
        this.#head + (authorization === null ? "" : `Authorization: ${authorization}\r\n`) +
          "\r\n",
      );
    }
    return this.#request;
  }

  /** Closes the connection (or the connect in flight), if any. */
  #drop(): void {
    this.#connecting?.abort();
    this.#connecting = null;
    const conn = this.#conn;
    this.#conn = null;
    try {
      conn?.close();
    } catch {
      // closed already
    }
  }

  async #connect(): Promise<Deno.Conn> {
    // the deadline or close() aborts it; startTls only wraps (its handshake runs on the first
    // write, which closing the connection ends like any other I/O)
    const abort = this.#connecting = new AbortController();
    try {
      let conn: Deno.Conn;
      try {
        const tcp = await Deno.connect({
          hostname: this.#hostname,
          port: this.#port,
          signal: abort.signal,
        });
        try {
          conn = this.#tls ? await Deno.startTls(tcp, { hostname: this.#hostname }) : tcp;
        } catch (err) {
          try {
            tcp.close(); // a refused wrap leaves no connection behind
          } catch {
            // startTls took the connection and closed it
          }
          throw err;
        }
      } catch (err) {
        throw new HttpGetError("connect", (err as Error).message);
      }
      if (abort.signal.aborted) {
        conn.close();
        throw new HttpGetError("connect", "the connection was closed while it was being made");
      }
      this.#conn = conn;
      return conn;
    } finally {
      if (this.#connecting === abort) this.#connecting = null;
    }
  }

  /** One request and its answer on the kept connection or a new one. */
  async #exchange(
    request: Uint8Array,
    beforeRead: (() => Promise<void>) | null,
  ): Promise<HttpResponse> {
    const reused = this.#conn !== null;
    const conn = this.#conn ?? await this.#connect();
    try {
      await writeAll(conn, request);
    } catch (err) {
      if (reused) throw new StaleConnection();
      // a new connection that cannot take a request (a refused TLS handshake, a reset)
      throw new HttpGetError("connect", (err as Error).message);
    }
    this.#len = 0;
    if (beforeRead) await beforeRead();
    let headEnd: number;
    let head: Head;
    do {
      headEnd = await this.#readHead(conn, reused);
      head = parseHead(latin1.decode(this.#buf.subarray(0, headEnd)));
      if (head.status < 200) this.#consume(headEnd); // 1xx: the answer follows
    } while (head.status < 200);
    const response: HttpResponse = {
      status: head.status,
      statusText: head.statusText,
      contentType: head.contentType,
      body: new Uint8Array(0),
    };
    if (head.status !== 200) {
      this.#drop(); // its body is not wanted: not read, the connection not kept
      return response;
    }
    let body: Uint8Array;
    if (head.chunked) body = await this.#readChunked(conn, headEnd);
    else if (head.contentLength >= 0) body = await this.#readLength(conn, headEnd, head);
    else body = await this.#readToEnd(conn, headEnd);
    if (!head.keepAlive) this.#drop();
    response.body = head.gzip ? await this.#gunzip(body) : body;
    return response;
  }

  /** Reads until the end of the head; returns the offset of the body. */
  async #readHead(conn: Deno.Conn, reused: boolean): Promise<number> {
    let scanned = 0;
    while (true) {
      const end = headEnd(this.#buf, scanned, this.#len);
      if (end >= 0) return end;
      scanned = Math.max(0, this.#len - 3);
      if (this.#len >= MAX_HEAD_BYTES) {
        throw new HttpGetError("body_read", `response headers exceed ${MAX_HEAD_BYTES} bytes`);
      }
      let n: number | null;
      try {
        n = await this.#fill(conn, this.#len + 1);
      } catch (err) {
        if (reused && this.#len === 0 && err instanceof Deno.errors.ConnectionReset) {
          throw new StaleConnection();
        }
        throw err;
      }
      if (n === null) {
        if (reused && this.#len === 0) throw new StaleConnection();
        throw new HttpGetError("body_read", "unexpected EOF reading the response headers");
      }
    }
  }

  /** A body of Content-Length bytes. */
  async #readLength(conn: Deno.Conn, start: number, head: Head): Promise<Uint8Array> {
    if (head.contentLength > this.#maxBody) throw tooLarge(this.#maxBody);
    const end = start + head.contentLength;
    while (this.#len < end) {
      if (await this.#fill(conn, end) === null) {
        throw new HttpGetError(
          "body_read",
          `unexpected EOF: ${this.#len - start} of ${head.contentLength} body bytes`,
        );
      }
    }
    if (this.#len > end) this.#drop(); // more than announced: the connection is not trusted
    return this.#buf.subarray(start, end);
  }

  /** A body that ends when the server closes the connection. */
  async #readToEnd(conn: Deno.Conn, start: number): Promise<Uint8Array> {
    while (true) {
      if (this.#len - start > this.#maxBody) throw tooLarge(this.#maxBody);
      if (await this.#fill(conn, this.#len + 1) === null) break;
    }
    this.#drop();
    return this.#buf.subarray(start, this.#len);
  }

  /** A chunked body, decoded in place: chunk data moved down over the chunk-size lines. */
  async #readChunked(conn: Deno.Conn, start: number): Promise<Uint8Array> {
    let out = start; // end of the decoded body
    let pos = start; // next byte to decode
    const eof = () => new HttpGetError("body_read", "unexpected EOF in a chunked body");
    /** Makes the bytes up to `pos + n` available, moving the undecoded ones down first. */
    const need = async (n: number) => {
      if (pos + n > this.#buf.length && pos > out) {
        this.#buf.copyWithin(out, pos, this.#len);
        this.#len -= pos - out;
        pos = out;
      }
      while (this.#len < pos + n) if (await this.#fill(conn, pos + n) === null) throw eof();
    };
    /** The offset of the CRLF ending the line at `pos`. */
    const line = async () => {
      let scanned = 0; // bytes from pos known to hold no LF (need() may move pos)
      while (true) {
        const cr = lineEnd(this.#buf, pos, pos + scanned, this.#len);
        if (cr >= 0) return cr;
        if (cr === BARE_LF) {
          throw new HttpGetError("body_read", "malformed chunked encoding: a line without CR");
        }
        scanned = this.#len - pos;
        if (scanned > MAX_CHUNK_LINE_BYTES) {
          throw new HttpGetError("body_read", "malformed chunked encoding: line too long");
        }
        await need(scanned + 1);
      }
    };
    while (true) {
      // awaited only when the bytes are not in yet (a read's worth holds many small chunks)
      let cr = lineEnd(this.#buf, pos, pos, this.#len);
      if (cr < 0) cr = await line();
      const size = chunkSize(this.#buf, pos, cr);
      if (size < 0) throw new HttpGetError("body_read", "malformed chunked encoding");
      pos = cr + 2;
      if (size === 0) break;
      if (out - start + size > this.#maxBody) throw tooLarge(this.#maxBody);
      if (this.#len < pos + size + 2) await need(size + 2);
      if (this.#buf[pos + size] !== CR || this.#buf[pos + size + 1] !== LF) {
        throw new HttpGetError("body_read", "malformed chunked encoding: no CRLF after a chunk");
      }
      this.#buf.copyWithin(out, pos, pos + size);
      out += size;
      pos += size + 2;
    }
    while (true) { // trailer fields, up to the empty line
      const cr = await line();
      const empty = cr === pos;
      pos = cr + 2;
      if (empty) break;
    }
    if (this.#len > pos) this.#drop();
    return this.#buf.subarray(start, out);
  }

  /**
   * One read into the buffer, grown first to hold `want` bytes when it cannot; null at the end
   * of the stream.
   */
  async #fill(conn: Deno.Conn, want: number): Promise<number | null> {
    if (want > this.#buf.length) {
      const grown = new Uint8Array(Math.max(want, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    const n = await conn.read(this.#buf.subarray(this.#len));
    if (n !== null) this.#len += n;
    return n;
  }

  /** Drops the first `n` bytes of the buffer (a 1xx answer). */
  #consume(n: number): void {
    this.#buf.copyWithin(0, n, this.#len);
    this.#len -= n;
  }

  /** Undoes gzip into at most the body size limit. */
  async #gunzip(body: Uint8Array): Promise<Uint8Array> {
    try {
      return await gunzipBounded(body, this.#maxBody);
    } catch (err) {
      if (err instanceof RangeError) throw tooLarge(this.#maxBody, " once decompressed");
      throw new HttpGetError(
        "body_read",
        `cannot decompress the gzip body: ${(err as Error).message}`,
      );
    }
  }
}

function tooLarge(max: number, when = ""): HttpGetError {
  return new HttpGetError("body_size", `body size limit exceeded (${max} bytes)${when}`);
}

/** What the scraper reads of a response's head. */
interface Head {
  status: number;
  statusText: string;
  contentType: string | null;
  /** -1: none (or chunked). */
  contentLength: number;
  chunked: boolean;
  gzip: boolean;
  keepAlive: boolean;
}

/** Parses a status line and header fields (RFC 9112 sections 4 and 5). */
function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const status = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/.exec(lines[0]);
  if (status === null) {
    throw new HttpGetError("body_read", `malformed HTTP status line "${lines[0].slice(0, 64)}"`);
  }
  const head: Head = {
    status: Number(status[2]),
    statusText: status[3] ?? "",
    contentType: null,
    contentLength: -1,
    chunked: false,
    gzip: false,
    keepAlive: status[1] === "1",
  };
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    if (colon <= 0) throw new HttpGetError("body_read", "malformed HTTP header line");
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case "content-type":
        head.contentType = value;
        break;
      case "content-length":
        if (!/^\d{1,15}$/.test(value)) {
          throw new HttpGetError("body_read", `bad Content-Length "${value.slice(0, 32)}"`);
        }
        if (head.contentLength >= 0 && head.contentLength !== Number(value)) {
          throw new HttpGetError("body_read", "conflicting Content-Length headers");
        }
        head.contentLength = Number(value);
        break;
      case "transfer-encoding":
        head.chunked = /(^|,)\s*chunked\s*$/i.test(value);
        break;
      case "content-encoding":
        head.gzip = /^(x-)?gzip$/i.test(value);
        break;
      case "connection":
        if (/(^|,)\s*close\s*(,|$)/i.test(value)) head.keepAlive = false;
        else if (/(^|,)\s*keep-alive\s*(,|$)/i.test(value)) head.keepAlive = true;
        break;
    }
  }
  if (head.chunked) head.contentLength = -1;
  return head;
}

/** The offset just past the first CRLF CRLF in `buf[from, end)`, or -1. */
function headEnd(buf: Uint8Array, from: number, end: number): number {
  for (let i = buf.indexOf(LF, from); i >= 0 && i < end; i = buf.indexOf(LF, i + 1)) {
    if (i + 2 < end && buf[i + 1] === CR && buf[i + 2] === LF && buf[i - 1] === CR) return i + 3;
  }
  return -1;
}

/**
 * The offset of the CR ending the line that starts at `start`, searching `buf[from, end)` for
 * its LF: -1 when there is none yet, BARE_LF when the LF has no CR before it.
 */
function lineEnd(buf: Uint8Array, start: number, from: number, end: number): number {
  const lf = buf.indexOf(LF, from);
  if (lf < 0 || lf >= end) return -1;
  return lf > start && buf[lf - 1] === CR ? lf - 1 : BARE_LF;
}

/** The hex size at the start of a chunk-size line `buf[from, end)`, or -1 when malformed. */
function chunkSize(buf: Uint8Array, from: number, end: number): number {
  let size = 0;
  let i = from;
  for (; i < end; i++) {
    const c = buf[i] | 0x20;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) break;
    size = size * 16 + digit;
    if (size > Number.MAX_SAFE_INTEGER / 16) return -1;
  }
  if (i === from) return -1;
  // chunk extensions (`;name=value`) are allowed and ignored; nothing else
  return i === end || buf[i] === 0x3b || buf[i] === 0x20 || buf[i] === 0x09 ? size : -1;
}
