// Senders (src/relay/sender.ts) against destinations that fail: killed with SIGKILL (the kernel
// resets the connection), closed cleanly with a FIN, stalled (never reading), down while the
// relay reroutes. Every accepted line must arrive; duplicates are allowed after a failure.

import assert from "node:assert/strict";
import { configureLogging } from "../../src/log/logger.ts";
import { fileLines, LineSink, ProcessSink } from "../_util/line_sink.ts";
import { freePort, waitFor } from "../_util/net.ts";
import { feed, numbered, relayStat, startRelay } from "./_relay.ts";

configureLogging({ level: "error", sink: () => {} });

const tick = () => new Promise((r) => setTimeout(r, 0));

/** Feeds `text` in batches of `per` lines, letting the senders run in between. */
async function feedSlowly(
  relay: Parameters<typeof feed>[0],
  text: string,
  per: number,
  midway?: () => Promise<void>,
): Promise<number> {
  const lines = text.split(/(?<=\n)/);
  let accepted = 0;
  for (let i = 0; i < lines.length; i += per) {
    accepted += feed(relay, lines.slice(i, i + per).join("")).accepted;
    if (midway && i >= lines.length / 2 && i - per < lines.length / 2) await midway();
    await tick();
  }
  return accepted;
}

function missing(names: string[], got: string[]): string[] {
  const have = new Set(got.map((l) => l.split(" ")[0]));
  return names.filter((n) => !have.has(n));
}

Deno.test("sender: a destination killed mid-stream (reset) and restarted gets every line", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "carbonado-sink-" });
  let sink = await ProcessSink.start(`${tmp}/first`);
  const dest = `127.0.0.1:${sink.port}`;
  const { relay, dir } = await startRelay({ destinations: [dest] });
  const { names, text } = numbered("rst", 100_000);
  try {
    const accepted = await feedSlowly(relay, text, 2000, async () => {
      await waitFor(() => fileLines(`${tmp}/first`).length > 0, "lines at the sink");
      await sink.kill();
    });
    assert.equal(accepted, names.length);
    await waitFor(() => relayStat(relay, "carbonado_relay_up", dest) === 0, "down");
    sink = await ProcessSink.start(`${tmp}/second`, sink.port);
    const got = () => [...fileLines(`${tmp}/first`), ...fileLines(`${tmp}/second`)];
    await waitFor(() => missing(names, got()).length === 0, "every line");
    assert.ok(relayStat(relay, "carbonado_relay_resent_lines_total", dest) > 0);
  } finally {
    await relay.stop(2000);
    await sink.kill();
    await Deno.remove(tmp, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sender: a destination that closes cleanly (FIN) mid-stream and comes back gets every line", async () => {
  let sink = LineSink.listen();
  const port = sink.port;
  const dest = `127.0.0.1:${port}`;
  const { relay, dir } = await startRelay({ destinations: [dest] });
  const { names, text } = numbered("fin", 100_000);
  const before: string[] = [];
  try {
    await feedSlowly(relay, text, 2000, async () => {
      await sink.waitForLines(1);
      await sink.finish();
      before.push(...sink.lines);
    });
    await waitFor(() => relayStat(relay, "carbonado_relay_up", dest) === 0, "down");
    await sink.close();
    sink = LineSink.listen(port);
    await waitFor(() => missing(names, [...before, ...sink.lines]).length === 0, "lines");
  } finally {
    await relay.stop(2000);
    await sink.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sender: a destination that stops reading holds up neither the input nor the others", async () => {
  const fast = LineSink.listen();
  const stalled = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of stalled) held.push(c); // accepted, never read
  })().catch(() => {});
  const slow = `127.0.0.1:${stalled.addr.port}`;
  const { relay, dir } = await startRelay({
    destinations: [`127.0.0.1:${fast.port}`, slow],
    replication: 2,
  });
  try {
    const { names, text } = numbered("stall", 200_000); // ~7 MB: more than the socket buffers
    assert.equal(await feedSlowly(relay, text, 5000), names.length);
    await fast.waitForLines(names.length);
    assert.ok(relayStat(relay, "carbonado_relay_queued_lines", slow) > 0);
  } finally {
    await relay.stop(200); // the stalled one cannot drain: its queue stays on disk
    stalled.close();
    await accepting;
    for (const c of held) c.close();
    await fast.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sender: on-down = reroute sends a down member's lines to members outside their replica set", async () => {
  const sinks = [LineSink.listen(), LineSink.listen(), null, LineSink.listen()];
  const downPort = freePort();
  const dests = sinks.map((s) => `127.0.0.1:${s?.port ?? downPort}`);
  const { relay, dir } = await startRelay({
    destinations: dests,
    replication: 2,
    onDown: "reroute",
  });
  const up = sinks.filter((s) => s !== null) as LineSink[];
  try {
    // the first lines are queued for the down member before it is known down: moved later
    const early = numbered("early", 3000);
    feed(relay, early.text);
    await waitFor(() => relayStat(relay, "carbonado_relay_up", dests[2]) === 0, "down");
    const late = numbered("late", 3000);
    feed(relay, late.text);
    const all = [...early.names, ...late.names];
    const total = () => up.reduce((n, s) => n + s.lines.length, 0);
    await waitFor(() => total() >= 2 * all.length, "two copies of every line");
    for (const name of all) {
      const holders = up.filter((s) => s.lines.some((l) => l.startsWith(name + " ")));
      assert.equal(holders.length, 2, name);
    }
    for (const s of up) assert.equal(s.lines.length, new Set(s.lines).size);
    assert.ok(relayStat(relay, "carbonado_relay_rerouted_lines_total", dests[2]) > 0);
    assert.equal(relayStat(relay, "carbonado_relay_queued_lines", dests[2]), 0);
  } finally {
    await relay.stop(2000);
    await Promise.all(up.map((s) => s.close()));
    await Deno.remove(dir, { recursive: true });
  }
});
