// Scraping real exporters through the daemon, with Prometheus 2.42 as the oracle: Debian's
// prometheus-node-exporter, VictoriaMetrics 1.79's /metrics and Prometheus 2.42's own /metrics
// are scraped by carbonado and by Prometheus (both started here on free ports); the same
// series (each Prometheus label set named as carbonado names it) and the same `up`. Targets
// served by the test that answer 500 or pass sample_limit leave nothing in /render or
// carbonlink but their up = 0 report; a 100k-series target is taken whole; graphite-web renders
// the scraped series through seriesByTag. Skipped loudly where a package is missing.

import { assert, assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { freePort, waitFor } from "../_util/net.ts";
import { cacheQuery } from "../_util/carbonlink_client.ts";
import { withGraphiteWeb } from "../_util/graphite_web.ts";
import { canonicalName } from "../../src/tags/tagged_name.ts";
import { graphiteName } from "../../src/scrape/series_name.ts";
import { requires, TOOLS } from "../_util/requires.ts";

async function up(url: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        const res = await fetch(url);
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
    what,
  );
}

/** Starts a process that serves HTTP on `port`; resolves once `readyUrl` answers. */
async function spawn(cmd: string, args: string[], readyUrl: string) {
  const child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
  await up(readyUrl, cmd);
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** The daemon scraping the targets of `config`, its data under `root` (Whisper on or off). */
function scrapingDaemon(root: string, config: string, whisper: boolean) {
  return startDaemon({
    dataDir: `${root}/whisper`,
    env: {
      CARBONADO_SCRAPE_ENABLED: "true",
      CARBONADO_SCRAPE_CONFIG_FILE: config,
      CARBONADO_WHISPER_ENABLED: String(whisper),
    },
  });
}

async function json<T>(url: string): Promise<T> {
  return await (await fetch(url)).json() as T;
}

interface PromTarget {
  labels: Record<string, string>;
  health: string;
  lastScrape: string;
}

/** Both scrapers' targets, once every one of them has been scraped at least twice. */
async function scrapedTwice(base: string, jobs: number, since: number): Promise<PromTarget[]> {
  let targets: PromTarget[] = [];
  await waitFor(
    async () => {
      targets = (await json<{ data: { activeTargets: PromTarget[] } }>(`${base}/api/v1/targets`))
        .data.activeTargets;
      return targets.length === jobs &&
        targets.every((t) => Date.parse(t.lastScrape) > since + 1500);
    },
    `${base} to scrape every target twice`,
  );
  return targets;
}

const NODE_EXPORTER = TOOLS.node_exporter.path;
const PROMETHEUS = TOOLS.prometheus.path;
const VICTORIA_METRICS = TOOLS["victoria-metrics"].path;

Deno.test(requires(["node_exporter", "prometheus", "victoria-metrics"], {
  name: "carbonado and Prometheus 2.42 scrape node_exporter, VictoriaMetrics and Prometheus alike",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "scrape-it-" });
    const nodePort = freePort();
    const vmPort = freePort();
    const promPort = freePort();
    const node = await spawn(NODE_EXPORTER, [
      `--web.listen-address=127.0.0.1:${nodePort}`,
      // collectors whose series come and go between two scrapes
      "--no-collector.netstat",
      "--no-collector.sockstat",
      "--no-collector.softnet",
      "--no-collector.interrupts",
      "--no-collector.hwmon",
      "--no-collector.thermal_zone",
    ], `http://127.0.0.1:${nodePort}/metrics`);
    const vm = await spawn(VICTORIA_METRICS, [
      `-storageDataPath=${root}/vm`,
      `-httpListenAddr=127.0.0.1:${vmPort}`,
      "-loggerLevel=ERROR",
    ], `http://127.0.0.1:${vmPort}/health`);
    const config = `${root}/prometheus.yml`;
    await Deno.writeTextFile(
      config,
      "global:\n  scrape_interval: 1s\nscrape_configs:\n" +
        `  - job_name: node\n    static_configs: [{targets: ['127.0.0.1:${nodePort}']}]\n` +
        `  - job_name: vm\n    static_configs: [{targets: ['127.0.0.1:${vmPort}']}]\n` +
        `  - job_name: prometheus\n    static_configs: [{targets: ['127.0.0.1:${promPort}']}]\n`,
    );
    const prom = await spawn(PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${root}/prom`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      "--log.level=error",
    ], `http://127.0.0.1:${promPort}/-/ready`);
    const daemon = await scrapingDaemon(root, config, false);
    const since = Date.now();
    try {
      const carbonserver = `http://${daemon.listeners.carbonserver}`;
      const promBase = `http://127.0.0.1:${promPort}`;
      const [ours, theirs] = await Promise.all([
        scrapedTwice(carbonserver, 3, since),
        scrapedTwice(promBase, 3, since),
      ]);
      const health = (ts: PromTarget[]) =>
        Object.fromEntries(ts.map((t) => [t.labels.job, t.health]));
      assertEquals(health(ours), { node: "up", vm: "up", prometheus: "up" });
      assertEquals(health(ours), health(theirs));

      /** Prometheus' series of the job, named as carbonado names them (NaN ones are not stored). */
      const prometheusSeries = async (job: string) => {
        const q = new URLSearchParams({ query: `{job="${job}"}` });
        const vector = (await json<{
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        }>(`${promBase}/api/v1/query?${q}`)).data.result;
        return new Set(
          vector.filter((r) => r.value[1] !== "NaN").map((r) =>
            canonicalName(graphiteName(new Map(Object.entries(r.metric)), ""))
          ),
        );
      };
      const carbonadoSeries = async (job: string) =>
        new Set(await json<string[]>(`${carbonserver}/tags/findSeries?expr=job=${job}`));
      // VictoriaMetrics adds histogram buckets (`vmrange`) as requests come: the two sets are
      // compared until they agree, each side having scraped since the last bucket appeared
      for (const job of ["node", "vm"]) {
        let diff: { lacking: string[]; extra: string[] } = { lacking: [], extra: [] };
        await waitFor(
          async () => {
            const want = await prometheusSeries(job);
            const have = await carbonadoSeries(job);
            diff = {
              lacking: [...want].filter((n) => !have.has(n)),
              extra: [...have].filter((n) => !want.has(n) && !n.startsWith("scrape_")),
            };
            return diff.lacking.length === 0 && diff.extra.length === 0;
          },
          () => `${job}: the same series (last difference ${JSON.stringify(diff)})`,
        );
      }
      // Prometheus' own series change with every query made to it and every scrape it does:
      // its metric names, once both have scraped it since the names appeared
      const names = (s: Set<string>) => new Set([...s].map((n) => n.split(";")[0]));
      let lackingNames: string[] = [];
      await waitFor(
        async () => {
          const have = names(await carbonadoSeries("prometheus"));
          lackingNames = [...names(await prometheusSeries("prometheus"))].filter((n) =>
            !have.has(n)
          );
          return lackingNames.length === 0;
        },
        () => `carbonado to hold Prometheus' metric names (lacking ${lackingNames})`,
      );
      // up through /render, as graphite-web reads it
      const render = await json<{ metrics: { name: string; values: (number | null)[] }[] }>(
        `${carbonserver}/render/?format=json&from=${Math.floor(since / 1000) - 60}&target=` +
          encodeURIComponent("seriesByTag('name=up')"),
      );
      assertEquals(render.metrics.length, 3);
      for (const m of render.metrics) {
        assertEquals(m.values.filter((v) => v !== null).at(-1), 1, m.name);
      }
    } finally {
      assertEquals((await daemon.stop()).code, 0);
      await prom.stop();
      await vm.stop();
      await node.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
}));

/** A node_exporter-like body of `n` series. */
function body(n: number): string {
  let text = "# TYPE load gauge\n";
  for (let i = 0; i < n; i++) text += `load{core="${i}"} ${i}\n`;
  return text;
}

Deno.test("failing targets leave only their up = 0 report in /render and carbonlink; a 100k-series target is taken whole", async () => {
  const root = await Deno.makeTempDir({ prefix: "scrape-fail-" });
  const big = body(100_000);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/500") return new Response(body(10), { status: 500 });
    if (path === "/big") return new Response(big);
    return new Response(body(200)); // /limit
  });
  const target = `127.0.0.1:${server.addr.port}`;
  const config = `${root}/prometheus.yml`;
  await Deno.writeTextFile(
    config,
    "global: {scrape_interval: 1s}\nscrape_configs:\n" +
      `  - {job_name: e500, metrics_path: /500, static_configs: [{targets: ['${target}']}]}\n` +
      `  - {job_name: limit, metrics_path: /limit, sample_limit: 100, static_configs: [{targets: ['${target}']}]}\n` +
      `  - {job_name: big, metrics_path: /big, static_configs: [{targets: ['${target}']}]}\n`,
  );
  const daemon = await scrapingDaemon(root, config, false);
  try {
    const carbonserver = `http://${daemon.listeners.carbonserver}`;
    const targets = await scrapedTwice(carbonserver, 3, Date.now());
    const byJob = Object.fromEntries(targets.map((t) => [t.labels.job, t]));
    assertEquals([byJob.e500.health, byJob.limit.health, byJob.big.health], ["down", "down", "up"]);
    for (const job of ["e500", "limit"]) {
      const names = await json<string[]>(`${carbonserver}/tags/findSeries?expr=job=${job}`);
      assertEquals(names.map((n) => n.split(";")[0]).sort(), [
        "scrape_duration_seconds",
        "scrape_samples_post_metric_relabeling",
        "scrape_samples_scraped",
        "scrape_series_added",
        "up",
      ]);
      const render = await json<{ metrics: { name: string }[] }>(
        `${carbonserver}/render/?format=json&from=-300&target=` +
          encodeURIComponent(`seriesByTag('job=${job}','name=load')`),
      );
      assertEquals(render.metrics ?? [], []);
      // what graphite-web asks carbonlink for a series of the failed body: nothing
      const sample = `load;core=0;instance=${target};job=${job}`;
      assertEquals((await cacheQuery(daemon.port("carbonlink"), sample)).get("datapoints"), []);
    }
    const bigNames = await json<string[]>(
      `${carbonserver}/tags/findSeries?expr=job=big&expr=name=load`,
    );
    assertEquals(bigNames.length, 100_000);
    const metrics = await (await fetch(`http://${daemon.listeners.prometheus}/metrics`)).text();
    assert.match(
      metrics,
      /carbonado_scrape_failures_total\{target="limit\/[^"]+",reason="sample_limit"\} [1-9]/,
    );
    assert.match(
      metrics,
      /carbonado_scrape_failures_total\{target="e500\/[^"]+",reason="http_status"\} [1-9]/,
    );
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(requires(["graphite-web", "node_exporter"], {
  name: "graphite-web renders scraped node_exporter series through seriesByTag",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "scrape-gw-" });
    const nodePort = freePort();
    const node = await spawn(
      NODE_EXPORTER,
      [`--web.listen-address=127.0.0.1:${nodePort}`],
      `http://127.0.0.1:${nodePort}/metrics`,
    );
    const config = `${root}/prometheus.yml`;
    await Deno.writeTextFile(
      config,
      `scrape_configs:\n  - job_name: node\n    scrape_interval: 1s\n    static_configs: [{targets: ['127.0.0.1:${nodePort}']}]\n`,
    );
    const daemon = await scrapingDaemon(root, config, true);
    try {
      const carbonserver = daemon.listeners.carbonserver;
      await waitFor(
        async () =>
          (await json<string[]>(`http://${carbonserver}/tags/findSeries?expr=name=node_load1`))
            .length === 1,
        "node_load1 to be scraped",
      );
      await withGraphiteWeb(
        root,
        `CLUSTER_SERVERS = ['${carbonserver}']\nSTANDARD_DIRS = []\n` +
          `STORAGE_FINDERS = ('graphite.finders.remote.RemoteFinder',)\n` +
          `TAGDB = 'graphite.tags.http.HttpTagDB'\nTAGDB_HTTP_URL = 'http://${carbonserver}'\n`,
        async (base) => {
          const res = await json<{ target: string; tags: Record<string, string> }[]>(
            `${base}/render?format=json&from=-10min&target=` +
              encodeURIComponent("seriesByTag('job=node','name=node_load1')"),
          );
          assertEquals(res.length, 1);
          assertEquals(res[0].tags.job, "node");
          assertEquals(res[0].tags.instance, `127.0.0.1:${nodePort}`);
        },
      );
    } finally {
      assertEquals((await daemon.stop()).code, 0);
      await node.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
}));

Deno.test("SIGHUP reloads the scrape configuration", async () => {
  const root = await Deno.makeTempDir({ prefix: "scrape-hup-" });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body(3)),
  );
  const target = `127.0.0.1:${server.addr.port}`;
  const config = `${root}/prometheus.yml`;
  const jobs = (...names: string[]) =>
    "global: {scrape_interval: 1s}\nscrape_configs:\n" +
    names.map((n) => `  - {job_name: ${n}, static_configs: [{targets: ['${target}']}]}\n`).join("");
  await Deno.writeTextFile(config, jobs("first"));
  const daemon = await scrapingDaemon(root, config, false);
  try {
    const carbonserver = `http://${daemon.listeners.carbonserver}`;
    const pools = async () =>
      (await json<{ data: { activeTargets: { scrapePool: string }[] } }>(
        `${carbonserver}/api/v1/targets`,
      )).data.activeTargets.map((t) => t.scrapePool).sort().join();
    assertEquals(await pools(), "first");
    await Deno.writeTextFile(config, jobs("first", "second"));
    daemon.child.kill("SIGHUP");
    await waitFor(async () => (await pools()) === "first,second", "the reload");
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
