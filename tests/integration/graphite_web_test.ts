// graphite-web 1.1.8 (Debian's package) reading carbonado: a series that is half in its Whisper
// file and half in the cache renders whole, both through CLUSTER_SERVERS (carbonado's /render/
// merges its cache) and through local files plus CARBONLINK_HOSTS (graphite-web merges). The
// test is skipped where graphite-web is not installed; .ci/run installs it.

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { withGraphiteWeb } from "../_util/graphite_web.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { create } from "../../src/whisper/create.ts";
import { updateMany } from "../../src/whisper/whisper_file.ts";
import { requires } from "../_util/requires.ts";

Deno.test(requires("graphite-web", {
  name: "graphite-web renders a series half on disk and half in carbonado's cache",
  async fn() {
    const root = await Deno.makeTempDir();
    const dataDir = `${root}/whisper`;
    const schemas = `${root}/storage-schemas.conf`;
    await Deno.mkdir(`${dataDir}/gw`, { recursive: true });
    await Deno.writeTextFile(schemas, "[all]\npattern = .\nretentions = 60s:1d\n");
    const now = Math.floor(Date.now() / 1000);
    const minute = now - (now % 60);
    // the disk half: minutes -60 .. -31, values 0 .. 29
    create(`${dataDir}/gw/half.wsp`, parseRetentionDefs("60s:1d"));
    updateMany(
      `${dataDir}/gw/half.wsp`,
      Array.from({ length: 30 }, (_, i) => [minute - (60 - i) * 60, i] as [number, number]),
      { now },
    );
    const daemon = await startDaemon({
      dataDir,
      env: {
        CARBONADO_WHISPER_SCHEMAS_FILE: schemas,
        // oldest first, one file a second, older filler series ahead: gw.half stays in the cache
        CARBONADO_CACHE_WRITE_STRATEGY: "sorted",
        CARBONADO_WHISPER_MAX_UPDATES_PER_SECOND: "1",
      },
    });
    try {
      let text = "";
      for (let f = 0; f < 300; f++) text += `gw.filler.f${f} 1 ${minute - 7200}\n`;
      // the cache half: minutes -30 .. -1, values 100 .. 129
      for (let i = 0; i < 30; i++) text += `gw.half ${100 + i} ${minute - (30 - i) * 60}\n`;
      await sendTcp(daemon.port("tcp"), text);
      const metrics = `http://${daemon.listeners.prometheus}/metrics`;
      await waitFor(async () =>
        promValue(await fetchText(metrics), 'carbonado_received_points_total{protocol="tcp"}') ===
          330
      );
      const expected = [
        ...Array.from({ length: 30 }, (_, i) => [i, minute - (60 - i) * 60]),
        ...Array.from({ length: 30 }, (_, i) => [100 + i, minute - (30 - i) * 60]),
      ];
      const check = async (base: string, how: string) => {
        const res = await fetch(`${base}/render?target=gw.half&format=json&from=-65min`);
        assertEquals(res.status, 200, how);
        const [series] = await res.json();
        const points = (series.datapoints as [number | null, number][])
          .filter(([v]) => v !== null)
          .map(([v, ts]) => [v, ts]);
        assertEquals(points, expected, how);
      };
      const carbonlink = `127.0.0.1:${daemon.port("carbonlink")}`;
      const carbonserver = `127.0.0.1:${daemon.port("carbonserver")}`;
      await withGraphiteWeb(
        `${root}/remote`,
        `CLUSTER_SERVERS = ['${carbonserver}']\nSTANDARD_DIRS = []\n` +
          `STORAGE_FINDERS = ('graphite.finders.remote.RemoteFinder',)`,
        (base) => check(base, "CLUSTER_SERVERS: carbonado's /render/ merges its cache"),
      );
      await withGraphiteWeb(
        `${root}/local`,
        `STANDARD_DIRS = ['${dataDir}']\nCARBONLINK_HOSTS = ['${carbonlink}']`,
        (base) => check(base, "local files plus CARBONLINK_HOSTS: graphite-web merges"),
      );
      const page = await fetchText(metrics);
      assert.ok(
        (promValue(page, "carbonado_carbonlink_requests_total") ?? 0) > 0,
        "carbonlink used",
      );
    } finally {
      assertEquals((await daemon.stop()).code, 0);
      await Deno.remove(root, { recursive: true });
    }
  },
}));
