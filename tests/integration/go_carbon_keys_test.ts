// go-carbon deployments moving over: go-carbon's packaged config starts carbonado with its paths
// pointed at a temporary directory; `[cache] max-size = 0` starts; the default start gives no
// warning; carbonserver.scan-frequency makes files other tools create and remove show in find.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";

const FIXTURES = new URL("../fixtures/config/", import.meta.url).pathname;

Deno.test("go-carbon's packaged config starts carbonado, its paths pointed at a temporary directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_gocarbon_" });
  try {
    const conf = Deno.readTextFileSync(`${FIXTURES}go-carbon.deploy.conf`)
      .replace('"/var/lib/graphite/whisper"', JSON.stringify(`${dir}/whisper`))
      .replace(
        '"/etc/go-carbon/storage-schemas.conf"',
        JSON.stringify(`${FIXTURES}storage-schemas.deploy.conf`),
      )
      // go-carbon's packaged storage-aggregation.conf has a [mix] section carbonado cannot read
      .replace('"/etc/go-carbon/storage-aggregation.conf"', '""')
      .replace('"/var/lib/graphite/tagging/"', JSON.stringify(`${dir}/tagging/`))
      .replace('"/var/lib/graphite/dump/"', JSON.stringify(`${dir}/dump/`))
      .replace('"/var/log/go-carbon/go-carbon.log"', JSON.stringify(`${dir}/go-carbon.log`));
    Deno.writeTextFileSync(`${dir}/go-carbon.conf`, conf);
    const daemon = await startDaemon({
      dataDir: `${dir}/whisper`,
      args: ["--config", `${dir}/go-carbon.conf`],
      // the daemon helper reads the "started" line from stdout; every other path is the file's
      env: { CARBONADO_LOGGING_FILE: "stdout" },
    });
    try {
      const warnings = daemon.logs.filter((l) => l.level === "warn").map((l) => String(l.msg));
      assert.ok(
        warnings.some((w) =>
          w.startsWith("deprecated config keys: whisper.max-creates-per-second") &&
          w.includes("whisper.hard-max-creates-per-second")
        ),
        JSON.stringify(warnings),
      );
      assert.ok(
        warnings.some((w) =>
          w.startsWith("unimplemented config keys ignored, their features turned on here: ") &&
          w.includes("grpc.enabled")
        ),
        JSON.stringify(warnings),
      );
      await sendTcp(daemon.port("tcp"), `gc.deploy 1 ${Math.floor(Date.now() / 1000)}\n`);
      daemon.child.kill("SIGHUP");
      await waitFor(() => daemon.logs.some((l) => l.msg === "storage rules reloaded"));
    } finally {
      assertEquals((await daemon.stop()).code, 0);
    }
    // written with go-carbon's packaged retentions, 60s:30d,1h:5y
    const info = await Deno.stat(`${dir}/whisper/gc/deploy.wsp`);
    assert.ok(info.size > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[cache] max-size = 0 starts, logging the memory bound the cache keeps to", async () => {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_maxsize0_" });
  try {
    Deno.writeTextFileSync(`${dir}/c.toml`, "[cache]\nmax-size = 0\n");
    const daemon = await startDaemon({
      dataDir: `${dir}/whisper`,
      args: ["--config", `${dir}/c.toml`],
    });
    try {
      const limits = daemon.logs.find((l) => l.msg === "cache limits");
      assertEquals(limits?.maxSize, "none");
      assert.ok(Number(limits?.maxMemoryBytes) > 0, JSON.stringify(limits));
      const page = await fetchText(`http://127.0.0.1:${daemon.port("prometheus")}/metrics`);
      assertEquals(promValue(page, "carbonado_cache_max_points"), 0);
      assertEquals(promValue(page, "carbonado_cache_max_memory_bytes"), limits?.maxMemoryBytes);
      assertEquals(daemon.logs.filter((l) => l.level === "warn"), []);
    } finally {
      assertEquals((await daemon.stop()).code, 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("carbonserver.scan-frequency: files other tools create and remove appear in and leave find", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "carbonado_scan_" });
  const daemon = await startDaemon({
    dataDir,
    env: { CARBONADO_CARBONSERVER_SCAN_FREQUENCY: "100ms" },
  });
  const find = () =>
    fetchText(
      `http://127.0.0.1:${daemon.port("carbonserver")}/metrics/find/?query=ext.*&format=json`,
    );
  try {
    assertEquals(daemon.logs.filter((l) => l.level === "warn"), []);
    await Deno.mkdir(`${dataDir}/ext`);
    create(`${dataDir}/ext/made.wsp`, parseRetentionDefs("60s:1h"), {});
    await waitFor(async () => (await find()).includes("ext.made"), "the file in find");
    await Deno.remove(`${dataDir}/ext/made.wsp`);
    await waitFor(async () => !(await find()).includes("ext.made"), "the file gone");
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});
