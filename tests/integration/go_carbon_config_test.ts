// The daemon started with go-carbon's own example config: warnings naming the keys carbonado does
// not implement (turned on, left off), then it runs; SIGHUP reloads the storage rules.

import { assert, assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { waitFor } from "../_util/net.ts";

const EXAMPLE = new URL("../fixtures/config/go-carbon.conf.example", import.meta.url).pathname;

Deno.test("daemon runs go-carbon's example config with a warning line each for unimplemented keys on and off", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({
    dataDir,
    args: ["--config", EXAMPLE],
    env: {
      // the example's paths exist on a go-carbon host, not here
      CARBONADO_WHISPER_SCHEMAS_FILE: "",
      CARBONADO_WHISPER_AGGREGATION_FILE: "",
      CARBONADO_LOGGING_FILE: "stdout",
    },
  });
  try {
    const warnings = daemon.logs.filter((l) => l.level === "warn").map((l) => String(l.msg));
    assertEquals(warnings.length, 2, JSON.stringify(warnings));
    const [on, off] = warnings;
    assert.ok(on.startsWith("unimplemented config keys ignored, their features turned on"), on);
    assert.ok(off.startsWith("unimplemented config keys ignored, their features left off"), off);
    assert.ok(on.includes("grpc.enabled"), on);
    for (const key of ["dump.enabled", "pprof.listen"]) assert.ok(off.includes(key), key);

    daemon.child.kill("SIGHUP");
    await waitFor(() => daemon.logs.some((l) => l.msg === "storage rules reloaded"));
  } finally {
    assertEquals((await daemon.stop()).code, 0);
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("daemon refuses to start on a missing storage-aggregation.conf, naming the key", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const message = await startDaemon({
      dataDir,
      env: { CARBONADO_WHISPER_AGGREGATION_FILE: `${dataDir}/missing.conf` },
    }).then(() => "", (err: Error) => err.message);
    assert.ok(
      message.includes(`Cannot read whisper.aggregation-file \\"${dataDir}/missing.conf`),
      message,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("daemon refuses to start on a bad value, naming the key", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    let message = "";
    try {
      await startDaemon({ dataDir, env: { CARBONADO_CACHE_WRITE_STRATEGY: "fastest" } });
    } catch (err) {
      message = (err as Error).message;
    }
    assert.ok(message.includes("CARBONADO_CACHE_WRITE_STRATEGY"), message);
    assert.ok(message.includes("expected one of max, sorted, noop"), message);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
