// Tags end to end through the daemon: tagged plaintext in any order lands in one hashed file;
// carbonserver answers findSeries, seriesByTag renders and `_tagged` finds; after a restart the
// series log brings the tag index back. Then graphite-web 1.1.8 with carbonado as its TagDB
// (HttpTagDB) and cluster server renders seriesByTag('dc=east') and answers Grafana's tag
// auto-completion (skipped where graphite-web is not installed).

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, startDaemon } from "../_util/daemon.ts";
import { withGraphiteWeb } from "../_util/graphite_web.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { metricPath } from "../../src/storage/metric_path.ts";
import { pyJson } from "../../src/tags/tagdb_api.ts";
import { requires } from "../_util/requires.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** A temp root with a one-minute schema; `t` is two minutes ago, on a minute. */
async function setup() {
  const root = await Deno.makeTempDir();
  const dataDir = `${root}/whisper`;
  const schemas = `${root}/storage-schemas.conf`;
  await Deno.writeTextFile(schemas, "[all]\npattern = .\nretentions = 60s:1d\n");
  const now = Math.floor(Date.now() / 1000);
  return { root, dataDir, schemas, now, t: now - (now % 60) - 120 };
}

async function startWithTags(dataDir: string, schemas: string, env: Record<string, string> = {}) {
  return await startDaemon({ dataDir, env: { CARBONADO_WHISPER_SCHEMAS_FILE: schemas, ...env } });
}

Deno.test("daemon stores tagged series under _tagged/, serves the TagDB API and seriesByTag", async () => {
  const { dataDir, schemas, t } = await setup();
  let daemon = await startWithTags(dataDir, schemas);
  try {
    await sendTcp(
      daemon.port("tcp"),
      `cpu.load;host=a;dc=east 1 ${t}\ncpu.load;dc=east;host=a 2 ${t + 60}\n` +
        `cpu.load{host="b",dc="east"} 3 ${t}\ncpu.load;dc=west;host=c 4 ${t}\n` +
        `plain.metric 5 ${t}\n`,
    );
    // a name that is not UTF-8 is refused, counted and logged with the peer
    await sendTcp(
      daemon.port("tcp"),
      new Uint8Array([
        ...new TextEncoder().encode("bad"),
        0xff,
        ...new TextEncoder().encode(` 1 ${t}\n`),
      ]),
    );
    await waitFor(() => daemon.logs.some((l) => l.msg === "rejected"), "the log line");
    const rejected = daemon.logs.find((l) => l.msg === "rejected")!;
    assertEquals([rejected.reason, rejected.line], ["bad_utf8", `bad\\xff 1 ${t}`]);
    assert.match(String(rejected.peer), /^127\.0\.0\.1:\d+$/);
    const files = ["cpu.load;dc=east;host=a", "cpu.load;dc=east;host=b", "cpu.load;dc=west;host=c"]
      .map((n) => metricPath(dataDir, n));
    await waitFor(
      async () => (await Promise.all(files.map(exists))).every(Boolean),
      "the three tagged files",
    );
    const base = `http://${daemon.listeners.carbonserver}`;
    assertEquals(
      JSON.parse(await fetchText(`${base}/tags/findSeries?expr=dc=east`)),
      ["cpu.load;dc=east;host=a", "cpu.load;dc=east;host=b"],
    );
    const render = await (await fetch(
      `${base}/render/?format=json&from=${t - 60}&until=${t + 120}&target=` +
        encodeURIComponent("seriesByTag('dc=east','host=a')"),
    )).json();
    assertEquals(render.metrics.length, 1);
    assertEquals(render.metrics[0].name, "cpu.load;dc=east;host=a");
    const values = render.metrics[0].values.filter((_: number, i: number) =>
      !render.metrics[0].isAbsent[i]
    );
    assertEquals(values, [1, 2]);
    const find = await (await fetch(`${base}/metrics/find/?query=_tagged.*.*.*`)).json();
    assertEquals(find.metrics[0].matches.length, 3);
    const tagged = await (await fetch(
      `${base}/metrics/find/?query=${encodeURIComponent("cpu.load;dc=west;host=c")}`,
    )).json();
    assertEquals(tagged.metrics[0].matches, [{ path: "cpu.load;dc=west;host=c", isLeaf: true }]);
    assertEquals((await daemon.stop()).code, 0);

    daemon = await startWithTags(dataDir, schemas);
    const again = `http://${daemon.listeners.carbonserver}`;
    assertEquals(
      JSON.parse(await fetchText(`${again}/tags/autoComplete/values?tag=host`)),
      ["a", "b", "c"],
    );
  } finally {
    await daemon.stop();
  }
});

Deno.test(requires("graphite-web", {
  name: "graphite-web with carbonado as TagDB and cluster server renders seriesByTag",
  async fn() {
    const { root, dataDir, schemas, t } = await setup();
    const daemon = await startWithTags(dataDir, schemas);
    try {
      await sendTcp(
        daemon.port("tcp"),
        `web.hits;dc=east;host=a 10 ${t}\nweb.hits;host=b;dc=east 20 ${t}\n` +
          `web.hits;dc=west;host=c 30 ${t}\n`,
      );
      const carbonserver = daemon.listeners.carbonserver;
      await waitFor(async () =>
        JSON.parse(
          await fetchText(`http://${carbonserver}/tags/findSeries?expr=name=web.hits`),
        ).length === 3
      );
      await withGraphiteWeb(
        root,
        `CLUSTER_SERVERS = ['${carbonserver}']\nSTANDARD_DIRS = []\n` +
          `STORAGE_FINDERS = ('graphite.finders.remote.RemoteFinder',)\n` +
          `TAGDB = 'graphite.tags.http.HttpTagDB'\n` +
          `TAGDB_HTTP_URL = 'http://${carbonserver}'\n`,
        async (base) => {
          const res = await fetch(
            `${base}/render?format=json&from=-10min&target=` +
              encodeURIComponent("seriesByTag('dc=east')"),
          );
          assertEquals(res.status, 200);
          const series = await res.json() as { target: string; datapoints: [number, number][] }[];
          assertEquals(series.map((s) => s.target).sort(), [
            "web.hits;dc=east;host=a",
            "web.hits;dc=east;host=b",
          ]);
          const sum = series.flatMap((s) => s.datapoints.map(([v]) => v ?? 0))
            .reduce((a, b) => a + b, 0);
          assertEquals(sum, 30);
          // Grafana's tag auto-completion, through graphite-web
          const tags = await (await fetch(`${base}/tags/autoComplete/tags?expr=dc=east`)).json();
          assertEquals(tags, ["host", "name"]);
          const values = await (await fetch(`${base}/tags/autoComplete/values?tag=dc`)).json();
          assertEquals(values, ["east", "west"]);
          // graphite-web's own TagDB views answer from carbonado through HttpTagDB
          const found = await (await fetch(`${base}/tags/findSeries?expr=host=c`)).json();
          assertEquals(found, ["web.hits;dc=west;host=c"]);
          const grouped = await (await fetch(
            `${base}/render?format=json&from=-10min&target=` +
              encodeURIComponent("groupByTags(seriesByTag('name=web.hits'),'sum','dc')"),
          )).json() as { target: string }[];
          assert.ok(grouped.length === 2, JSON.stringify(grouped.map((s) => s.target)));
        },
      );
    } finally {
      await daemon.stop();
    }
  },
}));

Deno.test(requires("graphite-web", {
  name:
    "[tags] posts new tagged series to graphite-web's own TagDB, which then agrees with carbonado",
  async fn() {
    const { root, dataDir, schemas, now } = await setup();
    const names = [
      "app.req;dc=east;host=a;env=prod",
      "app.req;host=b;dc=east;env=dev",
      "app.err;dc=west;host=c;env=prod",
      "db.qps;dc=west;host=d;role=primary",
      "db.qps;dc=east;host=e;role=replica",
    ];
    await withGraphiteWeb(root, "", async (graphite) => {
      const daemon = await startWithTags(dataDir, schemas, {
        CARBONADO_TAGS_ENABLED: "true",
        CARBONADO_TAGS_TAGDB_URL: graphite,
        CARBONADO_TAGS_LOCAL_DIR: `${root}/tagging`,
        CARBONADO_TAGS_TAGDB_CHUNK_SIZE: "2",
        CARBONADO_TAGS_TAGDB_TIMEOUT: "10s",
      });
      try {
        await sendTcp(daemon.port("tcp"), names.map((n) => `${n} 1 ${now}\n`).join(""));
        const find = async (base: string, expr: string[]) =>
          await (await fetch(
            `${base}/tags/findSeries?${expr.map((e) => `expr=${encodeURIComponent(e)}`).join("&")}`,
          )).json();
        await waitFor(async () => (await find(graphite, ["name=~."])).length === 5);
        const carbonserver = `http://${daemon.listeners.carbonserver}`;
        for (
          const q of [
            ["dc=east"],
            ["dc=east", "env!=dev"],
            ["name=~app", "host!=~[ab]"],
            ["role!="],
            ["env=", "dc=west"],
            ["host=~.*", "role=~rep"],
          ]
        ) {
          assertEquals(await find(carbonserver, q), await find(graphite, q), q.join(" "));
        }
        assertEquals(
          await fetchText(`${carbonserver}/tags/autoComplete/tags?expr=dc=east`),
          await fetchText(`${graphite}/tags/autoComplete/tags?expr=dc=east`),
        );
        // graphite-web's local database adds its row ids; the rest is the same
        const noIds = (text: string) =>
          pyJson(JSON.parse(text, (k, v) => k === "id" ? undefined : v));
        for (const path of ["/tags/dc", "/tags", "/tags/host?filter=%5Bab%5D"]) {
          assertEquals(
            await fetchText(`${carbonserver}${path}`),
            noIds(await fetchText(`${graphite}${path}`)),
            path,
          );
        }
      } finally {
        await daemon.stop();
      }
    }, true);
  },
}));
