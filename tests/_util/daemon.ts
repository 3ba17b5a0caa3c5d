// Runs the real daemon (src/main.ts) as a child process on free ports, for integration tests
// and the end-to-end benchmark. Listeners bind port 0; their addresses come from the "started"
// log line.

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/**
 * What `deno task start` runs the daemon with beyond permissions (deno.json): its environment
 * assignments (the allocator's) and its `--v8-flags`, so that tests and benchmarks run the
 * daemon as it is deployed.
 */
export const START_RUNTIME: { env: Record<string, string>; v8Flags: string[] } = (() => {
  const deno = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)));
  const words: string[] = deno.tasks.start.command.split(/\s+/);
  const env: Record<string, string> = {};
  for (const word of words) {
    const m = /^([A-Z_]+)=(.*)$/.exec(word);
    if (!m) break;
    env[m[1]] = m[2];
  }
  return { env, v8Flags: words.filter((w) => w.startsWith("--v8-flags=")) };
})();

/** Every listener on a free loopback port. */
export const LISTEN_ON_FREE_PORTS: Record<string, string> = {
  CARBONADO_TCP_LISTEN: "127.0.0.1:0",
  CARBONADO_UDP_LISTEN: "127.0.0.1:0",
  CARBONADO_PICKLE_LISTEN: "127.0.0.1:0",
  CARBONADO_CARBONLINK_LISTEN: "127.0.0.1:0",
  CARBONADO_CARBONSERVER_LISTEN: "127.0.0.1:0",
  CARBONADO_PROMETHEUS_LISTEN: "127.0.0.1:0",
  CARBONADO_HTTP_INGEST_LISTEN: "127.0.0.1:0",
  CARBONADO_INFLUX_LISTEN: "127.0.0.1:0",
  CARBONADO_OPENTSDB_LISTEN: "127.0.0.1:0",
};

/** A running daemon. */
export interface Daemon {
  child: Deno.ChildProcess;
  /** Bound addresses by listener name, as logged at start. */
  listeners: Record<string, string>;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** The port of a listener. */
  port(name: string): number;
  /** Sends SIGTERM and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts the daemon with `env` on top of defaults that put every listener on port 0. Unless
 * `env` names a CARBONADO_WAL_DIR, the log goes to a temporary directory removed at stop().
 */
export async function startDaemon(
  opts: {
    env?: Record<string, string>;
    args?: string[];
    dataDir: string;
    /** Run under `ulimit -n fdLimit`. */
    fdLimit?: number;
  },
): Promise<Daemon> {
  const ownWal = opts.env?.CARBONADO_WAL_DIR === undefined
    ? await Deno.makeTempDir({ prefix: "carbonado-wal-" })
    : undefined;
  const env: Record<string, string> = {
    ...START_RUNTIME.env,
    ...(ownWal ? { CARBONADO_WAL_DIR: ownWal } : {}),
    ...LISTEN_ON_FREE_PORTS,
    CARBONADO_WHISPER_DATA_DIR: opts.dataDir,
    ...opts.env,
  };
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    ...START_RUNTIME.v8Flags,
    MAIN,
    ...(opts.args ?? []),
  ];
  // under an open-file limit, through the shell's ulimit (Deno keeps a hard limit as it is)
  const command = opts.fdLimit === undefined
    ? new Deno.Command(Deno.execPath(), { args, env, stdout: "piped", stderr: "inherit" })
    : new Deno.Command("bash", {
      args: ["-c", `ulimit -n ${opts.fdLimit} && exec "$0" "$@"`, Deno.execPath(), ...args],
      env,
      stdout: "piped",
      stderr: "inherit",
    });
  const child = command.spawn();
  const logs: Record<string, unknown>[] = [];
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines());
  const reader = lines.getReader();
  let listeners: Record<string, string> | undefined;
  while (!listeners) {
    const { value, done } = await reader.read();
    if (done) {
      const { code } = await child.status;
      if (ownWal) await Deno.remove(ownWal, { recursive: true });
      throw new Error(`daemon exited with code ${code} before starting: ${JSON.stringify(logs)}`);
    }
    const entry = JSON.parse(value);
    logs.push(entry);
    if (entry.msg === "started") listeners = entry.listeners;
  }
  const pumping = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      logs.push(JSON.parse(value));
    }
  })();
  return {
    child,
    listeners,
    logs,
    port(name) {
      const addr = listeners![name];
      if (!addr) throw new Error(`no ${name} listener in ${JSON.stringify(listeners)}`);
      return Number(addr.slice(addr.lastIndexOf(":") + 1));
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      const status = await child.status;
      await pumping;
      if (ownWal) await Deno.remove(ownWal, { recursive: true });
      return status;
    },
  };
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, ctl) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p.trim()) ctl.enqueue(p);
    },
    flush(ctl) {
      if (rest.trim()) ctl.enqueue(rest);
    },
  });
}

/** Fetches a URL and returns the body text. */
export async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  return await res.text();
}

/** Reads one sample's value from a Prometheus text page, or undefined. */
export function promValue(page: string, series: string): number | undefined {
  for (const line of page.split("\n")) {
    if (line.startsWith(series + " ")) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
