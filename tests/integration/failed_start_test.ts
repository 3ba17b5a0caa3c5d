// A start that fails leaves nothing behind: a busy port stops it after the WAL and the persister
// are up, and still no file (no own metrics, no tagged series log) lands in the data dir.

import { assert, assertEquals } from "../_util/assert.ts";
import { startDaemon } from "../_util/daemon.ts";
import { listFiles } from "../_util/carbon_cache.ts";

Deno.test("a start failing on a busy port writes no files into data-dir", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "carbonado_failed_start_" });
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const message = await startDaemon({
      dataDir,
      // the last listener to bind: everything before it has started
      env: { CARBONADO_CARBONLINK_LISTEN: `127.0.0.1:${busy.addr.port}` },
    }).then(() => "", (err: Error) => err.message);
    assert.ok(message.includes(`Cannot listen on carbonlink.listen`), message);
    assertEquals(await listFiles(dataDir), []);
    assertEquals([...Deno.readDirSync(dataDir)].map((e) => e.name), []);
  } finally {
    busy.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
