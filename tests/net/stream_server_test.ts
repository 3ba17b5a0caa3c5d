// The stream listeners' shared limits over real sockets: max-connections per listener, the
// process's share of descriptors across listeners, and the open-file limit as
// /proc/self/limits gives it.

import { assert, assertEquals } from "../_util/assert.ts";
import { echo, readToEnd, waitFor } from "../_util/net.ts";
import { StreamServer, writeAll } from "../../src/net/stream_server.ts";
import {
  ConnectionBudget,
  parseOpenFileLimit,
  readOpenFileLimit,
  sharedConnections,
} from "../../src/net/descriptors.ts";
import { Logger } from "../../src/log/logger.ts";

const enc = new TextEncoder();
const log = new Logger("test");

/** Connects and sees the server echo a byte: the connection is served. */
async function served(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, enc.encode("x"));
  const buf = new Uint8Array(1);
  assertEquals(await conn.read(buf), 1, "echoed");
  return conn;
}

/** Connects and sees the server close the connection without serving it. */
async function refused(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    assertEquals((await readToEnd(conn)).length, 0, "closed at once");
  } finally {
    conn.close();
  }
}

Deno.test("parseOpenFileLimit() reads the soft limit of /proc/self/limits", () => {
  const cases: [string, number | undefined][] = [
    ["Max open files            1024                 4096                 files     ", 1024],
    ["Max cpu time  unlimited unlimited seconds\nMax open files 256 256 files\n", 256],
    ["Max open files            unlimited            unlimited            files", Infinity],
    ["Max processes 63484 63484 processes", undefined],
  ];
  for (const [text, want] of cases) assertEquals(parseOpenFileLimit(text), want, text);
  assert.ok((readOpenFileLimit() ?? 1) > 0);
});

Deno.test("sharedConnections() keeps a reserve of descriptors out of the connections' share", () => {
  const cases: [number, number][] = [[256, 128], [1024, 768], [100, 16], [1_048_576, 786_432]];
  for (const [limit, want] of cases) assertEquals(sharedConnections(limit), want, `${limit}`);
});

Deno.test("StreamServer closes connections over max-connections at once and counts them", async () => {
  const server = new StreamServer(
    { listen: "127.0.0.1:0", key: "tcp.listen", readTimeout: 0, maxConnections: 3 },
    echo,
    log,
  );
  server.start();
  const open: Deno.TcpConn[] = [];
  try {
    const port = server.addr.port;
    for (let i = 0; i < 3; i++) open.push(await served(port));
    await refused(port);
    await refused(port);
    assertEquals([server.refused, server.connections], [2, 3]);
    open.pop()!.close();
    await waitFor(() => server.connections === 2, "a slot freed");
    open.push(await served(port));
    assertEquals(server.refused, 2);
  } finally {
    for (const conn of open) conn.close();
    await server.stop();
  }
});

Deno.test("StreamServer listeners share the process's connections", async () => {
  const budget = new ConnectionBudget(100); // the smallest share: 16 connections
  assertEquals(budget.max, 16);
  const servers = ["tcp", "pickle"].map((name) =>
    new StreamServer(
      { listen: "127.0.0.1:0", key: `${name}.listen`, readTimeout: 0, budget },
      echo,
      log,
    )
  );
  for (const s of servers) s.start();
  const open: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 16; i++) open.push(await served(servers[i % 2].addr.port));
    assertEquals(budget.open, 16);
    await refused(servers[0].addr.port);
    await refused(servers[1].addr.port);
    assertEquals(servers.map((s) => s.refused), [1, 1]);
    open.pop()!.close();
    await waitFor(() => budget.open === 15, "a slot given back");
    open.push(await served(servers[0].addr.port));
  } finally {
    for (const conn of open) conn.close();
    for (const s of servers) await s.stop();
  }
  assertEquals(budget.open, 0);
});
