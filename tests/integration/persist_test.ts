// The daemon writing Whisper files: points sent over TCP land in files with the configured
// schema, read back by Graphite's whisper module; SIGTERM writes out everything accepted.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { hexToF64 } from "../_util/whisper_oracle.ts";
import { openWhisperReader, type WhisperReader } from "../_util/whisper_reader.ts";

const NOW = Math.floor(Date.now() / 1000);

async function fileValues(oracle: WhisperReader, path: string, from: number) {
  const r = await oracle.fetch(path, from, undefined, Math.floor(Date.now() / 1000));
  const out: [number, number][] = [];
  r?.values.forEach((v, i) => v !== null && out.push([r.fromTime + i * r.step, hexToF64(v)]));
  return out;
}

Deno.test("daemon persists points sent over TCP into whisper files with the configured schema", async () => {
  const dataDir = await Deno.makeTempDir();
  const schemas = `${dataDir}.schemas.conf`;
  await Deno.writeTextFile(
    schemas,
    "[app]\npattern = ^app\\.\nretentions = 10s:1h,1m:1d\n[rest]\npattern = .\nretentions = 1m:7d\n",
  );
  const daemon = await startDaemon({ dataDir, env: { CARBONADO_WHISPER_SCHEMAS_FILE: schemas } });
  const oracle = openWhisperReader();
  try {
    const t0 = NOW - (NOW % 60) - 600;
    let text = "";
    for (let m = 0; m < 300; m++) {
      const name = m % 2 ? `app.host${m}.load` : `sys.host${m}.load`;
      for (let i = 0; i < 5; i++) text += `${name} ${m * 10 + i} ${t0 + i * 60}\n`;
    }
    await sendTcp(daemon.port("tcp"), text);
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    await waitFor(
      async () => promValue(await fetchText(url), "carbonado_persisted_points_total") === 1500,
    );
    const app = await oracle.info(`${dataDir}/app/host1/load.wsp`);
    assertEquals((app!.archives as { secondsPerPoint: number }[]).map((a) => a.secondsPerPoint), [
      10,
      60,
    ]);
    const sys = await oracle.info(`${dataDir}/sys/host0/load.wsp`);
    assertEquals(sys!.maxRetention, 7 * 86400);
    assertEquals(
      await fileValues(oracle, `${dataDir}/sys/host42/load.wsp`, t0 - 60),
      [0, 1, 2, 3, 4].map((i) => [t0 + i * 60, 420 + i]),
    );
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await oracle.close();
    await Deno.remove(dataDir, { recursive: true });
    await Deno.remove(schemas);
  }
});

Deno.test("daemon writes every point accepted before SIGTERM to whisper files before exiting", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({
    dataDir,
    // a slow writer, so that the cache still holds most points when the signal comes
    env: { CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "50", CARBONADO_WHISPER_WORKERS: "1" },
  });
  const oracle = openWhisperReader();
  try {
    const t = NOW - (NOW % 60) - 120;
    let text = "";
    for (let m = 0; m < 2000; m++) text += `term.m${m} ${m} ${t}\n`;
    await sendTcp(daemon.port("tcp"), text);
    const url = `http://${daemon.listeners.prometheus}/metrics`;
    let page = "";
    await waitFor(async () =>
      promValue(page = await fetchText(url), 'carbonado_received_points_total{protocol="tcp"}') ===
        2000
    );
    assert.ok(
      (promValue(page, "carbonado_persisted_points_total") ?? 0) < 2000,
      "points were still in the cache at the signal",
    );
    assertEquals((await daemon.stop("SIGTERM")).code, 0);
    for (const m of [0, 999, 1999]) {
      assertEquals(await fileValues(oracle, `${dataDir}/term/m${m}.wsp`, t - 60), [[t, m]]);
    }
    let files = 0;
    for await (const _ of Deno.readDir(`${dataDir}/term`)) files++;
    assertEquals(files, 2000);
  } finally {
    await oracle.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
