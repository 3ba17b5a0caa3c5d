// The daemon at its limits (issue 9): started under `ulimit -n 256` and stormed with 1,000
// connections at once, it stays up (Deno used to panic there and the cache was lost), refuses
// what it cannot take, and a client arriving after the storm lands its points; a listener's
// max-connections, set from the environment, closes the connection over it at once.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";

const STORM = 1000;

Deno.test("under ulimit -n 256, 1,000 connections leave the daemon up and serving", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const daemon = await startDaemon({ dataDir, fdLimit: 256 });
    const port = daemon.port("tcp");
    const storm: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < STORM; i++) {
        storm.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      }
    } finally {
      for (const conn of storm) conn.close();
    }
    // the storm is over once the daemon has closed its side of every connection (until then
    // they count against the limit, and while they hold every descriptor HTTP cannot accept)
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    const open = 'carbonado_receiver_connections{protocol="tcp"}';
    await waitFor(async () => {
      try {
        return promValue(await fetchText(url), open) === 0;
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // fetch's connection errors
        return false;
      }
    }, "the storm's connections closed by the daemon");
    await sendTcp(port, "after.storm 42 1700000000\n");
    const received = 'carbonado_received_points_total{protocol="tcp"}';
    await waitFor(async () => promValue(await fetchText(url), received) === 1);
    const page = await fetchText(url);
    const refused = promValue(page, 'carbonado_receiver_connections_refused_total{protocol="tcp"}');
    const failed = promValue(page, 'carbonado_receiver_accept_errors_total{protocol="tcp"}');
    assert.ok(refused! + failed! > 0, "the storm met the limit");
    const status = await daemon.stop();
    assertEquals(status.code, 0);
    assert.ok(daemon.logs.some((l) => l.msg === "stopped"));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("tcp.max-connections from the environment bounds the listener, counted on /metrics", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const daemon = await startDaemon({ dataDir, env: { CARBONADO_TCP_MAX_CONNECTIONS: "2" } });
    const port = daemon.port("tcp");
    const held = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    try {
      const url = `http://${daemon.listeners.prometheus}/metrics`;
      const open = 'carbonado_receiver_connections{protocol="tcp"}';
      await waitFor(async () => promValue(await fetchText(url), open) === 2, "two held");
      const third = await Deno.connect({ hostname: "127.0.0.1", port });
      assertEquals(await third.read(new Uint8Array(1)), null, "closed at once");
      third.close();
      const page = await fetchText(url);
      assertEquals(
        promValue(page, 'carbonado_receiver_connections_refused_total{protocol="tcp"}'),
        1,
      );
      assert.ok(daemon.logs.some((l) => l.msg === "connection refused: too many connections"));
    } finally {
      for (const conn of held) conn.close();
    }
    assertEquals((await daemon.stop()).code, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("under ulimit -n 256, 1,000 connections to an HTTP listener leave it serving again", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const daemon = await startDaemon({ dataDir, fdLimit: 256 });
    const port = daemon.port("carbonserver");
    const storm: Deno.TcpConn[] = [];
    try {
      for (let i = 0; i < STORM; i++) {
        try {
          storm.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        } catch (err) {
          // refused or reset while the listener is served again after its accept failed
          if (
            !(err instanceof Deno.errors.ConnectionRefused ||
              err instanceof Deno.errors.ConnectionReset)
          ) throw err;
        }
      }
    } finally {
      for (const conn of storm) conn.close();
    }
    const find = `http://127.0.0.1:${port}/metrics/find/?query=*`;
    await waitFor(
      async () => {
        try {
          const res = await fetch(find);
          await res.body?.cancel();
          return res.status === 200;
        } catch (err) {
          if (!(err instanceof TypeError)) throw err; // fetch's connection errors
          return false;
        }
      },
      "carbonserver answering again",
    );
    const page = await fetchText(`http://${daemon.listeners.prometheus}/metrics`);
    const failed = 'carbonado_http_accept_errors_total{listener="carbonserver.listen"}';
    assert.ok(promValue(page, failed)! > 0, "the failed accepts counted");
    assertEquals((await daemon.stop()).code, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
