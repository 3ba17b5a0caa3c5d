// Entry point: argv and config -> App; SIGTERM and SIGINT stop it after writing the cache out
// (a repeated one is logged and ignored), SIGQUIT ends it at once, SIGHUP re-reads the storage
// rules.

import { App } from "./app.ts";
import { parseArgs, runCommand } from "./cli.ts";
import { loadConfig } from "./config/load.ts";
import { configureLoggers, Logger } from "./log/logger.ts";

const log = new Logger("main");

/** The exit status after SIGQUIT: 128 + 3, as a shell reports a process ended by it. */
const QUIT_EXIT_CODE = 131;

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
  // its default action and end the process without writing the cache out. The listeners stay
  // until the process exits: a stop is often signalled twice (to the process group, and again
  // by `deno task`, which forwards it), and a second signal's default action in the middle of
  // the flush would lose the cache and could tear a file (issue 9).
  const reload = () => app.reload();
  let stopRequested!: () => void;
  const stopping = new Promise<void>((resolve) => stopRequested = resolve);
  let stopSignal: Deno.Signal | undefined;
  const onStop = (signal: Deno.Signal) => () => {
    if (stopSignal) {
      log.info("already stopping: signal ignored (SIGQUIT exits at once)", { signal });
      return;
    }
    stopSignal = signal;
    log.info("stopping", { signal });
    stopRequested();
  };
  Deno.addSignalListener("SIGHUP", reload);
  Deno.addSignalListener("SIGTERM", onStop("SIGTERM"));
  Deno.addSignalListener("SIGINT", onStop("SIGINT"));
  Deno.addSignalListener("SIGQUIT", () => {
    log.warn("SIGQUIT: exiting at once, without writing the cache out");
    Deno.exit(QUIT_EXIT_CODE);
  });
  let exitCode = 0;
  try {
    app.start();
  } catch (err) {
    log.error("cannot start", { err });
    exitCode = 1;
    stopSignal = "SIGTERM"; // a signal from now on is a repeat
    stopRequested();
  }
  await stopping;
  await app.stop();
  return exitCode;
}

Deno.exit(await main());
