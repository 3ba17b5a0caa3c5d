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
    app = await App.create(config, { warnings });
  } catch (err) {
    log.error("cannot start", { err });
    return 1;
  }
  // Listen for signals before announcing "started": a signal in between would otherwise take
  // its default action and end the process without writing the cache out.
  const reload = () => app.reload();
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => stopRequested = resolve);
  const onStop = () => stopRequested();
  Deno.addSignalListener("SIGHUP", reload);
  Deno.addSignalListener("SIGTERM", onStop);
  Deno.addSignalListener("SIGINT", onStop);
  let exitCode = 0;
  try {
    app.start();
  } catch (err) {
    log.error("cannot start", { err });
    exitCode = 1;
    stopRequested();
  }
  await stopping;
  Deno.removeSignalListener("SIGTERM", onStop);
  Deno.removeSignalListener("SIGINT", onStop);
  Deno.removeSignalListener("SIGHUP", reload);
  await app.stop();
  return exitCode;
}

Deno.exit(await main());
