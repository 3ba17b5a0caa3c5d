// Starting and stopping with the write-ahead log: a log directory inside the data dir is refused;
// `[wal] flush-on-stop = false` stops without writing the cache to Whisper, and the next start
// replays it from the checkpoint written at stop.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { WhisperFile } from "../../src/whisper/whisper_file.ts";

const NOW = Math.floor(Date.now() / 1000);
const T0 = NOW - (NOW % 60) - 3600;
const SERIES = 200;

Deno.test("flush-on-stop = false stops with a checkpoint, and the next start writes it all", async () => {
  const dataDir = await Deno.makeTempDir();
  const walDir = `${dataDir}-wal`;
  const env = {
    CARBONADO_WAL_DIR: walDir,
    CARBONADO_WAL_FLUSH_ON_STOP: "false",
    CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "1",
    CARBONADO_UDP_ENABLED: "false",
    CARBONADO_PICKLE_ENABLED: "false",
  };
  try {
    const first = await startDaemon({ dataDir, env });
    let text = "";
    for (let s = 0; s < SERIES; s++) {
      for (let i = 0; i < 5; i++) text += `stop.s${s} ${s * 10 + i} ${T0 + i * 60}\n`;
    }
    await sendTcp(first.port("tcp"), text);
    const url = `http://${first.listeners.prometheus}/metrics`;
    const received = 'carbonado_received_points_total{protocol="tcp"}';
    await waitFor(async () => promValue(await fetchText(url), received) === SERIES * 5);
    const page = await fetchText(url);
    assert.ok(promValue(page, "carbonado_wal_bytes_total")! >= SERIES * 5 * 11, "WAL bytes");
    assert.ok(promValue(page, "carbonado_wal_writes_total")! >= 1, "one write per batch");
    assertEquals((await first.stop()).code, 0);
    const names = [...Deno.readDirSync(walDir)].map((e) => e.name);
    assertEquals(names.filter((n) => n.startsWith("checkpoint.")).length, 1, "checkpoint at stop");

    const second = await startDaemon({
      dataDir,
      env: { ...env, CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "0" },
    });
    const replayed = second.logs.find((l) => l.msg === "WAL replayed");
    assert.ok(replayed && (replayed.points as number) > 0, "the cache came back");
    const url2 = `http://${second.listeners.prometheus}/metrics`;
    await waitFor(async () => {
      const page = await fetchText(url2);
      return promValue(page, "carbonado_cache_points") === 0 &&
        promValue(page, "carbonado_cache_not_confirmed_points") === 0;
    });
    assertEquals((await second.stop()).code, 0);
    for (const s of [0, 77, SERIES - 1]) {
      const file = WhisperFile.open(`${dataDir}/stop/s${s}.wsp`);
      try {
        const r = file.fetch(T0 - 60, { untilTime: NOW, now: NOW })!;
        const values = r.values.filter((v) => v !== null);
        assertEquals(values, [0, 1, 2, 3, 4].map((i) => s * 10 + i));
      } finally {
        file.close();
      }
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(walDir, { recursive: true });
  }
});

Deno.test("a wal.dir inside whisper.data-dir fails the start, naming the key", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const err = await startDaemon({ dataDir, env: { CARBONADO_WAL_DIR: `${dataDir}/wal` } }).then(
      () => null,
      (e: Error) => e,
    );
    assert.ok(err?.message.includes("daemon exited with code 1"), String(err));
    assert.ok(err?.message.includes("wal.dir"), err?.message);
    assertEquals(await Deno.stat(`${dataDir}/wal`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
