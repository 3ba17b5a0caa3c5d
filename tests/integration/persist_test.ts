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

Deno.test("daemon with max-size 2000 drops what can never be written, lands good points, stops without waiting, and takes a series back on SIGHUP", async () => {
  const dataDir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dataDir}/blocked`, "a file where a directory should be");
  // 4,090 bytes of name that the parser takes: too long only once the data-dir is prefixed
  const long = Array.from({ length: 20 }, () => "s".repeat(200)).join(".") + "." +
    "t".repeat(70);
  const daemon = await startDaemon({ dataDir, env: { CARBONADO_CACHE_MAX_SIZE: "2000" } });
  const oracle = openWhisperReader();
  const url = `http://${daemon.listeners.prometheus}/metrics`;
  const value = async (series: string) => promValue(await fetchText(url), series) ?? 0;
  const lines = (name: string, n: number, v: number) => {
    const t = NOW - (NOW % 60) - 60 * n;
    return Array.from({ length: n }, (_, i) => `${name} ${v} ${t + 60 * i}\n`).join("");
  };
  let stopped = false;
  try {
    await sendTcp(daemon.port("tcp"), lines(long, 1000, 1) + lines("blocked.metric", 1000, 2));
    const dropped = 'carbonado_persist_dropped_points_total{reason="';
    const refused = 'carbonado_rejected_lines_total{reason="series_failed"}';
    // the long name fails on its first write, which may come before all 1,000 of its lines are
    // read: the points still in the cache are dropped, the lines read after are refused
    let seen = [0, 0, 0];
    await waitFor(
      async () => {
        seen = [
          await value(`${dropped}too_long"}`),
          await value(refused),
          await value(`${dropped}bad_path"}`),
        ];
        return seen[0] + seen[1] === 1000 && seen[2] === 1000;
      },
      () =>
        `the 2,000 points that fill the cache to be dropped (too_long, refused, bad_path: ${seen})`,
    );
    const refusedBefore = seen[1];
    let good = "";
    for (let m = 0; m < 100; m++) good += lines(`good.m${m}`, 1, m);
    await sendTcp(daemon.port("tcp"), good + lines(long, 3, 1) + lines("blocked.metric", 3, 2));
    await waitFor(
      async () => await value("carbonado_persisted_points_total") === 100,
      "the 100 good points to land",
    );
    assertEquals(
      await value(refused) - refusedBefore,
      6,
      "new points of failed series are refused at once",
    );
    assertEquals(await value("carbonado_cache_overflow_points_total"), 0);
    assertEquals((await fileValues(oracle, `${dataDir}/good/m42.wsp`, NOW - 600))[0][1], 42);
    assert.ok(
      daemon.logs.some((l) =>
        l.msg?.toString().startsWith("cannot write whisper file; points dropped") &&
        l.path === `${dataDir}/blocked/metric.wsp`
      ),
      "the drop is logged with the path",
    );

    await Deno.remove(`${dataDir}/blocked`);
    daemon.child.kill("SIGHUP");
    await waitFor(async () => await value("carbonado_persister_failed_series") === 1);
    await sendTcp(daemon.port("tcp"), lines("blocked.metric", 2, 7));
    await waitFor(async () => await value("carbonado_persisted_points_total") === 102);
    assertEquals(
      (await fileValues(oracle, `${dataDir}/blocked/metric.wsp`, NOW - 600)).map(([, v]) => v),
      [7, 7],
    );

    await sendTcp(daemon.port("tcp"), lines(long, 5, 1)); // still refused, and not waited for
    assertEquals((await daemon.stop()).code, 0);
    stopped = true;
    assert.ok(daemon.logs.some((l) => l.msg === "stopped"));
    assert.ok(!daemon.logs.some((l) => l.msg?.toString().startsWith("shutdown-timeout reached")));
  } finally {
    if (!stopped) await daemon.stop();
    await oracle.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
