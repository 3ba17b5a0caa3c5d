// The scraper's HTTP/1.1 client against scripted servers on real sockets: Content-Length,
// chunked and read-to-close bodies (large ones too, so that they span many reads), gzip, the
// connection kept and reused, a server closing it, and every failure: a body that breaks off, a
// body over the limit (as sent and once gunzipped), a slow server, nothing listening.

import { gzipSync } from "node:zlib";
import { assert, assertEquals, assertRejects } from "../_util/assert.ts";
import { concat } from "../_util/bytes.ts";
import { waitFor } from "../_util/net.ts";
import { requires } from "../_util/requires.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { HttpClient, HttpGetError } from "../../src/scrape/http_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a scripted server does with the n-th request (from 0): answer bytes, or hang. */
type Answer = { bytes: Uint8Array | string; close?: boolean; pieces?: number } | "hang";

/**
 * A server that reads each request head, records it and answers it as `answer(n)` says: the
 * bytes written in `pieces` writes, the connection then closed or kept for the next request.
 */
function scriptedServer(answer: (n: number) => Answer) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const conns = new Set<Deno.Conn>();
  let connections = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  const serveConn = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(16384);
    let held = "";
    try {
      while (true) {
        while (!held.includes("\r\n\r\n")) {
          const n = await conn.read(buf);
          if (n === null) return;
          held += dec.decode(buf.subarray(0, n));
        }
        const end = held.indexOf("\r\n\r\n") + 4;
        requests.push(held.slice(0, end));
        held = held.slice(end);
        const a = answer(requests.length - 1);
        if (a === "hang") {
          await released;
          return;
        }
        const bytes = typeof a.bytes === "string" ? enc.encode(a.bytes) : a.bytes;
        const pieces = a.pieces ?? 1;
        const step = Math.ceil(bytes.length / pieces);
        for (let at = 0; at < bytes.length; at += step) {
          await writeAll(conn, bytes.subarray(at, at + step));
        }
        if (a.close) return;
      }
    } catch {
      // the client went away
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  };
  const serving = (async () => {
    const served: Promise<void>[] = [];
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      served.push(serveConn(conn));
    }
    await Promise.all(served);
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/metrics?x=1`,
    requests,
    get connections() {
      return connections;
    },
    async close() {
      release();
      listener.close();
      for (const c of conns) c.close();
      await serving.catch(() => {});
    },
  };
}

/** A text body of `n` lines. */
function text(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `metric_${i}{k="v"} ${i}\n`;
  return s;
}

function withLength(body: Uint8Array | string, headers = ""): Uint8Array {
  const b = typeof body === "string" ? enc.encode(body) : body;
  return concat(
    enc.encode(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n${headers}` +
        `Content-Length: ${b.length}\r\n\r\n`,
    ),
    b,
  );
}

/** A chunked response, the body cut into chunks of the sizes given in turn. */
function chunked(body: Uint8Array | string, sizes: number[], headers = ""): Uint8Array {
  const b = typeof body === "string" ? enc.encode(body) : body;
  const parts: Uint8Array[] = [
    enc.encode(`HTTP/1.1 200 OK\r\n${headers}Transfer-Encoding: chunked\r\n\r\n`),
  ];
  for (let at = 0, i = 0; at < b.length; i++) {
    const size = Math.min(sizes[i % sizes.length], b.length - at);
    const ext = i % 3 === 1 ? ";ext=1" : "";
    parts.push(enc.encode(`${size.toString(16)}${ext}\r\n`), b.subarray(at, at + size));
    parts.push(enc.encode("\r\n"));
    at += size;
  }
  parts.push(enc.encode("0\r\nTrailer-Field: x\r\n\r\n"));
  return concat(...parts);
}

function client(url: string, maxBodyBytes = 1 << 20): HttpClient {
  return new HttpClient(url, {
    headers: [["User-Agent", "carbonado/test"], ["Accept-Encoding", "gzip"]],
    maxBodyBytes,
  });
}

async function rejectsWith(c: HttpClient, reason: string, timeoutMs = 5000): Promise<void> {
  const err = await assertRejects(() => c.get(timeoutMs), HttpGetError) as HttpGetError;
  assertEquals(err.reason, reason, err.message);
}

Deno.test("HttpClient.get() sends the headers and reuses one connection for Content-Length answers", async () => {
  const body = text(2000);
  const s = scriptedServer(() => ({ bytes: withLength(body) }));
  const c = client(s.url);
  try {
    for (let i = 0; i < 3; i++) {
      const res = await c.get(5000, i === 2 ? "Bearer t" : null);
      assertEquals(res.status, 200);
      assertEquals(res.contentType, "text/plain; version=0.0.4");
      assertEquals(dec.decode(res.body), body);
    }
    assertEquals(s.connections, 1);
    const port = new URL(s.url).port;
    assertEquals(
      s.requests[0],
      `GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: carbonado/test\r\n` +
        "Accept-Encoding: gzip\r\n\r\n",
    );
    assert.ok(s.requests[2].endsWith("Authorization: Bearer t\r\n\r\n"));
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() decodes chunked bodies of any chunk sizes, over many reads", async () => {
  const body = text(20_000); // ~500 KB: the buffer grows and chunks straddle reads
  const cases = [[1, 2, 3, 5000], [7, 1, 4096], [65536], [100_000, 3], [1 << 20]];
  const s = scriptedServer((i) => ({ bytes: chunked(body, cases[i]), pieces: 1 + (i % 3) * 20 }));
  const c = client(s.url);
  try {
    for (let n = 0; n < cases.length; n++) {
      const res = await c.get(10_000);
      assertEquals(res.body.length, body.length, `chunk sizes ${cases[n]}`);
      assertEquals(dec.decode(res.body), body, `chunk sizes ${cases[n]}`);
    }
    assertEquals(s.connections, 1);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() undoes gzip, sent with a length or chunked", async () => {
  const body = text(3000);
  const gz = gzipSync(enc.encode(body));
  const s = scriptedServer((i) => ({
    bytes: i === 0
      ? withLength(gz, "Content-Encoding: gzip\r\n")
      : chunked(gz, [1000], "Content-Encoding: gzip\r\n"),
  }));
  const c = client(s.url);
  try {
    assertEquals(dec.decode((await c.get(5000)).body), body);
    assertEquals(dec.decode((await c.get(5000)).body), body);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() reads a body without length to the close, and connects again", async () => {
  const body = text(5000);
  const s = scriptedServer(() => ({
    bytes: `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${body}`,
    close: true,
    pieces: 10,
  }));
  const c = client(s.url);
  try {
    assertEquals(dec.decode((await c.get(5000)).body), body);
    assertEquals(dec.decode((await c.get(5000)).body), body);
    assertEquals(s.connections, 2);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() retries once on a new connection when the server closed the kept one", async () => {
  // the server closes after each answer without saying so, as an idle timeout would
  const s = scriptedServer(() => ({ bytes: withLength("a 1\n"), close: true }));
  const c = client(s.url);
  try {
    for (let i = 0; i < 3; i++) assertEquals(dec.decode((await c.get(5000)).body), "a 1\n");
    assertEquals(s.connections, 3);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() returns other statuses with their reason, unread", async () => {
  const s = scriptedServer(() => ({
    bytes: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\n" +
      "Content-Length: 5\r\n\r\nbusy\n",
  }));
  const c = client(s.url);
  try {
    const res = await c.get(5000);
    assertEquals([res.status, res.statusText, res.body.length], [503, "Service Unavailable", 0]);
    await c.get(5000);
    assertEquals(s.connections, 2); // the unread body's connection was not kept
  } finally {
    c.close();
    await s.close();
  }
});

/** Failures: each answer fails the GET with the reason. */
const FAILURES: { name: string; reason: string; limit?: number; answer: Answer }[] = [
  {
    name: "a Content-Length body that breaks off",
    reason: "body_read",
    answer: {
      bytes: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "x".repeat(500),
      close: true,
    },
  },
  {
    name: "a chunked body that breaks off",
    reason: "body_read",
    answer: { bytes: chunked(text(100), [50]).subarray(0, 1000), close: true },
  },
  {
    name: "a malformed chunk size",
    reason: "body_read",
    answer: { bytes: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", close: true },
  },
  {
    name: "headers that break off",
    reason: "body_read",
    answer: { bytes: "HTTP/1.1 200 OK\r\nContent-Le", close: true },
  },
  {
    name: "a malformed status line",
    reason: "body_read",
    answer: { bytes: "HTTP/2 200\r\n\r\n", close: true },
  },
  {
    name: "a Content-Length over the limit",
    reason: "body_size",
    limit: 1000,
    answer: { bytes: withLength(text(100)) },
  },
  {
    name: "a chunked body over the limit",
    reason: "body_size",
    limit: 1000,
    answer: { bytes: chunked(text(100), [300]) },
  },
  {
    name: "a body to the close over the limit",
    reason: "body_size",
    limit: 1000,
    answer: { bytes: `HTTP/1.1 200 OK\r\n\r\n${text(100)}`, close: true },
  },
  {
    name: "a gzip body over the limit once gunzipped",
    reason: "body_size",
    limit: 100_000,
    answer: { bytes: withLength(gzipSync(new Uint8Array(1 << 20)), "Content-Encoding: gzip\r\n") },
  },
  {
    name: "a corrupt gzip body",
    reason: "body_read",
    answer: { bytes: withLength("not gzip at all", "Content-Encoding: gzip\r\n") },
  },
  { name: "a server that never answers", reason: "timeout", answer: "hang" },
];

for (const f of FAILURES) {
  Deno.test(`HttpClient.get() fails with ${f.reason} on ${f.name}`, async () => {
    const s = scriptedServer(() => f.answer);
    const c = client(s.url, f.limit);
    try {
      await rejectsWith(c, f.reason, f.reason === "timeout" ? 200 : 5000);
    } finally {
      c.close();
      await s.close();
    }
  });
}

Deno.test("HttpClient.get() connects again after a timeout", async () => {
  let n = 0;
  const s = scriptedServer(() => n++ === 0 ? "hang" : { bytes: withLength("a 1\n") });
  const c = client(s.url);
  try {
    await rejectsWith(c, "timeout", 200);
    assertEquals(dec.decode((await c.get(5000)).body), "a 1\n");
    assertEquals(s.connections, 2);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("HttpClient.get() fails with connect when nothing listens, and after close()", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const c = client(`http://127.0.0.1:${port}/metrics`);
  await rejectsWith(c, "connect");
  c.close();
  await rejectsWith(c, "connect");
});

Deno.test("HttpClient.close() ends a GET in flight", async () => {
  const s = scriptedServer(() => "hang");
  const c = client(s.url);
  try {
    const pending = c.get(60_000);
    await waitFor(() => s.requests.length === 1, "the request");
    c.close();
    await assertRejects(() => pending, HttpGetError);
  } finally {
    await s.close();
  }
});

/** A CA and a certificate it signed for 127.0.0.1, made by openssl in `dir`. */
async function certificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("/usr/bin/openssl", { args, cwd: dir, stderr: "piped" })
      .output();
    assert(out.success, new TextDecoder().decode(out.stderr));
  };
  await Deno.writeTextFile(`${dir}/ext`, "subjectAltName=IP:127.0.0.1\n");
  const days = ["-days", "2"];
  await run(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    ...days,
    "-subj",
    "/CN=carbonado test CA",
  );
  await run(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  await run(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    ...days,
    "-extfile",
    "ext",
  );
  return {
    ca: `${dir}/ca.pem`,
    cert: await Deno.readTextFile(`${dir}/srv.pem`),
    key: await Deno.readTextFile(`${dir}/srv.key`),
  };
}

/** A TLS server answering every request on a connection with `ok`. */
function tlsServer(cert: string, key: string) {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    const buf = new Uint8Array(4096);
    try {
      while (await conn.read(buf) !== null) {
        await writeAll(
          conn,
          new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"),
        );
      }
    } catch {
      // the client went away (or refused the certificate)
    } finally {
      conns.delete(conn);
      conn.close();
    }
  };
  const serving = (async () => {
    const handlers: Promise<void>[] = [];
    for await (const conn of listener) handlers.push(serve(conn));
    await Promise.all(handlers);
  })();
  return {
    url: `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/metrics`,
    async close() {
      listener.close();
      for (const conn of conns) conn.close();
      await serving.catch(() => {});
    },
  };
}

Deno.test(requires("openssl", {
  name:
    "HttpClient.get() scrapes https with a trusted CA, and a refused certificate leaves no connection",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "scrape-tls-" });
    const { ca, cert, key } = await certificates(dir);
    const s = tlsServer(cert, key);
    try {
      // trusted: a process of its own with the CA in DENO_CERT (Deno adds it to the roots)
      const script = `import { HttpClient } from ${
        JSON.stringify(new URL("../../src/scrape/http_client.ts", import.meta.url).href)
      };
const c = new HttpClient(${JSON.stringify(s.url)}, { headers: [], maxBodyBytes: 1024 });
for (let i = 0; i < 2; i++) { const r = await c.get(5000); console.log(r.status, new TextDecoder().decode(r.body).trim()); }
c.close();`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", script],
        env: { DENO_CERT: ca },
        stderr: "piped",
      }).output();
      assertEquals(
        new TextDecoder().decode(out.stdout),
        "200 ok\n200 ok\n",
        new TextDecoder().decode(out.stderr),
      );
      // not trusted here: the handshake fails, counted as connect, and nothing stays open
      const c = client(s.url);
      await rejectsWith(c, "connect");
      c.close();
    } finally {
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
