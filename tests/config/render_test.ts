// renderConfig(): the printed config reads back to the same Config with no warnings.

import assert from "node:assert/strict";
import { defaultConfig } from "../../src/config/config.ts";
import { loadConfig } from "../../src/config/load.ts";
import { defaultConfigToml, renderConfig } from "../../src/config/render.ts";
import { SCHEMA } from "../../src/config/schema.ts";

async function loadText(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_render_" });
  try {
    const file = `${dir}/carbonado.toml`;
    await Deno.writeTextFile(file, text);
    return await loadConfig({ file, env: {} });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the default config printed as TOML loads back unchanged and without warnings", async () => {
  assert.deepEqual(await loadText(defaultConfigToml()), { config: defaultConfig(), warnings: [] });
});

Deno.test("a changed config printed as TOML loads back unchanged", async () => {
  const config = defaultConfig();
  config.common.metricInterval = 30_500;
  config.common.metricEndpoint = "udp://127.0.0.1:2003";
  config.whisper.dataDir = 'C:\\carbon "data"';
  config.whisper.workers = 16;
  config.whisper.flock = true;
  config.cache.writeStrategy = "noop";
  config.tcp.readTimeout = 0.25;
  config.carbonserver.enabled = false;
  config.logging = [
    { logger: "", file: "/var/log/carbonado.log", level: "warn", encoding: "json" },
    { logger: "persister", file: "stderr", level: "debug", encoding: "console" },
  ];
  assert.deepEqual(await loadText(renderConfig(config)), { config, warnings: [] });
});

Deno.test("the printed default config lays out go-carbon's sections in go-carbon's order", () => {
  const text = defaultConfigToml();
  const headers = text.split("\n").filter((l) => l.startsWith("["));
  assert.deepEqual(headers, [
    "[common]",
    "[whisper]",
    "[cache]",
    "[udp]",
    "[tcp]",
    "[pickle]",
    "[carbonlink]",
    "[tags]",
    "[carbonserver]",
    "[wal]",
    "[relay]",
    "[scrape]",
    "[prometheus]",
    "[influx]",
    "[opentsdb]",
    "[http-ingest]",
    "[[logging]]",
  ]);
  const keys = SCHEMA.filter((s) =>
    s.implemented && s.field !== undefined && s.section !== "" && s.deprecatedFor === undefined
  );
  for (const spec of keys) {
    assert.match(text, new RegExp(`^${spec.key} = `, "m"), spec.name);
  }
  assert.match(text, /^metric-interval = "1m0s"$/m);
  assert.match(text, /^# go-carbon keys accepted and ignored: buffer-size$/m);
  assert.match(text, /^# go-carbon sections carbonado ignores: \[receiver.<name>\]/m);
  for (const line of text.split("\n")) assert.ok(line.length <= 100, line);
});
