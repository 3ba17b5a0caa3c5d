// The daemon as a newcomer runs it: a line over TCP shows up on /metrics; SIGTERM exits 0.

import { assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";

Deno.test("daemon counts a line sent over TCP on /metrics and stops cleanly on SIGTERM", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({ dataDir });
  try {
    const now = Math.floor(Date.now() / 1000);
    await sendTcp(daemon.port("tcp"), `a.b.c 1 ${now}\n`);
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    const received = 'carbonado_received_points_total{protocol="tcp"}';
    let page = "";
    await waitFor(async () => promValue(page = await fetchText(url), received) === 1);
    assertEquals(promValue(page, "carbonado_cache_series"), 1);
    assertEquals(await fetchText(`http://${daemon.listeners.prometheus}/healthz`), "ok\n");
  } finally {
    const status = await daemon.stop();
    assertEquals(status.code, 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("daemon refuses to start on a busy port, naming the listen key, and exits 1", async () => {
  const dataDir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const message = await startDaemon({
      dataDir,
      env: { CARBONADO_PICKLE_LISTEN: `127.0.0.1:${busy.addr.port}` },
    }).then(() => "", (err: Error) => err.message);
    assertEquals(message.includes("exited with code 1"), true, message);
    assertEquals(
      message.includes(`Cannot listen on pickle.listen \\"127.0.0.1:${busy.addr.port}\\"`),
      true,
      message,
    );
  } finally {
    busy.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
