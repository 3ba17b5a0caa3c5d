// Debian's VictoriaMetrics 1.79 as a reference peer for tests and benchmarks: started on free
// ports with a temp storage directory (Influx TCP+UDP, OpenTSDB telnet+HTTP, HTTP), read back
// with /api/v1/export, stopped with SIGTERM.

import { waitFor } from "./net.ts";
import { canonicalName } from "../../src/tags/tagged_name.ts";
import { TOOLS } from "./requires.ts";

export const VICTORIA = TOOLS["victoria-metrics"].path;

/** A port free for both TCP and UDP on 127.0.0.1. */
export function freeTcpUdpPort(): number {
  while (true) {
    const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = tcp.addr.port;
    try {
      Deno.listenDatagram({ hostname: "127.0.0.1", port, transport: "udp" }).close();
      return port;
    } catch {
      // taken for UDP: try another
    } finally {
      tcp.close();
    }
  }
}

/** A running VictoriaMetrics. */
export interface Victoria {
  pid: number;
  http: number;
  influx: number;
  opentsdb: number;
  /** Every series it holds, as carbon names (tags in carbon's order) with [seconds, value]. */
  series(): Promise<Map<string, [number, number][]>>;
  stop(): Promise<void>;
}

/** Starts VictoriaMetrics with `-influxMeasurementFieldSeparator=.` and waits for /health. */
export async function startVictoria(extra: string[] = []): Promise<Victoria> {
  const dir = await Deno.makeTempDir({ prefix: "victoria-" });
  const http = freeTcpUdpPort();
  const influx = freeTcpUdpPort();
  const opentsdb = freeTcpUdpPort();
  const child = new Deno.Command(VICTORIA, {
    args: [
      `-storageDataPath=${dir}`,
      "-retentionPeriod=100y",
      `-httpListenAddr=127.0.0.1:${http}`,
      `-influxListenAddr=127.0.0.1:${influx}`,
      `-opentsdbListenAddr=127.0.0.1:${opentsdb}`,
      "-influxMeasurementFieldSeparator=.",
      "-loggerLevel=ERROR",
      ...extra,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let errors = "";
  const draining = (async () => {
    while (true) {
      const { value, done } = await stderr.read();
      if (done) return;
      errors += value;
    }
  })();
  const base = `http://127.0.0.1:${http}`;
  await waitFor(
    async () => {
      try {
        const res = await fetch(`${base}/health`);
        return (await res.text()) === "OK";
      } catch {
        return false;
      }
    },
    "victoria-metrics /health",
  );
  return {
    pid: child.pid,
    http,
    influx,
    opentsdb,
    async series() {
      await (await fetch(`${base}/internal/force_flush`)).body?.cancel();
      const res = await fetch(`${base}/api/v1/export?match[]={__name__=~".%2B"}&start=0`);
      const out = new Map<string, [number, number][]>();
      for (const line of (await res.text()).split("\n")) {
        if (line.trim() === "") continue;
        const { metric, values, timestamps } = JSON.parse(line);
        const { __name__: name, ...labels } = metric as Record<string, string>;
        const raw = name + Object.entries(labels).map(([k, v]) => `;${k}=${v}`).join("");
        const points = (timestamps as number[]).map((t, i) =>
          [Math.floor(t / 1000), values[i]] as [number, number]
        );
        out.set(canonicalName(raw), points.sort((a, b) => a[0] - b[0]));
      }
      return out;
    },
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await draining;
      await Deno.remove(dir, { recursive: true });
      if (errors.includes("panic")) throw new Error(`victoria-metrics failed: ${errors}`);
    },
  };
}
