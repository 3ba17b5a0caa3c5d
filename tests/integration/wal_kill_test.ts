// The durability guarantee end to end: `kill -9` under sustained TCP load, with the writer
// throttled so a backlog builds, then a restart on the same directories. Every point the daemon
// counted as received before the kill must be in the Whisper files once the cache has drained.
// Values are numbered per connection, so "counted before the kill" is checked exactly: each
// connection's points are committed in order, so what was counted is a prefix per connection.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendUntilGone, waitFor } from "../_util/net.ts";
import { WhisperFile } from "../../src/whisper/whisper_file.ts";

const CONNECTIONS = 4;
const SERIES = 500; // per connection
const LINES_PER_WRITE = 500;
/** Pause between writes: about 50k points/s per connection, a load the daemon keeps up with. */
const PAUSE_MS = 10;
/** Points per connection at most: their timestamps stay in the past. */
const MAX_POINTS = SERIES * 5 * 1440;
const NOW = Math.floor(Date.now() / 1000);
/** Point n of a connection: series n % SERIES, one minute apart within the 7-day default. */
const BASE = NOW - (NOW % 60) - 6 * 86400;
const RECEIVED = 'carbonado_received_points_total{protocol="tcp"}';

function line(conn: number, n: number): string {
  return `kill.c${conn}.s${n % SERIES} ${n} ${BASE + Math.floor(n / SERIES) * 60}\n`;
}

/** Values of one connection found in the whisper files. */
function valuesOnDisk(dataDir: string, conn: number): Set<number> {
  const found = new Set<number>();
  for (let s = 0; s < SERIES; s++) {
    let file: WhisperFile;
    try {
      file = WhisperFile.open(`${dataDir}/kill/c${conn}/s${s}.wsp`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    try {
      const r = file.fetch(BASE - 60, { untilTime: NOW, now: NOW });
      r?.values.forEach((v) => v !== null && found.add(v));
    } finally {
      file.close();
    }
  }
  return found;
}

Deno.test("kill -9 under sustained TCP load loses no point that was counted as received", async () => {
  const dataDir = await Deno.makeTempDir();
  const walDir = `${dataDir}-wal`;
  const env = {
    CARBONADO_WAL_DIR: walDir,
    CARBONADO_WAL_SYNC_INTERVAL: "1s",
    CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "20",
    CARBONADO_CACHE_MAX_SIZE: "5000000",
    CARBONADO_UDP_ENABLED: "false",
    CARBONADO_PICKLE_ENABLED: "false",
    CARBONADO_CARBONLINK_ENABLED: "false",
    CARBONADO_CARBONSERVER_ENABLED: "false",
  };
  try {
    const first = await startDaemon({ dataDir, env });
    const url = `http://${first.listeners.prometheus}/metrics`;
    const senders = Array.from(
      { length: CONNECTIONS },
      (_, c) =>
        sendUntilGone(first.port("tcp"), (n) => line(c, n), {
          max: MAX_POINTS,
          perWrite: LINES_PER_WRITE,
          pauseMs: PAUSE_MS,
        }),
    );
    let counted = 0;
    await waitFor(
      async () => {
        counted = promValue(await fetchText(url), RECEIVED) ?? 0;
        return counted >= 100_000;
      },
      "100k points counted",
    );
    // the count read last before the kill: at least this much was acknowledged
    counted = promValue(await fetchText(url), RECEIVED) ?? 0;
    assertEquals((await first.stop("SIGKILL")).signal, "SIGKILL");
    const sent = (await Promise.all(senders)).reduce((a, b) => a + b, 0);
    assert.ok(sent > counted, `still sending at the kill: ${sent} sent, ${counted} counted`);

    const second = await startDaemon({
      dataDir,
      env: { ...env, CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "0" },
    });
    const replayed = second.logs.find((l) => l.msg === "WAL replayed");
    assert.ok(replayed, "the log was replayed before the listeners opened");
    assert.ok((replayed.points as number) >= counted, `replayed ${replayed.points} < ${counted}`);
    const url2 = `http://${second.listeners.prometheus}/metrics`;
    await waitFor(
      async () => {
        const page = await fetchText(url2);
        return promValue(page, "carbonado_cache_points") === 0 &&
          promValue(page, "carbonado_cache_not_confirmed_points") === 0;
      },
      "the cache to drain",
    );
    assertEquals((await second.stop()).code, 0);

    let recovered = 0;
    for (let c = 0; c < CONNECTIONS; c++) {
      const values = valuesOnDisk(dataDir, c);
      // a prefix 0..k-1 of the connection's numbered points, without holes
      let k = 0;
      while (values.has(k)) k++;
      assertEquals(values.size, k, `connection ${c}: points after a hole`);
      recovered += k;
    }
    assert.ok(recovered >= counted, `recovered ${recovered} points, counted ${counted}`);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(walDir, { recursive: true });
  }
});
