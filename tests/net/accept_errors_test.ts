// Accepting at the descriptor limit: a listener in a process under `ulimit -n 64` is stormed
// with more connections than it has descriptors. Each failed accept (EMFILE) is counted and
// retried after a pause; the process stays up, and once the storm is gone a new client is
// served.

import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { writeAll } from "../../src/net/stream_server.ts";

const SERVER = new URL("../_util/echo_server.ts", import.meta.url).pathname;
const FD_LIMIT = 64;
const STORM = 200;

Deno.test("StreamServer survives accepts failing with EMFILE, counts them and serves again", async () => {
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`,
      Deno.execPath(),
      "run",
      "--allow-net",
      "--allow-read",
      SERVER,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const stdin = child.stdin.getWriter();
  let pending = "";
  const next = async (): Promise<Record<string, number>> => {
    while (!pending.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`echo server ended: ${await stderr}`);
      pending += value;
    }
    const at = pending.indexOf("\n");
    const line = pending.slice(0, at);
    pending = pending.slice(at + 1);
    return JSON.parse(line);
  };
  const stat = async () => {
    await stdin.write(new TextEncoder().encode("stat\n"));
    return await next();
  };
  const storm: Deno.TcpConn[] = [];
  try {
    const { port } = await next();
    for (let i = 0; i < STORM; i++) storm.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await waitFor(async () => (await stat()).acceptErrors > 0, "an accept failing");
    for (const conn of storm.splice(0)) conn.close();
    await waitFor(async () => (await stat()).connections === 0, "the storm gone");
    // the connections the kernel queued meanwhile are accepted and closed by now: a new client
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await writeAll(conn, new TextEncoder().encode("ping"));
      const buf = new Uint8Array(4);
      let got = 0;
      while (got < 4) {
        const n = await conn.read(buf.subarray(got));
        assert.ok(n !== null, "served after the storm");
        got += n;
      }
      assertEquals(new TextDecoder().decode(buf), "ping");
    } finally {
      conn.close();
    }
    await stdin.close();
    const status = await child.status;
    assertEquals(status.code, 0, await stderr);
  } finally {
    for (const conn of storm) conn.close();
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await lines.cancel().catch(() => {});
    await stderr;
  }
});
