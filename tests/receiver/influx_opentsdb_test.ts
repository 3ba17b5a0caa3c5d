// Influx line protocol over TCP and UDP and OpenTSDB telnet over TCP: the plaintext receivers
// with another line format, over real sockets on 127.0.0.1.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { TcpReceiver } from "../../src/receiver/tcp.ts";
import { UdpReceiver } from "../../src/receiver/udp.ts";
import { InfluxLines, OPENTSDB_LINES } from "../../src/receiver/line_format.ts";
import { Head } from "../../src/appender/head.ts";
import { collect } from "../../src/stats/sample.ts";

const head = await Head.load({ maxPoints: 100_000, maxLineLen: 262_144 });
const cache = head.drain;
const enc = new TextEncoder();
const T = 1_700_000_000;
const influx = { separator: ".", dbTag: "db" };

function carbonStats(rx: TcpReceiver | UdpReceiver): Map<string, number> {
  return new Map(collect([rx]).map((s) => [s.carbon ?? s.name, s.value]));
}

Deno.test("Influx over TCP: lines across reads, a last line without newline at close", async () => {
  head.reset(100_000);
  const rx = new TcpReceiver(head, {
    listen: "127.0.0.1:0",
    readTimeout: 10_000,
    maxLineSize: 1024,
    section: "influx",
    format: new InfluxLines(influx),
  });
  rx.start();
  try {
    const lines = Array.from(
      { length: 2000 },
      (_, i) => `cpu,host=h${i % 10} v=${i},s="x" ${T + i}`,
    );
    await sendTcp(
      rx.addr.port,
      lines.join("\n") + `\nbad line\n${"x".repeat(2000)} f=1\nlast f=7 ${T}`,
    );
    await waitFor(() => cache.counters().accepted === 2001, "2001 points");
    const dump = dumpCache(cache);
    assertEquals(dump.get("cpu.v;host=h3")?.length, 200);
    assertEquals(dump.get("last.f"), [[T, 7]]);
    await waitFor(() => carbonStats(rx).get("influx.errors") === 2);
    const s = carbonStats(rx);
    assertEquals([s.get("influx.metricsReceived"), s.get("influx.stringsSkipped")], [2001, 2000]);
    assertEquals(cache.counters().rejected.fields, 1);
    assertEquals(cache.counters().rejected.line_too_long, 1, "over [influx] max-line-size");
  } finally {
    await rx.stop();
  }
});

Deno.test("Influx over UDP: each datagram is lines, its last line needs no newline", async () => {
  head.reset(100_000);
  const rx = new UdpReceiver(head, {
    listen: "127.0.0.1:0",
    section: "influx",
    protocol: "influx_udp",
    format: new InfluxLines(influx),
  });
  rx.start();
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  try {
    const to = { hostname: "127.0.0.1", port: rx.addr.port, transport: "udp" as const };
    await client.send(enc.encode(`a f=1 ${T}\nb f=2 ${T}\n`), to);
    await client.send(enc.encode(`c,t=1 f=3,g=4 ${T}`), to);
    await waitFor(() => cache.counters().accepted === 4);
    assertEquals([...dumpCache(cache).keys()], ["a.f", "b.f", "c.f;t=1", "c.g;t=1"]);
    const s = carbonStats(rx);
    assertEquals([s.get("influx_udp.metricsReceived"), s.get("influx_udp.datagrams")], [4, 2]);
  } finally {
    client.close();
    await rx.stop();
  }
});

Deno.test("OpenTSDB telnet over TCP: put lines, other commands refused and counted", async () => {
  head.reset(100_000);
  const rx = new TcpReceiver(head, {
    listen: "127.0.0.1:0",
    readTimeout: 10_000,
    maxLineSize: 1024,
    section: "opentsdb",
    format: OPENTSDB_LINES,
  });
  rx.start();
  try {
    await sendTcp(
      rx.addr.port,
      `put sys.cpu ${T} 1 host=a\nversion\nput sys.cpu ${T + 1}000 2 host=a\nput x ${T} 3`,
    );
    await waitFor(() => cache.counters().accepted === 3);
    assertEquals([...dumpCache(cache)], [["sys.cpu;host=a", [[T, 1], [T + 1, 2]]], ["x", [[
      T,
      3,
    ]]]]);
    await waitFor(() => carbonStats(rx).get("opentsdb.errors") === 1);
  } finally {
    await rx.stop();
  }
});
