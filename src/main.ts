// Entry point: argv and config -> App; SIGTERM and SIGINT stop it cleanly.

import { App } from "./app.ts";
import { parseArgs, runCommand } from "./cli.ts";
import { loadConfig } from "./config/load.ts";
import { configureLogging, Logger } from "./log/logger.ts";

const log = new Logger("main");

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(Deno.args);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    Deno.stderr.writeSync(new TextEncoder().encode(`${msg}\n`));
    return 2;
  }
  const code = await runCommand(args);
  if (code !== undefined) return code;

  let loaded;
  try {
    loaded = await loadConfig({ file: args.configFile });
  } catch (err) {
    log.error("cannot start: bad configuration", { err });
    return 1;
  }
  const { config, warnings } = loaded;
  configureLogging({ level: config.logging[0]?.level ?? "info" });
  for (const warning of warnings) log.warn(warning);

  const app = await App.create(config);
  app.start();
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      Deno.removeSignalListener("SIGTERM", onSignal);
      Deno.removeSignalListener("SIGINT", onSignal);
      resolve();
    };
    Deno.addSignalListener("SIGTERM", onSignal);
    Deno.addSignalListener("SIGINT", onSignal);
  });
  await app.stop();
  return 0;
}

Deno.exit(await main());
