// The logger: JSON lines, levels, and go-carbon's [[logging]] routes.

import { assert, assertEquals, assertThrows } from "../_util/assert.ts";
import { configureLoggers, configureLogging, Logger, RateLimiter } from "../../src/log/logger.ts";

function capture(): { lines: Record<string, unknown>[]; sink: (line: string) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, sink: (line) => lines.push(JSON.parse(line)) };
}

Deno.test("Logger writes one JSON object per line with ts, level, logger, msg and fields", () => {
  const out = capture();
  configureLogging({ level: "info", sink: out.sink });
  const log = new Logger("unit");
  log.debug("hidden");
  log.warn("shown", { peer: "1.2.3.4:5", err: new RangeError("bad") });
  assertEquals(out.lines.length, 1);
  const [line] = out.lines;
  assertEquals([line.level, line.logger, line.msg, line.peer, line.err], [
    "warn",
    "unit",
    "shown",
    "1.2.3.4:5",
    "RangeError: bad",
  ]);
  assert.ok(!Number.isNaN(Date.parse(line.ts as string)));
});

Deno.test("configureLoggers() routes a named logger to its own file and level", async () => {
  const dir = await Deno.makeTempDir();
  try {
    configureLoggers([
      { logger: "", file: "none", level: "error" },
      { logger: "persister", file: `${dir}/persister.log`, level: "debug" },
    ]);
    new Logger("persister").debug("to the file");
    new Logger("tcp").warn("dropped: below error");
    const text = await Deno.readTextFile(`${dir}/persister.log`);
    assertEquals(text.trim().split("\n").map((l) => JSON.parse(l).msg), ["to the file"]);
  } finally {
    configureLoggers([{ logger: "", file: "none", level: "info" }]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configureLoggers() names logging.file when the file cannot be opened", () => {
  assertThrows(
    () => configureLoggers([{ logger: "", file: "/nonexistent-dir/x.log", level: "info" }]),
    Deno.errors.NotFound,
    'logging.file "/nonexistent-dir/x.log"',
  );
});

Deno.test("RateLimiter lets a burst through per interval and reports what it suppressed", () => {
  const limit = new RateLimiter(2, 1000);
  assertEquals([limit.allow(0), limit.allow(1), limit.allow(2), limit.allow(3)], [0, 0, -1, -1]);
  assertEquals(limit.allow(1000), 2);
});
