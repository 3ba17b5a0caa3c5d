// Relay mode end to end, the daemon as a child process: `kill -9` under load with a destination
// down loses nothing the daemon had counted; SIGTERM drains the destinations that are up and
// keeps the rest for the next start; a relay-only node writes no Whisper file and answers no
// query; with `local = true` points go to Whisper and to the destinations.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { LineSink } from "../_util/line_sink.ts";
import { freePort, sendTcp, sendUntilGone, waitFor } from "../_util/net.ts";
import { numbered } from "../relay/_relay.ts";

const ROUTED = "carbonado_relay_routed_lines_total";

function relayEnv(relayDir: string, destinations: string[], extra: Record<string, string> = {}) {
  return {
    CARBONADO_RELAY_ENABLED: "true",
    CARBONADO_RELAY_DIR: relayDir,
    CARBONADO_RELAY_DESTINATIONS: destinations.join(","),
    ...extra,
  };
}

Deno.test("relay: kill -9 under load with the destination down, restart: every counted line arrives", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "carbonado-relay-kill-" });
  const port = freePort();
  const env = relayEnv(`${tmp}/relay`, [`127.0.0.1:${port}`]);
  const first = await startDaemon({ env, dataDir: `${tmp}/data` });
  const metrics = `http://${first.listeners.prometheus}/metrics`;
  const sending = sendUntilGone(
    first.port("tcp"),
    (n) => `kill.s${n % 1000}.v${n} ${n} 1700000000\n`,
    { max: 2_000_000, perWrite: 500, pauseMs: 5 },
  );
  let counted = 0;
  await waitFor(
    async () => {
      counted = promValue(await fetchText(metrics), ROUTED) ?? 0;
      return counted >= 100_000;
    },
    "100k lines counted",
  );
  await first.stop("SIGKILL");
  const sent = await sending;
  assert(sent >= counted, `${sent} sent, ${counted} counted`);
  const sink = LineSink.listen(port);
  const second = await startDaemon({ env, dataDir: `${tmp}/data` });
  try {
    // the connection's lines were committed in order: the first `counted` were all accepted
    const want = new Set(Array.from({ length: counted }, (_, n) => `kill.s${n % 1000}.v${n}`));
    await waitFor(
      () => {
        for (const l of sink.lines) want.delete(l.split(" ")[0]);
        return want.size === 0;
      },
      "every counted line at the destination",
    );
  } finally {
    await second.stop();
    await sink.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("relay: SIGTERM drains destinations that are up and keeps the rest for the next start", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "carbonado-relay-stop-" });
  const up = LineSink.listen();
  const downPort = freePort();
  const env = relayEnv(`${tmp}/relay`, [`127.0.0.1:${up.port}`, `127.0.0.1:${downPort}`], {
    CARBONADO_RELAY_REPLICATION: "2",
  });
  const first = await startDaemon({ env, dataDir: `${tmp}/data` });
  const a = numbered("stop", 5000);
  await sendTcp(first.port("tcp"), a.text);
  const metrics = `http://${first.listeners.prometheus}/metrics`;
  await waitFor(
    async () => promValue(await fetchText(metrics), ROUTED) === 5000,
    "5000 lines routed",
  );
  const status = await first.stop("SIGTERM");
  assertEquals(status.code, 0);
  assertEquals(up.lines.length, 5000); // drained before the exit
  assert(
    first.logs.some((l) =>
      l.msg === "relay destination not drained: its lines stay queued for the next start"
    ),
  );
  const down = LineSink.listen(downPort);
  const second = await startDaemon({ env, dataDir: `${tmp}/data` });
  try {
    await down.waitForLines(5000);
    await second.stop();
    assertEquals(down.lines.map((l) => l.split(" ")[0]), a.names);
    assertEquals(up.lines.length, 5000); // nothing sent twice to the one drained cleanly
  } finally {
    await Promise.all([up.close(), down.close()]);
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("relay: a relay-only node writes no Whisper file and serves only the status page", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "carbonado-relay-only-" });
  const sink = LineSink.listen();
  const d = await startDaemon({
    env: relayEnv(`${tmp}/relay`, [`127.0.0.1:${sink.port}`]),
    dataDir: `${tmp}/data`,
  });
  try {
    assertEquals(d.listeners.carbonlink, undefined);
    await sendTcp(d.port("tcp"), "only.relayed 1 1700000000\n");
    await sink.waitForLines(1);
    const api = `http://${d.listeners.carbonserver}`;
    const find = await fetch(`${api}/metrics/find/?query=*`);
    assertEquals(find.status, 404);
    await find.body?.cancel();
    const status = await fetch(`${api}/api/status`);
    assertEquals(status.status, 200);
    await status.body?.cancel();
    const page = await fetchText(`http://${d.listeners.prometheus}/metrics`);
    const dest = `destination="127.0.0.1:${sink.port}"`;
    assertEquals(promValue(page, `carbonado_relay_sent_lines_total{${dest}}`), 1);
    assertEquals(promValue(page, `carbonado_relay_up{${dest}}`), 1);
  } finally {
    await d.stop();
    await sink.close();
  }
  try {
    assertEquals([...Deno.readDirSync(`${tmp}/data`)], []);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("relay: with local = true a point goes to Whisper and to its destination", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "carbonado-relay-local-" });
  const sink = LineSink.listen();
  const d = await startDaemon({
    env: relayEnv(`${tmp}/relay`, [`127.0.0.1:${sink.port}`], { CARBONADO_RELAY_LOCAL: "true" }),
    dataDir: `${tmp}/data`,
  });
  try {
    const ts = Math.floor(Date.now() / 1000) - 120;
    await sendTcp(d.port("tcp"), `both.here 42 ${ts}\n`);
    await sink.waitForLines(1);
    assertEquals(sink.lines, [`both.here 42 ${ts}`]);
    await waitFor(
      () => Deno.stat(`${tmp}/data/both/here.wsp`).then(() => true, () => false),
      "the Whisper file",
    );
  } finally {
    await d.stop();
    await sink.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
