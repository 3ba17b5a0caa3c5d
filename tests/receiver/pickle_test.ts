// The pickle receiver over real sockets, fed frames made by Python's own pickle module.

import { assert, assertEquals } from "../_util/assert.ts";
import { concat } from "../_util/bytes.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { readToEnd, trickleUntilClosed, waitFor } from "../_util/net.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { PickleReceiver } from "../../src/receiver/pickle.ts";
import { Head } from "../../src/appender/head.ts";
import { PYTHON, requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });
const head = await Head.load({ maxPoints: 100_000, maxLineLen: 262_144 });
const cache = head.drain;

/** Runs Python and returns the frames (4-byte length + pickle) it printed as hex, one per line. */
async function pythonFrames(script: string): Promise<Uint8Array[]> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import pickle, struct, sys\ndef frame(b): print((struct.pack('!L', len(b)) + b).hex())\n${script}`,
    ],
    stdout: "piped",
  }).output();
  assert.ok(out.success, "python ran");
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((hex) =>
    new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)))
  );
}

async function withReceiver(
  fn: (port: number, rx: PickleReceiver) => Promise<void>,
  maxMessageSize = 1 << 20,
  maxBufferedSize = maxMessageSize,
  readTimeout = 60_000,
) {
  head.reset(100_000);
  const rx = new PickleReceiver(head, {
    listen: "127.0.0.1:0",
    readTimeout,
    maxMessageSize,
    maxBufferedSize,
  });
  rx.start();
  try {
    await fn(rx.addr.port, rx);
  } finally {
    await rx.stop();
  }
}

async function send(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, bytes);
  await conn.closeWrite();
  const rest = await readToEnd(conn); // the server's close
  conn.close();
  return rest;
}

Deno.test(
  requires("python3", {
    name: "PickleReceiver takes frames pickled by Python with protocols 0, 2, 3, 4 and 5",
    fn: async () => {
      const frames = await pythonFrames(`
for p in (0, 2, 3, 4, 5):
    frame(pickle.dumps([('pk.p%d.a' % p, (1700000000, 1.5)), ('pk.p%d.b' % p, (1700000060, 7)),
                        ('pk.p%d.a' % p, (1700000060, '2.5'))], protocol=p))
`);
      await withReceiver(async (port) => {
        await send(port, concat(...frames));
        await waitFor(() => cache.counters().accepted === 15);
        const dump = dumpCache(cache);
        for (const p of [0, 2, 3, 4, 5]) {
          assertEquals(dump.get(`pk.p${p}.a`), [[1700000000, 1.5], [1700000060, 2.5]]);
          assertEquals(dump.get(`pk.p${p}.b`), [[1700000060, 7]]);
        }
      });
    },
  }),
);

Deno.test(
  requires("python3", {
    name:
      "PickleReceiver refuses hostile frames without running them and keeps the good frames around them",
    fn: async () => {
      const sentinel = await Deno.makeTempFile();
      await Deno.remove(sentinel);
      const frames = await pythonFrames(`
import os
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ${sentinel}',))
frame(pickle.dumps([('good.before', (1700000000, 1))], protocol=2))
for p in (0, 2, 4):
    frame(pickle.dumps([('evil.reduce', (1700000000, Evil()))], protocol=p))
frame(b"cos\\nsystem\\n(S'touch ${sentinel}'\\ntR.")
frame(pickle.dumps([('good.after', (1700000000, 2))], protocol=4))
`);
      await withReceiver(async (port, rx) => {
        await send(port, concat(...frames));
        await waitFor(() => cache.counters().accepted === 2);
        assertEquals([...dumpCache(cache).keys()], ["good.after", "good.before"]);
        const s = new Map<string, number>();
        rx.stat((x) => s.set(x.carbon ?? x.name, x.value));
        assertEquals(s.get("pickle.framesRejected.decode"), 4);
        assertEquals(s.get("pickle.frames"), 6);
      });
      assertEquals(
        await Deno.stat(sentinel).then(() => true, () => false),
        false,
        "nothing was executed",
      );
    },
  }),
);

Deno.test(
  requires("python3", {
    name:
      "PickleReceiver closes on a 2 GiB length before reading a body, after landing earlier frames",
    fn: async () => {
      const [good] = await pythonFrames(
        `frame(pickle.dumps([('good.first', (1700000000, 1))], protocol=2))`,
      );
      await withReceiver(async (port, rx) => {
        const huge = new Uint8Array([0x80, 0, 0, 0, 1, 2, 3]); // 2^31 bytes announced
        const rest = await send(port, concat(...[good, huge]));
        assertEquals(rest.length, 0);
        await waitFor(() => cache.counters().accepted === 1);
        const s = new Map<string, number>();
        rx.stat((x) => s.set(x.carbon ?? x.name, x.value));
        assertEquals(s.get("pickle.framesRejected.too_large"), 1);
      }, 64 << 20);
    },
  }),
);

Deno.test(
  requires("python3", {
    name:
      "PickleReceiver counts a frame cut by the end of the stream, and bad entries inside a frame",
    fn: async () => {
      const [mixed, whole] = await pythonFrames(`
frame(pickle.dumps([('ok.one', (1700000000, 1)), ('bad.value', (1700000000, 'nan')),
                    ('bad.ts', ('x', 1)), ('a..b', (1700000000, 1)), 42], protocol=2))
frame(pickle.dumps([('never.lands', (1700000000, 1))], protocol=2))
`);
      await withReceiver(async (port, rx) => {
        await send(port, concat(...[mixed, whole.subarray(0, whole.length - 3)]));
        await waitFor(() => cache.counters().accepted === 1);
        const c = cache.counters();
        assertEquals([...dumpCache(cache).keys()], ["ok.one"]);
        assertEquals([
          c.rejected.bad_value,
          c.rejected.bad_timestamp,
          c.rejected.bad_name,
          c.rejected.fields,
        ], [1, 1, 1, 1]);
        await waitFor(() => {
          const s = new Map<string, number>();
          rx.stat((x) => s.set(x.carbon ?? x.name, x.value));
          return s.get("pickle.framesRejected.truncated") === 1;
        });
      });
    },
  }),
);

/** The receiver's counters by their carbon name. */
function stats(rx: PickleReceiver): Map<string, number> {
  const s = new Map<string, number>();
  rx.stat((x) => s.set(x.carbon ?? x.name, x.value));
  return s;
}

/** A frame: 4-byte big-endian length, then the pickle. */
function framed(pickle: Uint8Array): Uint8Array {
  const f = new Uint8Array(4 + pickle.length);
  new DataView(f.buffer).setUint32(0, pickle.length);
  f.set(pickle, 4);
  return f;
}

Deno.test("PickleReceiver refuses frames over their decoding budget by reason and keeps the connection", async () => {
  const [good] = await pythonFrames(
    `frame(pickle.dumps([('after.budget', (1700000000, 1))], protocol=2))`,
  );
  const lists = framed(concat(
    new Uint8Array([0x80, 2]),
    new Uint8Array(5_000).fill(0x5d),
    new Uint8Array(4_999).fill(0x61),
    new Uint8Array([0x2e]),
  ));
  const digits = framed(concat(
    new Uint8Array([0x80, 2, 0x4c]),
    new Uint8Array(100_000).fill(0x39),
    new Uint8Array([0x0a, 0x2e]),
  ));
  await withReceiver(async (port, rx) => {
    const rest = await send(port, concat(lists, digits, good));
    assertEquals(rest.length, 0);
    await waitFor(() => cache.counters().accepted === 1);
    assertEquals([...dumpCache(cache).keys()], ["after.budget"]);
    const s = stats(rx);
    assertEquals(s.get("pickle.framesRejected.containers"), 1);
    assertEquals(s.get("pickle.framesRejected.integer"), 1);
    assertEquals(s.get("pickle.framesRejected.decode"), 0);
    assertEquals(s.get("pickle.bufferedBytes"), 0);
  });
});

Deno.test("PickleReceiver makes connections wait, reads paused, past max-buffered-size", async () => {
  const [a, b] = await pythonFrames(`
frame(pickle.dumps([('first.frame', (1700000000 + i, 1)) for i in range(20)], protocol=2))
frame(pickle.dumps([('second.frame', (1700000000 + i, 2)) for i in range(20)], protocol=2))
`);
  const limit = a.length + 16; // room for one frame, not two
  await withReceiver(
    async (port, rx) => {
      // the first connection takes the budget with its frame's length, then stalls mid-body
      const first = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(first, a.subarray(0, a.length - 5));
      await waitFor(() => rx.bufferedBytes === a.length - 4);
      const second = send(port, b);
      await waitFor(() => stats(rx).get("pickle.bufferWaits") === 1);
      assertEquals(cache.counters().accepted, 0, "the second frame waits for the first");
      await writeAll(first, a.subarray(a.length - 5));
      await first.closeWrite();
      await readToEnd(first);
      first.close();
      await second;
      await waitFor(() => cache.counters().accepted === 40);
      assertEquals(rx.bufferedBytesPeak <= limit, true, `peak ${rx.bufferedBytesPeak} <= ${limit}`);
      assertEquals(rx.bufferedBytes, 0);
    },
    1 << 20,
    limit,
  );
});

Deno.test("PickleReceiver closes a slow sender whose bytes never complete a frame, and counts it", async () => {
  await withReceiver(
    async (port, rx) => {
      // a 1,000-byte frame announced, its body a byte every 10 ms: never done in 150 ms
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, 1000);
      const sent = await trickleUntilClosed(port, header, new Uint8Array([0x80]), 10);
      assert.ok(sent > 0 && sent < 1000);
      const samples = new Map<string, number>();
      await waitFor(() => {
        rx.stat((s) => samples.set(s.carbon ?? s.name, s.value));
        return samples.get("pickle.slowClosed") === 1;
      });
      assertEquals(samples.get("pickle.idleClosed"), 0);
    },
    1 << 20,
    1 << 20,
    150,
  );
});
