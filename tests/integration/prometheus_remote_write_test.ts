// Debian's Prometheus 2.42 writing to carbonado: it scrapes itself every second and sends its
// samples with remote_write to /api/v1/write; its own metrics must land in Whisper files as
// carbon tagged series (`__name__` the path, the other labels tags, carbon's `_tagged/` file),
// and every request must be answered 204 (metadata-only ones included).

import { assert, assertEquals } from "../_util/assert.ts";
import { fetchText, startDaemon } from "../_util/daemon.ts";
import { freePort, waitFor } from "../_util/net.ts";
import { metricPath } from "../../src/storage/metric_path.ts";
import { WhisperCorruptionError } from "../../src/whisper/errors.ts";
import { fetch as fetchWhisper } from "../../src/whisper/whisper_file.ts";
import { requires, TOOLS } from "../_util/requires.ts";

const PROMETHEUS = TOOLS.prometheus.path;

Deno.test(requires("prometheus", {
  name: "Prometheus 2.42 remote_write: its own metrics land in Whisper as tagged series",
  async fn() {
    const root = await Deno.makeTempDir();
    const dataDir = `${root}/whisper`;
    await Deno.writeTextFile(`${root}/schemas.conf`, "[all]\npattern = .*\nretentions = 1s:1h\n");
    const daemon = await startDaemon({
      dataDir,
      env: { CARBONADO_WHISPER_SCHEMAS_FILE: `${root}/schemas.conf` },
    });
    const port = freePort();
    await Deno.writeTextFile(
      `${root}/prometheus.yml`,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n` +
        `scrape_configs:\n  - job_name: prometheus\n` +
        `    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n` +
        `remote_write:\n  - url: http://${daemon.listeners["http-ingest"]}/api/v1/write\n` +
        `    queue_config:\n      batch_send_deadline: 1s\n` +
        `    metadata_config:\n      send_interval: 1s\n`,
    );
    const prometheus = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${root}/prometheus.yml`,
        `--storage.tsdb.path=${root}/tsdb`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const base = `http://${daemon.listeners.carbonserver}`;
      const findSeries = async (expr: string): Promise<string[]> =>
        await (await fetch(`${base}/tags/findSeries?expr=${encodeURIComponent(expr)}`)).json();
      let names: string[] = [];
      await waitFor(
        async () => {
          names = await findSeries("name=prometheus_build_info");
          return names.length === 1;
        },
        "prometheus_build_info in carbonado's tag index",
      );
      const name = names[0];
      assert(name.startsWith("prometheus_build_info;"), name);
      assert(name.includes(";job=prometheus"), name);
      assert(name.includes(`;instance=127.0.0.1:${port}`), name);
      assert(name.includes(";version=2.42.0"), name);
      // the persister writes carbon's _tagged/ file; its points are the scraped value, 1
      const up = `up;instance=127.0.0.1:${port};job=prometheus`;
      for (const series of [name, up]) {
        const file = metricPath(dataDir, series);
        assert(file.includes("/_tagged/"), file);
        let values: (number | null)[] = [];
        await waitFor(
          () => {
            const now = Math.floor(Date.now() / 1000);
            try {
              values = fetchWhisper(file, now - 300, { now })?.values.filter((v) => v !== null) ??
                [];
            } catch (error) {
              // Not there yet, or read while the persister creates it (its header not yet written:
              // seen on a loaded machine); a file that stays broken fails the wait.
              if (error instanceof Deno.errors.NotFound) return false;
              if (error instanceof WhisperCorruptionError) return false;
              throw error;
            }
            return values.length >= 2;
          },
          `${series} in ${file}`,
        );
        assert(values.every((v) => v === 1), `${series}: ${values}`);
      }
      const page = await fetchText(`http://${daemon.listeners.prometheus}/metrics`);
      const codes = page.split("\n")
        .filter((l) => l.startsWith('carbonado_http_ingest_responses_total{route="/api/v1/write"'));
      assertEquals(codes.length, 1, codes.join("\n"));
      assert(codes[0].includes('code="204"'), codes[0]);
    } finally {
      prometheus.kill("SIGTERM");
      await prometheus.status;
      await daemon.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
}));
