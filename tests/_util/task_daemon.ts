// Runs the daemon as the README says, `deno task start` from the repository, in a process
// group of its own (setsid), configured through the environment: what a service manager, a
// container runtime or Ctrl-C in a terminal then signals is the task runner, or its group.

import { LISTEN_ON_FREE_PORTS } from "./daemon.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A `deno task start` running in its own process group. */
export interface TaskDaemon {
  /** The `deno task` process, leader of the group. */
  child: Deno.ChildProcess;
  /** Bound addresses by listener name, as logged at start. */
  listeners: Record<string, string>;
  /** The daemon's log lines so far, parsed. */
  logs: Record<string, unknown>[];
  /** Sends `signal` to the task runner alone, or to its whole process group. */
  signal(signal: Deno.Signal, to: "runner" | "group"): void;
  /** Waits for the task runner's exit and the end of its output. */
  exited(): Promise<Deno.CommandStatus>;
}

/** Starts `deno task start` with `env` (on top of every listener on a free port). */
export async function startTask(env: Record<string, string>): Promise<TaskDaemon> {
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "task", "start"],
    cwd: ROOT,
    env: { ...LISTEN_ON_FREE_PORTS, ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const logs: Record<string, unknown>[] = [];
  let listeners: Record<string, string> | undefined;
  let started!: () => void;
  const isStarted = new Promise<void>((resolve) => started = resolve);
  const pumping = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line);
        logs.push(entry);
        if (entry.msg === "started") {
          listeners = entry.listeners;
          started();
        }
      }
    }
  })();
  const ended = child.status;
  await Promise.race([isStarted, ended]);
  if (!listeners) {
    await pumping;
    throw new Error(`deno task start ended before starting: ${await stderr}`);
  }
  return {
    child,
    listeners,
    logs,
    signal: (signal, to) => Deno.kill(to === "group" ? -child.pid : child.pid, signal),
    async exited() {
      const status = await ended;
      await pumping;
      await stderr;
      return status;
    },
  };
}
