// The UDP receiver over a real socket on 127.0.0.1.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { waitFor } from "../_util/net.ts";
import { UdpReceiver } from "../../src/receiver/udp.ts";
import { Head } from "../../src/appender/head.ts";

const head = await Head.load({ maxPoints: 100_000, maxLineLen: 262_144 });
const cache = head.drain;
const enc = new TextEncoder();

Deno.test("UdpReceiver parses each datagram as lines, its last line without a newline too", async () => {
  const rx = new UdpReceiver(head, { listen: "127.0.0.1:0" });
  rx.start();
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  try {
    const to = { hostname: "127.0.0.1", port: rx.addr.port, transport: "udp" as const };
    await client.send(enc.encode("u.a 1 10\nu.b 2 20\n"), to);
    await client.send(enc.encode("u.c 3 30\nu.last 4 40"), to); // go-carbon 0.14+ parses it
    await client.send(new Uint8Array([0, 1, 2, 0xff, 10, ...enc.encode("u.d 5 50\n")]), to);
    await client.send(enc.encode("u.cut 6"), to);
    await waitFor(() => cache.counters().accepted === 5);
    assertEquals([...dumpCache(cache).keys()], ["u.a", "u.b", "u.c", "u.d", "u.last"]);
    await waitFor(() => cache.counters().rejected.fields === 2);
    assertEquals(cache.counters().rejected.truncated, 0, "a datagram's last line is whole");
    const s = new Map<string, number>();
    rx.stat((x) => s.set(x.carbon ?? x.name, x.value));
    assertEquals([s.get("udp.metricsReceived"), s.get("udp.errors"), s.get("udp.datagrams")], [
      5,
      2,
      4,
    ]);
  } finally {
    client.close();
    await rx.stop();
  }
});
