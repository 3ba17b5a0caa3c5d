// The remote_write HTTP client over real sockets: what each answer means (2xx, 5xx, 429 with and
// without retry, other 4xx with a bounded body), Retry-After in both forms, a timeout, the
// headers it sends (the spec's four, authentication, extra ones), and TLS with a CA file, without
// it (refused), and with verification skipped.

import { assert, assertEquals } from "../_util/assert.ts";
import { authHeaders } from "../../src/remote/auth_headers.ts";
import {
  MAX_ERROR_BODY_BYTES,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  RemoteClient,
} from "../../src/remote/client.ts";

const TLS = new URL("../fixtures/tls/", import.meta.url).pathname;
const body = new Uint8Array([1, 2, 3]);
const signal = new AbortController().signal;

async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (base: string) => Promise<void>,
  tls = false,
): Promise<void> {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    ...(tls
      ? {
        cert: Deno.readTextFileSync(`${TLS}server.pem`),
        key: Deno.readTextFileSync(`${TLS}server.key`),
      }
      : {}),
  }, handler);
  try {
    await fn(`${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}/api/v1/write`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("RemoteClient: 2xx accepted, 5xx and (by choice) 429 retried, other statuses dropped", async () => {
  let status = 204;
  await withServer(
    () => new Response(status === 204 ? null : "x".repeat(5000), { status }),
    async (url) => {
      const retrying = new RemoteClient({ url, timeoutMs: 5000, retryOn429: true, headers: {} });
      const dropping = new RemoteClient({ url, timeoutMs: 5000, retryOn429: false, headers: {} });
      const cases: [number, string, string][] = [
        [204, "ok", "ok"],
        [200, "ok", "ok"],
        [500, "retry", "retry"],
        [503, "retry", "retry"],
        [429, "retry", "drop"],
        [400, "drop", "drop"],
        [404, "drop", "drop"],
        [413, "drop", "drop"],
      ];
      for (const [s, withRetry, without] of cases) {
        status = s;
        const a = await retrying.send(body, { attempt: 0, signal });
        const b = await dropping.send(body, { attempt: 0, signal });
        assertEquals([a.kind, b.kind], [withRetry, without], `status ${s}`);
        if (b.kind === "drop") assertEquals(b.body.length, MAX_ERROR_BODY_BYTES);
      }
      retrying.close();
      dropping.close();
    },
  );
});

Deno.test("RemoteClient sends the spec's headers, authentication, extra headers and Retry-Attempt", async () => {
  const seen: Headers[] = [];
  await withServer(
    (req) => {
      seen.push(req.headers);
      return new Response(null, { status: 204 });
    },
    async (url) => {
      const c = new RemoteClient({
        url,
        timeoutMs: 5000,
        retryOn429: true,
        headers: { "X-Scope-OrgID": "t1", ...authHeaders({ username: "ü", password: "p:w" }) },
      });
      await c.send(body, { attempt: 0, signal });
      await c.send(body, { attempt: 3, signal });
      c.close();
    },
  );
  const h = seen[0];
  assertEquals(h.get("content-encoding"), "snappy");
  assertEquals(h.get("content-type"), "application/x-protobuf");
  assertEquals(h.get("x-prometheus-remote-write-version"), "0.1.0");
  assert(h.get("user-agent")!.startsWith("carbonado"));
  assertEquals(h.get("x-scope-orgid"), "t1");
  const basic = h.get("authorization")!;
  const decoded = new TextDecoder().decode(
    Uint8Array.from(atob(basic.slice(6)), (ch) => ch.charCodeAt(0)),
  );
  assertEquals([basic.slice(0, 6), decoded], ["Basic ", "ü:p:w"]);
  assertEquals([h.get("retry-attempt"), seen[1].get("retry-attempt")], [null, "3"]);
  assertEquals(authHeaders({ bearerToken: "tok" }), { Authorization: "Bearer tok" });
  assertEquals(authHeaders({}), {});
});

Deno.test("RemoteClient passes Retry-After on, and a request past remote-timeout is retried", async () => {
  let release = () => {};
  const stalled = new Promise<void>((resolve) => release = resolve);
  let stall = false;
  await withServer(
    async () => {
      if (stall) await stalled;
      return new Response("slow down", { status: 429, headers: { "Retry-After": "7" } });
    },
    async (url) => {
      const c = new RemoteClient({ url, timeoutMs: 200, retryOn429: true, headers: {} });
      const r = await c.send(body, { attempt: 0, signal });
      assertEquals(r.kind === "retry" && r.retryAfterMs, 7000);
      stall = true;
      const t = await c.send(body, { attempt: 0, signal });
      assertEquals(t.kind === "retry" && t.error, "timeout");
      release();
      c.close();
    },
  );
  const now = Date.parse("2026-01-01T00:00:00Z");
  assertEquals(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now), 30_000);
  assertEquals(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
  assertEquals(parseRetryAfter("86400", now), MAX_RETRY_AFTER_MS);
  assertEquals(parseRetryAfter("soon", now), undefined);
  assertEquals(parseRetryAfter(null, now), undefined);
});

Deno.test("RemoteClient over TLS: a CA file, no CA (refused, retried), verification skipped", async () => {
  await withServer(
    () => new Response(null, { status: 204 }),
    async (url) => {
      const ca = Deno.readTextFileSync(`${TLS}ca.pem`);
      const trusted = new RemoteClient({
        url,
        timeoutMs: 5000,
        retryOn429: true,
        headers: {},
        tls: { caCerts: [ca] },
      });
      assertEquals((await trusted.send(body, { attempt: 0, signal })).kind, "ok");
      trusted.close();
      const plain = new RemoteClient({ url, timeoutMs: 5000, retryOn429: true, headers: {} });
      const refused = await plain.send(body, { attempt: 0, signal });
      assert(refused.kind === "retry" && /certificate|UnknownIssuer/i.test(refused.error ?? ""));
      plain.close();
      const insecure = new RemoteClient({
        url,
        timeoutMs: 5000,
        retryOn429: true,
        headers: {},
        tls: { insecureSkipVerify: true },
      });
      assertEquals((await insecure.send(body, { attempt: 0, signal })).kind, "ok");
      insecure.close();
      const withCert = new RemoteClient({
        url,
        timeoutMs: 5000,
        retryOn429: true,
        headers: {},
        tls: {
          caCerts: [ca],
          cert: Deno.readTextFileSync(`${TLS}client.pem`),
          key: Deno.readTextFileSync(`${TLS}client.key`),
        },
      });
      assertEquals((await withCert.send(body, { attempt: 0, signal })).kind, "ok");
      withCert.close();
    },
    true,
  );
});
