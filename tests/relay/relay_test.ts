// The relay as an Appendable: any receiver feeds it (pickle points leave as plaintext lines),
// a batch is counted once its lines are queued, rollback leaves nothing, counters per
// destination under carbon-c-relay's names.

import assert from "node:assert/strict";
import { configureLogging } from "../../src/log/logger.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { PickleReceiver } from "../../src/receiver/pickle.ts";
import { LineSink } from "../_util/line_sink.ts";
import { feed, relayStat, startRelay } from "./_relay.ts";
import { PYTHON, requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });

/** A pickle frame made by Python's own pickle module. */
async function pythonFrame(expr: string): Promise<Uint8Array> {
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      `import pickle, struct, sys\nb = pickle.dumps(${expr}, 2)\n` +
      "sys.stdout.buffer.write(struct.pack('!L', len(b)) + b)",
    ],
    stdout: "piped",
  }).output();
  assert.ok(out.success, "python ran");
  return out.stdout;
}

Deno.test(requires("python3", {
  name: "relay: pickle points leave as plaintext lines, values in shortest form",
  fn: async () => {
    const sink = LineSink.listen();
    const { relay, dir } = await startRelay({ destinations: [`127.0.0.1:${sink.port}`] });
    const rx = new PickleReceiver(relay, {
      listen: "127.0.0.1:0",
      readTimeout: 60_000,
      maxMessageSize: 1 << 20,
      maxBufferedSize: 1 << 20,
    });
    rx.start();
    try {
      const frame = await pythonFrame(
        "[('a.b', (1700000000, 1.5)), ('c d', (1700000000, 2)), ('e.f', (1700000000.9, 1e21))," +
          " ('g.h', (1700000000, 0.1)), ('café', (1700000000, -3))]",
      );
      const c = await Deno.connect({ hostname: "127.0.0.1", port: rx.addr.port });
      await writeAll(c, frame);
      c.close();
      await sink.waitForLines(4);
      assert.deepEqual(sink.lines, [
        "a.b 1.5 1700000000",
        "e.f 1e+21 1700000000",
        "g.h 0.1 1700000000",
        "caf__ -3 1700000000",
      ]);
      assert.equal(relayStat(relay, "carbonado_relay_routed_lines_total"), 4);
    } finally {
      await rx.stop();
      await relay.stop(2000);
      await sink.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("relay: a batch is counted on commit; a rolled-back batch leaves no line and no count", async () => {
  const sink = LineSink.listen();
  const dest = `127.0.0.1:${sink.port}`;
  const { relay, dir } = await startRelay({ destinations: [dest] });
  try {
    const app = relay.appender();
    assert.equal(app.appendPlain(new TextEncoder().encode("gone.a 1 2\ngone.b 1 2\npart")), 22);
    assert.throws(() => relay.appender().appendPlain(new TextEncoder().encode("x 1 2\n")));
    app.rollback();
    assert.deepEqual(feed(relay, "kept 1 2\nbad line\n"), {
      consumed: 18,
      accepted: 1,
      rejected: 1,
      overflow: 0,
    });
    await sink.waitForLines(1);
    await relay.stop(2000);
    assert.deepEqual(sink.lines, ["kept 1 2"]);
    assert.equal(relayStat(relay, "carbonado_relay_routed_lines_total"), 1);
    assert.equal(relayStat(relay, "carbonado_relay_sent_lines_total", dest), 1);
    let carbon = "";
    relay.stat((s) => {
      if (s.name === "carbonado_relay_sent_lines_total") carbon = s.carbon ?? "";
    });
    assert.equal(carbon, `relay.destinations.127_0_0_1_${sink.port}.metricsSent`);
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay: bad settings fail at create, naming the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => startRelay({ dir, destinations: ["h:1"], replication: 2 }),
      /relay\.replication/,
    );
    await assert.rejects(
      () => startRelay({ dir, destinations: ["h:1"], segmentSize: 100_000 }),
      /relay\.segment-size/,
    );
    await assert.rejects(
      () => startRelay({ dir, destinations: ["h:1"], maxSize: 2 ** 20 }),
      /relay\.max-size/,
    );
    await assert.rejects(() => startRelay({ dir, destinations: ["h:x"] }), /relay\.destinations/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
