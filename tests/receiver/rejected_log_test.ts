// Rejected input is visible (issue 8): every protocol logs each rejection at info with the
// protocol, the peer, the reason and the first bytes escaped, rate-limited with the count
// suppressed; read back from the log itself.

import { assert, assertEquals } from "../_util/assert.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { Head } from "../../src/appender/head.ts";
import { HttpIngestServer } from "../../src/http_ingest/server.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { InfluxLines, OPENTSDB_LINES } from "../../src/receiver/line_format.ts";
import { PickleReceiver } from "../../src/receiver/pickle.ts";
import {
  escapeBytes,
  REJECTED_LOG_BURST,
  REJECTED_LOG_WINDOW_MS,
  RejectedLog,
} from "../../src/receiver/rejected_log.ts";
import { TcpReceiver } from "../../src/receiver/tcp.ts";
import { UdpReceiver } from "../../src/receiver/udp.ts";

const enc = new TextEncoder();
const head = await Head.load({ maxPoints: 100_000, maxLineLen: 262_144 });
const influx = { separator: ".", dbTag: "db", maxLineLen: 262_144 };

type Entry = Record<string, unknown>;
let logged: Entry[] = [];
configureLogging({ level: "info", sink: (line) => logged.push(JSON.parse(line)) });

/** The "rejected" lines logged so far. */
const rejections = () => logged.filter((e) => e.msg === "rejected");

/** Runs `fn` with a fresh log; `rejections()` reads what it logged. */
async function withLog(fn: () => Promise<void>): Promise<void> {
  logged = [];
  head.reset(100_000);
  await fn();
}

Deno.test("escapeBytes() shows printable ASCII as is and any other byte as \\xNN", () => {
  const cases: [number[] | string, string][] = [
    ["a.b 1 2", "a.b 1 2"],
    ["tab\there\r", "tab\\x09here\\x0d"],
    ["back\\slash", "back\\\\slash"],
    [[0, 0xff, 0x7f, 0x41], "\\x00\\xff\\x7f" + "A"],
  ];
  for (const [input, want] of cases) {
    const bytes = typeof input === "string" ? enc.encode(input) : new Uint8Array(input);
    assertEquals(escapeBytes(bytes), want);
  }
});

Deno.test("RejectedLog logs 10 rejections a minute, then says how many it suppressed", async () => {
  await withLog(() => {
    let now = 1_000_000;
    const log = new RejectedLog("tcp", () => now);
    const lines = Array.from({ length: 15 }, (_, i) => enc.encode(`bad ${i}`));
    const find = (max: number) => lines.slice(0, max).map((bytes) => ({ reason: "fields", bytes }));
    log.note({ accepted: 0, rejected: 15, overflow: 0, rejectedBy: { fields: 15 } }, "p:1", find);
    assertEquals(rejections().length, REJECTED_LOG_BURST);
    assertEquals(rejections().map((e) => e.line), lines.slice(0, 10).map((l) => escapeBytes(l)));
    now += REJECTED_LOG_WINDOW_MS;
    log.note({ accepted: 0, rejected: 1, overflow: 0, rejectedBy: { bad_value: 1 } }, "p:1");
    const last = rejections().at(-1)!;
    assertEquals([last.reason, last.suppressed, last.line], ["bad_value", 5, undefined]);
    return Promise.resolve();
  });
});

Deno.test("plaintext over TCP: each rejected line logged at info with peer, reason and bytes", async () => {
  await withLog(async () => {
    const rx = new TcpReceiver(head, {
      listen: "127.0.0.1:0",
      readTimeout: 60_000,
      maxLineSize: 1024,
    });
    rx.start();
    try {
      const text = "good.a 1 10\nonly two\ngood.b 2 20\nbad.value x 30\n" +
        `long.line ${"9".repeat(2000)} 40\ngood.c 3 30\n`;
      await sendTcp(rx.addr.port, enc.encode(text + "bin\x00\xff 1 2\n"));
      await waitFor(() => rejections().length === 4, "four rejections logged");
      const got = rejections().map((e) => [e.level, e.protocol, e.reason, e.line]);
      assertEquals(got, [
        ["info", "tcp", "fields", "only two"],
        ["info", "tcp", "bad_value", "bad.value x 30"],
        ["info", "tcp", "line_too_long", `long.line ${"9".repeat(118)}`],
        ["info", "tcp", "bad_name", "bin\\x00\\xc3\\xbf 1 2"],
      ]);
      for (const e of rejections()) assert.ok(String(e.peer).startsWith("127.0.0.1:"));
    } finally {
      await rx.stop();
    }
  });
});

Deno.test("plaintext over UDP, Influx and OpenTSDB over TCP log their rejected lines", async () => {
  await withLog(async () => {
    const udp = new UdpReceiver(head, { listen: "127.0.0.1:0" });
    const influxTcp = new TcpReceiver(head, {
      listen: "127.0.0.1:0",
      readTimeout: 60_000,
      maxLineSize: 1024,
      section: "influx",
      format: new InfluxLines(influx),
    });
    const tsdb = new TcpReceiver(head, {
      listen: "127.0.0.1:0",
      readTimeout: 60_000,
      maxLineSize: 1024,
      section: "opentsdb",
      format: OPENTSDB_LINES,
    });
    for (const rx of [udp, influxTcp, tsdb]) rx.start();
    const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    try {
      const to = { hostname: "127.0.0.1", port: udp.addr.port, transport: "udp" as const };
      await client.send(enc.encode("u.a 1 10\nu.bad"), to);
      await sendTcp(influxTcp.addr.port, "cpu,host=a usage=1 1700000000\ncpu,host=b\n");
      await sendTcp(tsdb.addr.port, "put sys.cpu 1700000000 1 host=a\nput sys.cpu\n");
      await waitFor(() => rejections().length === 3, "three rejections logged");
      const got = rejections().map((e) => [e.protocol, e.reason, e.line]).sort();
      assertEquals(got, [
        ["influx", "fields", "cpu,host=b"],
        ["opentsdb", "fields", "put sys.cpu"],
        ["udp", "fields", "u.bad"],
      ]);
    } finally {
      client.close();
      for (const rx of [udp, influxTcp, tsdb]) await rx.stop();
    }
  });
});

Deno.test("pickle logs a frame that does not decode and a bad point, with the one logger", async () => {
  await withLog(async () => {
    const rx = new PickleReceiver(head, {
      listen: "127.0.0.1:0",
      readTimeout: 60_000,
      maxMessageSize: 1 << 20,
      maxBufferedSize: 1 << 20,
    });
    rx.start();
    try {
      const garbage = enc.encode("not a pickle");
      // [("a.b", (1700000000, "x"))] in protocol 2: the value is a string
      const badPoint = new Uint8Array([
        0x80,
        0x02,
        0x5d,
        0x71,
        0x00,
        0x58,
        0x03,
        0x00,
        0x00,
        0x00,
        0x61,
        0x2e,
        0x62,
        0x4a,
        0x00,
        0xf1,
        0x53,
        0x65,
        0x58,
        0x01,
        0x00,
        0x00,
        0x00,
        0x78,
        0x86,
        0x86,
        0x61,
        0x2e,
      ]);
      const frame = (body: Uint8Array) => {
        const out = new Uint8Array(4 + body.length);
        new DataView(out.buffer).setUint32(0, body.length);
        out.set(body, 4);
        return out;
      };
      await sendTcp(rx.addr.port, new Uint8Array([...frame(garbage), ...frame(badPoint)]));
      await waitFor(() => rejections().length === 2, "two rejections logged");
      const [decode, point] = rejections();
      assertEquals([decode.protocol, decode.reason, decode.line], [
        "pickle",
        "frame_decode",
        "not a pickle",
      ]);
      assertEquals([point.protocol, point.reason], ["pickle", "bad_value"]);
      assert.ok(String(point.detail).includes("value"), String(point.detail));
    } finally {
      await rx.stop();
    }
  });
});

Deno.test("the HTTP ingest routes log their rejected lines, data points and requests", async () => {
  await withLog(async () => {
    const server = new HttpIngestServer(head, {
      listen: "127.0.0.1:0",
      maxRequestSize: 1 << 20,
      maxInflightSize: 4 << 20,
      readTimeout: 5000,
      influx,
    });
    const remote = { hostname: "127.0.0.1", port: 5555, transport: "tcp" as const };
    const post = (path: string, body: string) =>
      server.handler(new Request(`http://carbonado${path}`, { method: "POST", body }), remote);
    await (await post("/write", "cpu usage=1 1700000000\ncpu usage=\n")).body?.cancel();
    const put = [{ metric: "sys.cpu", timestamp: 1700000000, value: "x", tags: { h: "a" } }];
    await (await post("/api/put", JSON.stringify(put))).body?.cancel();
    await (await post("/api/put", "{not json")).body?.cancel();
    const got = rejections().map((e) => [e.protocol, e.peer, e.line ?? e.detail]);
    assertEquals(got.length, 3);
    assertEquals(rejections()[2].reason, "http_400");
    assert.ok(String(got[2][2]).startsWith("Unable to parse the given JSON"), String(got[2][2]));
    assertEquals(got[0], ["influx_http", "127.0.0.1:5555", "cpu usage="]);
    assertEquals(got[1].slice(0, 2), ["opentsdb_http", "127.0.0.1:5555"]);
    assert.ok(String(got[1][2]).includes("sys.cpu"), String(got[1][2]));
  });
});
