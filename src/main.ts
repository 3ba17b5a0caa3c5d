// Entry point: argv and config -> App; SIGTERM and SIGINT stop it after writing the cache out,
// SIGHUP re-reads the storage rules.

import { App } from "./app.ts";
import { parseArgs, runCommand } from "./cli.ts";
import { loadConfig } from "./config/load.ts";
import { configureLoggers, Logger } from "./log/logger.ts";

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

  let app: App;
  try {
    const { config, warnings } = await loadConfig({ file: args.configFile });
    configureLoggers(config.logging);
    for (const warning of warnings) log.warn(warning);
    app = await App.create(config);
  } catch (err) {
    log.error("cannot start", { err });
    return 1;
  }
  try {
    app.start();
  } catch (err) {
    log.error("cannot start", { err });
    await app.stop();
    return 1;
  }
  const reload = () => app.reload();
  Deno.addSignalListener("SIGHUP", reload);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      Deno.removeSignalListener("SIGTERM", onSignal);
      Deno.removeSignalListener("SIGINT", onSignal);
      resolve();
    };
    Deno.addSignalListener("SIGTERM", onSignal);
    Deno.addSignalListener("SIGINT", onSignal);
  });
  Deno.removeSignalListener("SIGHUP", reload);
  await app.stop();
  return 0;
}

Deno.exit(await main());
