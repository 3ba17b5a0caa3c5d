// The tagged-name table fed to Debian's carbon 1.1.7 and to carbonado over plaintext TCP: both
// must create exactly the same Whisper file paths (`_tagged/<h[0:3]>/<h[3:6]>/<sha256>.wsp` for
// tagged names, the plain path for the rest). Skipped where graphite-carbon is not installed.

import { assertEquals } from "../_util/assert.ts";
import { listFiles, withCarbonCache } from "../_util/carbon_cache.ts";
import { startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import { TAG_CASES, tagCaseBytes } from "./tagged_name_cases.ts";
import { requires } from "../_util/requires.ts";

const enc = new TextEncoder();

Deno.test(requires("carbon", {
  name: "carbon 1.1.7 and carbonado store the tagged-name table under the same file paths",
  async fn() {
    const root = await Deno.makeTempDir();
    const now = Math.floor(Date.now() / 1000);
    const cases = TAG_CASES.filter((c) => c.notCarbon === undefined && c.reason !== "bad_utf8");
    const lines = (list: typeof TAG_CASES) =>
      Uint8Array.from(list.flatMap((c) => [...tagCaseBytes(c), ...enc.encode(` 1 ${now}\n`)]));
    const stored = new Set(cases.flatMap((c) => c.stored === undefined ? [] : [c.stored]));
    const wsp = (files: string[]) => files.filter((f) => f.endsWith(".wsp"));

    let carbonFiles: string[] = [];
    await withCarbonCache(`${root}/carbon`, async (port, dataDir) => {
      await sendTcp(port, lines(cases));
      await waitFor(async () => wsp(await listFiles(dataDir)).length >= stored.size);
      // names that are not UTF-8: carbon drops the connection, nothing is stored
      await sendTcp(port, lines(TAG_CASES.filter((c) => c.reason === "bad_utf8")));
      await sendTcp(port, `after.utf8 1 ${now}\n`);
      await waitFor(async () => (await listFiles(dataDir)).includes("after/utf8.wsp"));
      carbonFiles = wsp(await listFiles(dataDir)).filter((f) => f !== "after/utf8.wsp");
    });

    const dataDir = `${root}/carbonado`;
    const daemon = await startDaemon({ dataDir });
    try {
      await sendTcp(daemon.port("tcp"), lines(TAG_CASES));
      await waitFor(async () => {
        try {
          return wsp(await listFiles(dataDir)).length >= stored.size;
        } catch {
          return false;
        }
      });
      const ours = wsp(await listFiles(dataDir));
      assertEquals(ours.filter((f) => !carbonFiles.includes(f)), [], "only carbonado's");
      assertEquals(carbonFiles.filter((f) => !ours.includes(f)), [], "only carbon's");
      assertEquals(carbonFiles.length, stored.size);
    } finally {
      await daemon.stop();
    }
  },
}));
