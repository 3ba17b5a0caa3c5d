// A broken whisper.py oracle reports python's own error (an ImportError here), not the closed
// pipe it leaves behind.

import { assert } from "./assert.ts";
import { requires } from "./requires.ts";
import { PythonWhisper, WhisperOracle } from "./whisper_oracle.ts";

Deno.test(requires("python3", {
  name: "a whisper.py that cannot be imported fails the call with python's ImportError",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/whisper.py`, "raise ImportError('no whisper here')\n");
      const oracle = new WhisperOracle(new PythonWhisper({ PYTHONPATH: dir }));
      let message = "";
      try {
        await oracle.info(`${dir}/a.wsp`);
      } catch (error) {
        message = (error as Error).message;
      }
      assert(message.includes("ImportError: no whisper here"), message);
      assert(message.includes("exited with code 1"), message);
      await oracle.close().catch(() => {});
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
