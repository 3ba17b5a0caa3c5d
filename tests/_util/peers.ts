// Debian's remote_write receivers, started by tests on free ports with temporary directories:
// VictoriaMetrics 1.79 and Prometheus 2.42 (--web.enable-remote-write-receiver). Each can be
// stopped and started again on the same port and data, and read back: VictoriaMetrics through
// /api/v1/export (after /internal/force_flush), Prometheus through a range-vector query, which
// returns the raw samples.

import { freePort, waitFor } from "./net.ts";
import { TOOLS } from "./requires.ts";

export const VICTORIA_METRICS = TOOLS["victoria-metrics"].path;
export const PROMETHEUS = TOOLS.prometheus.path;

/** A sample read back. */
export interface PeerSample {
  t: number;
  v: number;
}

/** A receiver under test. */
export interface Peer {
  /** The remote_write URL. */
  url: string;
  /** Samples of every series whose name matches `regex`, by name (labels beyond it ignored). */
  read(regex: string): Promise<Map<string, PeerSample[]>>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

async function ready(url: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        const res = await fetch(url);
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    },
    what,
  );
}

/** A peer's process: started, stopped and started again on the same port and data. */
function controller(cmd: string, args: string[], readyUrl: string, what: string) {
  let child: Deno.ChildProcess | undefined;
  return {
    pid: () => child!.pid,
    async start() {
      child = new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).spawn();
      await ready(readyUrl, what);
    },
    async stop() {
      child?.kill("SIGTERM");
      await child?.status;
      child = undefined;
    },
  };
}

/**
 * Starts VictoriaMetrics on a free port with a temporary data directory (under `opts.root`
 * when given: benchmarks put it on a tmpfs); `opts.start: false` only prepares it.
 */
export async function startVictoriaMetrics(
  opts: { root?: string; start?: boolean } = {},
): Promise<Peer & { base: string; pid(): number }> {
  const dir = await Deno.makeTempDir({ prefix: "vm-", dir: opts.root });
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = controller(
    VICTORIA_METRICS,
    [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, "-loggerLevel=ERROR"],
    `${base}/health`,
    "VictoriaMetrics to start",
  );
  const peer = {
    url: `${base}/api/v1/write`,
    base,
    ...proc,
    async close() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true });
    },
    async read(regex: string) {
      await (await fetch(`${base}/internal/force_flush`)).body?.cancel();
      const q = new URLSearchParams({ "match[]": `{__name__=~"${regex}"}` });
      const text = await (await fetch(`${base}/api/v1/export?${q}`)).text();
      const out = new Map<string, PeerSample[]>();
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const row = JSON.parse(line) as {
          metric: Record<string, string>;
          values: number[];
          timestamps: number[];
        };
        const list = out.get(row.metric.__name__) ?? [];
        row.values.forEach((v, i) => list.push({ t: row.timestamps[i], v }));
        out.set(row.metric.__name__, list.sort((a, b) => a.t - b.t));
      }
      return out;
    },
  };
  if (opts.start !== false) await peer.start();
  return peer;
}

/** Starts Prometheus (remote-write receiver on, nothing scraped) on a free port. */
export async function startPrometheus(): Promise<Peer> {
  const dir = await Deno.makeTempDir({ prefix: "prom-" });
  const config = `${dir}/prometheus.yml`;
  await Deno.writeTextFile(config, "global: {}\n");
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = controller(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--log.level=error",
    ],
    `${base}/-/ready`,
    "Prometheus to start",
  );
  const peer: Peer = {
    url: `${base}/api/v1/write`,
    start: proc.start,
    stop: proc.stop,
    async close() {
      await proc.stop();
      await Deno.remove(dir, { recursive: true });
    },
    async read(regex) {
      const q = new URLSearchParams({
        query: `{__name__=~"${regex}"}[1d]`,
        time: String(Date.now() / 1000),
      });
      const body = await (await fetch(`${base}/api/v1/query?${q}`)).json() as {
        data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
      };
      const out = new Map<string, PeerSample[]>();
      for (const r of body.data.result) {
        const list = out.get(r.metric.__name__) ?? [];
        for (const [t, v] of r.values) list.push({ t: Math.round(t * 1000), v: Number(v) });
        out.set(r.metric.__name__, list.sort((a, b) => a.t - b.t));
      }
      return out;
    },
  };
  await peer.start();
  return peer;
}
