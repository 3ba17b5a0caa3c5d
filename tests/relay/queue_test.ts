// Destination queues (src/relay/queue.ts) through a relay whose destination is down, then up:
// what memory no longer holds is read back from disk, a restart resumes from the persisted
// position, max-size drops the oldest lines and counts them, a torn tail is cut off.

import assert from "node:assert/strict";
import { configureLogging } from "../../src/log/logger.ts";
import { join } from "node:path";
import { queueDirName } from "../../src/relay/relay.ts";
import { listSegments } from "../../src/wal/segments.ts";
import { LineSink } from "../_util/line_sink.ts";
import { freePort, waitFor } from "../_util/net.ts";
import { feed, numbered, relayStat, startRelay } from "./_relay.ts";

configureLogging({ level: "error", sink: () => {} });

Deno.test("queue: lines for a down destination wait on disk, past buffer-size, and arrive once in order", async () => {
  const port = freePort();
  const dest = `127.0.0.1:${port}`;
  const { relay, dir } = await startRelay({ destinations: [dest], bufferSize: 4096 });
  const { names, text } = numbered("wait", 20_000);
  const lines = text.split(/(?<=\n)/);
  for (let i = 0; i < lines.length; i += 1000) feed(relay, lines.slice(i, i + 1000).join(""));
  const fed = relayStat(relay, "carbonado_relay_routed_lines_total");
  assert.equal(fed, names.length);
  await waitFor(() => relayStat(relay, "carbonado_relay_up", dest) === 0, "down");
  assert.ok(relayStat(relay, "carbonado_relay_memory_bytes", dest) <= 4096);
  const sink = LineSink.listen(port);
  try {
    await sink.waitForLines(fed);
    await relay.stop(5000);
    assert.deepEqual(sink.lines.map((l) => l.split(" ")[0]), names.slice(0, fed));
    assert.equal(relayStat(relay, "carbonado_relay_dropped_lines_total", dest), 0);
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queue: a restart sends what the last run could not, and nothing it delivered", async () => {
  const up = LineSink.listen();
  const downPort = freePort();
  const dests = [`127.0.0.1:${up.port}`, `127.0.0.1:${downPort}`];
  const first = await startRelay({ destinations: dests, replication: 2 });
  const a = numbered("first", 3000);
  feed(first.relay, a.text);
  await up.waitForLines(3000);
  await first.relay.stop(5000); // the up one is drained, the down one keeps its queue
  const second = await startRelay({ destinations: dests, replication: 2, dir: first.dir });
  const down = LineSink.listen(downPort);
  try {
    const b = numbered("second", 1000);
    feed(second.relay, b.text);
    await down.waitForLines(4000);
    await up.waitForLines(4000);
    await second.relay.stop(5000);
    assert.deepEqual(up.lines.map((l) => l.split(" ")[0]), [...a.names, ...b.names]);
    assert.deepEqual(down.lines.map((l) => l.split(" ")[0]), [...a.names, ...b.names]);
  } finally {
    await Promise.all([up.close(), down.close()]);
    await Deno.remove(first.dir, { recursive: true });
  }
});

Deno.test("queue: past max-size the oldest lines are dropped and counted; the newest arrive", async () => {
  const port = freePort();
  const dest = `127.0.0.1:${port}`;
  const segmentSize = 64 * 1024;
  const { relay, dir } = await startRelay({
    destinations: [dest],
    segmentSize,
    maxSize: 2 * segmentSize,
    bufferSize: 0,
  });
  const { names, text } = numbered("cap", 20_000); // about 600 KB of lines
  const lines = text.split(/(?<=\n)/);
  for (let i = 0; i < lines.length; i += 500) feed(relay, lines.slice(i, i + 500).join(""));
  const dropped = relayStat(relay, "carbonado_relay_dropped_lines_total", dest);
  assert.ok(dropped > 0);
  const qdir = join(dir, queueDirName({ host: "127.0.0.1", port } as never));
  const bytes = listSegments(qdir).reduce((n, s) => n + s.size, 0);
  assert.ok(bytes <= 2 * segmentSize, `${bytes} bytes on disk`);
  const sink = LineSink.listen(port);
  try {
    await sink.waitForLines(names.length - dropped);
    await relay.stop(5000);
    assert.deepEqual(sink.lines.map((l) => l.split(" ")[0]), names.slice(dropped));
  } finally {
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("queue: a torn record at the end of a segment is cut off at start; the rest is sent", async () => {
  const port = freePort();
  const dest = `127.0.0.1:${port}`;
  const first = await startRelay({ destinations: [dest] });
  const { names, text } = numbered("torn", 500);
  feed(first.relay, text);
  await first.relay.stop(1000);
  const qdir = join(first.dir, queueDirName({ host: "127.0.0.1", port } as never));
  const last = listSegments(qdir).at(-1)!;
  const f = Deno.openSync(last.path, { append: true });
  f.writeSync(new Uint8Array([2, 0, 200, 1, 2, 3, 4, 5, 6])); // a first fragment cut short
  f.close();
  const second = await startRelay({ destinations: [dest], dir: first.dir });
  const sink = LineSink.listen(port);
  try {
    await sink.waitForLines(500);
    await second.relay.stop(5000);
    assert.deepEqual(sink.lines.map((l) => l.split(" ")[0]), names);
    assert.equal(Deno.statSync(last.path).size, last.size);
  } finally {
    await sink.close();
    await Deno.remove(first.dir, { recursive: true });
  }
});
