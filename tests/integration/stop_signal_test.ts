// Stopping however it is signalled (issue 9): the daemon started as the README says, `deno task
// start` in a process group of its own, stopped right after a burst by SIGTERM to the task
// runner alone, and by SIGTERM to the whole group (as Ctrl-C, systemd and container runtimes
// do: the daemon then gets the signal twice, once from the group and once forwarded by the
// runner) 20 times in a row; every point is on disk every time. SIGQUIT ends it at once.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { startTask } from "../_util/task_daemon.ts";
import { WhisperFile } from "../../src/whisper/whisper_file.ts";

const NOW = Math.floor(Date.now() / 1000);
const T0 = NOW - (NOW % 60) - 3600;
const SERIES = 100;
const POINTS = 5;
const GROUP_STOPS = 20;

/** One start, a burst, a stop by `signal` sent `to`; checks every point on disk. */
async function burstAndStop(run: number, to: "runner" | "group"): Promise<number> {
  const dataDir = await Deno.makeTempDir({ prefix: "carbonado-stop-" });
  const walDir = `${dataDir}-wal`;
  try {
    const daemon = await startTask({
      CARBONADO_WHISPER_DATA_DIR: dataDir,
      CARBONADO_WAL_DIR: walDir,
      CARBONADO_UDP_ENABLED: "false",
    });
    let text = "";
    for (let s = 0; s < SERIES; s++) {
      for (let i = 0; i < POINTS; i++) text += `stop.r${run}.s${s} ${s + i} ${T0 + i * 60}\n`;
    }
    await sendTcp(Number(daemon.listeners.tcp.split(":").at(-1)), text);
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    const received = 'carbonado_received_points_total{protocol="tcp"}';
    await waitFor(async () => promValue(await fetchText(url), received) === SERIES * POINTS);
    daemon.signal("SIGTERM", to);
    const status = await daemon.exited();
    const where = `run ${run}, SIGTERM to the ${to}`;
    assertEquals(status.code, 0, `${where}: exit status`);
    assert.ok(daemon.logs.some((l) => l.msg === "stopped"), `${where}: "stopped" logged`);
    for (let s = 0; s < SERIES; s++) {
      const file = WhisperFile.open(`${dataDir}/stop/r${run}/s${s}.wsp`);
      try {
        const values = file.fetch(T0 - 60, { untilTime: NOW, now: NOW })!.values;
        assertEquals(values.filter((v) => v !== null), [0, 1, 2, 3, 4].map((i) => s + i), where);
      } finally {
        file.close();
      }
    }
    return daemon.logs.filter((l) => String(l.msg).startsWith("already stopping")).length;
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(walDir, { recursive: true }).catch(() => {});
  }
}

Deno.test("SIGTERM to the deno task runner alone stops the daemon with every point on disk", async () => {
  await burstAndStop(0, "runner");
});

Deno.test(`SIGTERM to the process group of deno task start, ${GROUP_STOPS} times: every point on disk`, async () => {
  let ignored = 0;
  for (let run = 1; run <= GROUP_STOPS; run++) ignored += await burstAndStop(run, "group");
  // the group's signal and the runner's forwarded copy: the repeat was logged and ignored
  assert.ok(ignored > 0, "a repeated SIGTERM was logged as ignored");
});

Deno.test("SIGQUIT ends the daemon at once, saying so", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const daemon = await startDaemon({ dataDir });
    const status = await daemon.stop("SIGQUIT");
    assertEquals(status.code, 131);
    assert.ok(daemon.logs.some((l) => String(l.msg).startsWith("SIGQUIT")), "logged");
    assert.ok(!daemon.logs.some((l) => l.msg === "stopped"), "no flush");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
