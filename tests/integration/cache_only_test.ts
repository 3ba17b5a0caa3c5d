// [whisper] enabled = false: go-carbon's cache-only mode. Nothing reaches the data directory;
// queries answer from the cache.

import { assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { cacheQuery } from "../_util/carbonlink_client.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { pickleTuple } from "../../src/protocol/pickle_decode.ts";

Deno.test("daemon with whisper disabled writes nothing and answers carbonlink from the cache", async () => {
  const dataDir = await Deno.makeTempDir();
  const daemon = await startDaemon({ dataDir, env: { CARBONADO_WHISPER_ENABLED: "false" } });
  try {
    await sendTcp(daemon.port("tcp"), "only.in.cache 42 1700000000\n");
    let datapoints: unknown = [];
    await waitFor(async () => {
      datapoints = (await cacheQuery(daemon.port("carbonlink"), "only.in.cache")).get("datapoints");
      return (datapoints as unknown[]).length > 0;
    });
    assertEquals(datapoints, [pickleTuple(1700000000, 42)]);
  } finally {
    assertEquals((await daemon.stop()).code, 0);
  }
  const entries = [];
  for await (const e of Deno.readDir(dataDir)) entries.push(e.name);
  assertEquals(entries, [], "nothing in the data directory");
  await Deno.remove(dataDir, { recursive: true });
});
