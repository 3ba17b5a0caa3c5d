// carbonserver's read-timeout and write-timeout, enforced in the handler: a body that does not
// arrive is 408, a response not ready is 503, a response body not sent in time is cut off; and
// the daemon applies them on its carbonserver listener (real socket).

import { assert, assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { serveWithTimeouts } from "../../src/api/http_timeouts.ts";

/** A request body that sends `first` and then nothing, never ending. */
function stalledBody(first: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
  });
}

Deno.test("serveWithTimeouts() answers 408 when the body does not arrive within read-timeout", async () => {
  const req = new Request("http://x/render/", { method: "POST", body: stalledBody("target=") });
  const res = await serveWithTimeouts(req, () => new Response("never"), {
    readTimeout: 20,
    writeTimeout: 0,
  });
  assertEquals(res.status, 408);
  assertEquals(await res.text(), "request body not read within carbonserver.read-timeout\n");
});

Deno.test("serveWithTimeouts() hands the whole body on when it arrives in time", async () => {
  const req = new Request("http://x/render/", { method: "POST", body: "target=a.b" });
  const res = await serveWithTimeouts(req, async (r) => new Response(await r.text()), {
    readTimeout: 60_000,
    writeTimeout: 60_000,
  });
  assertEquals([res.status, await res.text()], [200, "target=a.b"]);
});

Deno.test("serveWithTimeouts() answers 503 when the response is not ready within write-timeout", async () => {
  const req = new Request("http://x/render/?target=a");
  const never = new Promise<Response>(() => {});
  const res = await serveWithTimeouts(req, () => never, { readTimeout: 0, writeTimeout: 20 });
  assertEquals(res.status, 503);
  await res.body?.cancel();
});

Deno.test("serveWithTimeouts() cuts off a response body still unsent at write-timeout", async () => {
  const req = new Request("http://x/render/?target=a");
  const res = await serveWithTimeouts(req, () => new Response(stalledBody("[")), {
    readTimeout: 0,
    writeTimeout: 20,
  });
  assertEquals(res.status, 200);
  const reader = res.body!.getReader();
  assertEquals(new TextDecoder().decode((await reader.read()).value), "[");
  let error = "";
  await reader.read().catch((err: Error) => error = err.message);
  assertEquals(error, "not sent within carbonserver.write-timeout");
});

Deno.test("the daemon's carbonserver answers 408 to a request whose body stalls past read-timeout", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "carbonado_timeouts_" });
  const daemon = await startDaemon({
    dataDir,
    env: { CARBONADO_CARBONSERVER_READ_TIMEOUT: "200ms" },
  });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: daemon.port("carbonserver") });
    const head = "POST /render/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntarget=";
    await conn.write(new TextEncoder().encode(head));
    // the status line comes as soon as the timeout fires; the connection may stay open
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    conn.close();
    const reply = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    assert.ok(reply.startsWith("HTTP/1.1 408"), reply);
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});
