// The TCP receiver over real sockets on 127.0.0.1.

import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache, readPairs } from "../_util/cache_dump.ts";
import { readToEnd, sendTcp, trickleUntilClosed, waitFor } from "../_util/net.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { TcpReceiver } from "../../src/receiver/tcp.ts";
import { Head } from "../../src/appender/head.ts";

const enc = new TextEncoder();
const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144 });
const cache = head.drain;

async function withReceiver(
  fn: (rx: TcpReceiver, port: number) => Promise<void>,
  readTimeout = 120_000,
): Promise<void> {
  head.reset(1_000_000);
  const rx = new TcpReceiver(head, { listen: "127.0.0.1:0", readTimeout, maxLineSize: 262_144 });
  rx.start();
  try {
    await fn(rx, rx.addr.port);
  } finally {
    await rx.stop();
  }
}

Deno.test("TcpReceiver takes lines from 50 connections at once", async () => {
  await withReceiver(async (_rx, port) => {
    const sends = [];
    for (let c = 0; c < 50; c++) {
      let text = "";
      for (let i = 0; i < 2000; i++) text += `conn.${c}.m${i % 10} ${i} ${1700000000 + i}\n`;
      sends.push(sendTcp(port, text));
    }
    await Promise.all(sends);
    await waitFor(() => cache.counters().accepted === 100_000, "100k points");
    const c = cache.counters();
    assertEquals([c.series, c.cachedPoints], [500, 100_000]);
  });
});

Deno.test("TcpReceiver assembles lines from a sender writing one byte at a time", async () => {
  await withReceiver(async (_rx, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    for (const b of enc.encode("slow.a 1 10\nslow.b 2.5 20\n")) {
      await writeAll(conn, new Uint8Array([b]));
      await new Promise((r) => setTimeout(r, 1));
    }
    conn.close();
    await waitFor(() => cache.counters().accepted === 2);
    assertEquals([...dumpCache(cache)], [["slow.a", [[10, 1]]], ["slow.b", [[20, 2.5]]]]);
  });
});

Deno.test("TcpReceiver closes an idle connection and counts its unfinished line", async () => {
  await withReceiver(async (_rx, port) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(conn, enc.encode("idle.a 1 10\nidle.b 2"));
    const rest = await readToEnd(conn); // returns once the server closes
    conn.close();
    assertEquals(rest.length, 0);
    await waitFor(() => cache.counters().rejected.truncated === 1);
    assertEquals(cache.counters().accepted, 1);
  }, 150);
});

Deno.test("TcpReceiver skips a huge line and keeps the rest of the stream", async () => {
  await withReceiver(async (_rx, port) => {
    const huge = "x".repeat(1_000_000);
    await sendTcp(port, `before 1 1\n${huge} 1 1\nafter 2 2\n${huge}\nlast 3 3\n`);
    await waitFor(() => cache.counters().accepted === 3);
    assertEquals([...dumpCache(cache).keys()], ["after", "before", "last"]);
    assertEquals(cache.counters().rejected.line_too_long, 2);
  });
});

Deno.test("TcpReceiver keeps the good lines around binary garbage", async () => {
  await withReceiver(async (_rx, port) => {
    const garbage = new Uint8Array(70_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) & 0xff;
    const parts = [enc.encode("good.1 1 1\n"), garbage, enc.encode("\ngood.2 2 2\n")];
    await sendTcp(port, new Uint8Array(parts.flatMap((p) => [...p])));
    await waitFor(() => cache.counters().accepted === 2);
    assertEquals([...dumpCache(cache).keys()], ["good.1", "good.2"]);
    const rejected = Object.values(cache.counters().rejected).reduce((a, b) => a + b, 0);
    assert.ok(rejected > 0);
  });
});

Deno.test("TcpReceiver counts an unfinished last line at EOF as truncated", async () => {
  await withReceiver(async (_rx, port) => {
    await sendTcp(port, "full 1 1\npartial 2");
    await waitFor(() => cache.counters().rejected.truncated === 1);
    assertEquals(cache.counters().accepted, 1);
  });
});

Deno.test("TcpReceiver.stop() closes open connections, and the port can be bound again", async () => {
  head.reset(1000);
  const rx = new TcpReceiver(head, {
    listen: "127.0.0.1:0",
    readTimeout: 120_000,
    maxLineSize: 262_144,
  });
  rx.start();
  const port = rx.addr.port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, enc.encode("open.a 1 1\n"));
  await waitFor(() => cache.counters().accepted === 1);
  await rx.stop();
  assertEquals((await readToEnd(conn)).length, 0, "the server closed the connection");
  conn.close();
  const again = new TcpReceiver(head, {
    listen: `127.0.0.1:${port}`,
    readTimeout: 120_000,
    maxLineSize: 262_144,
  });
  again.start();
  await sendTcp(port, "open.b 2 2\n");
  await waitFor(() => cache.counters().accepted === 2);
  await again.stop();
});

Deno.test("TcpReceiver reports its counters", async () => {
  await withReceiver(async (rx, port) => {
    await sendTcp(port, "s.a 1 1\nbad line\n");
    await waitFor(() => cache.counters().accepted === 1);
    const samples = new Map<string, number>();
    rx.stat((s) => samples.set(s.carbon ?? s.name, s.value));
    assertEquals(samples.get("tcp.metricsReceived"), 1);
    assertEquals(samples.get("tcp.errors"), 1);
    assertEquals(samples.get("carbonado_receiver_connections_total"), 1);
  });
});

Deno.test("TcpReceiver: a partial line carried across reads survives wasm memory growth", async () => {
  const fresh = await Head.load({ maxPoints: 2_000_000, maxLineLen: 262_144 });
  const opts = { listen: "127.0.0.1:0", readTimeout: 120_000, maxLineSize: 262_144 };
  const rx = new TcpReceiver(fresh, opts);
  rx.start();
  try {
    const waiting = await Deno.connect({ hostname: "127.0.0.1", port: rx.addr.port });
    await writeAll(waiting, enc.encode("early.line 1 1700000000\nlate.li"));
    await waitFor(() => fresh.drain.counters().accepted === 1);
    const before = fresh.drain.counters().heapBytes;
    let text = "";
    for (let i = 0; i < 400_000; i++) text += `grow.series-${i} ${i} 1700000000\n`;
    await sendTcp(rx.addr.port, text);
    await waitFor(() => fresh.drain.counters().accepted === 400_001, "400k points");
    assert.ok(fresh.drain.counters().heapBytes > before + 400_000 * 48, "memory grew");
    await writeAll(waiting, enc.encode("ne 42 1700000001\n"));
    await waitFor(() => fresh.drain.counters().accepted === 400_002);
    waiting.close();
    assertEquals(readPairs(fresh.drain, "late.line"), [[1700000001, 42]]);
  } finally {
    await rx.stop();
  }
});

Deno.test("TcpReceiver closes a slow sender whose bytes never complete a line, and counts it", async () => {
  await withReceiver(async (rx, port) => {
    // a byte every 10 ms, well inside the 150 ms read timeout, never a `\n`
    const sent = await trickleUntilClosed(
      port,
      enc.encode("slow.a 1 10\n"),
      enc.encode("slow.b 2 20"),
      10,
    );
    assert.ok(sent > 0);
    await waitFor(() => cache.counters().rejected.truncated === 1);
    assertEquals(cache.counters().accepted, 1);
    const samples = new Map<string, number>();
    rx.stat((s) => samples.set(s.carbon ?? s.name, s.value));
    assertEquals([samples.get("tcp.slowClosed"), samples.get("tcp.idleClosed")], [1, 0]);
  }, 150);
});
