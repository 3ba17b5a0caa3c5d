// The exposition case table against Prometheus 2.42 itself: every case body is served by the
// test, Prometheus scrapes them all, and its `up` for each says whether the body parses (a case
// the table marks as an error must be down, any other up). Skipped loudly without Prometheus.

import { assertEquals } from "../_util/assert.ts";
import { freePort, waitFor } from "../_util/net.ts";
import { EXPOSITION_CASES } from "../protocol/exposition_cases.ts";
import { requires, TOOLS } from "../_util/requires.ts";

const PROMETHEUS = TOOLS.prometheus.path;

const CONTENT_TYPES = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

Deno.test(requires("prometheus", {
  name: "Prometheus 2.42 fails exactly the case bodies the table marks as errors",
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "prom-cases-" });
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const c = EXPOSITION_CASES[Number(new URL(req.url).pathname.split("/")[2])];
      return new Response(c.body, { headers: { "content-type": CONTENT_TYPES[c.format] } });
    });
    const address = `127.0.0.1:${server.addr.port}`;
    const groups = EXPOSITION_CASES.map((_, i) =>
      `      - {targets: ['${address}'], labels: {__metrics_path__: /case/${i}, case: '${i}'}}\n`
    ).join("");
    await Deno.writeTextFile(
      `${root}/prometheus.yml`,
      `scrape_configs:\n  - job_name: cases\n    scrape_interval: 1s\n    static_configs:\n${groups}`,
    );
    const port = freePort();
    const child = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${root}/prometheus.yml`,
        `--storage.tsdb.path=${root}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=error",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      type Target = { labels: Record<string, string>; health: string };
      let targets: Target[] = [];
      await waitFor(
        async () => {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets`);
            targets = (await res.json()).data.activeTargets;
          } catch {
            return false;
          }
          return targets.length === EXPOSITION_CASES.length &&
            targets.every((t) => t.health !== "unknown");
        },
        "Prometheus to scrape every case",
      );
      const got = Object.fromEntries(
        targets.map((t) => [EXPOSITION_CASES[Number(t.labels.case)].name, t.health]),
      );
      const want = Object.fromEntries(
        EXPOSITION_CASES.map((c) => [c.name, c.error ? "down" : "up"]),
      );
      assertEquals(got, want);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await server.shutdown();
      await Deno.remove(root, { recursive: true });
    }
  },
}));
