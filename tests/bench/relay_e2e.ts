// Relay benchmarks, carbonado against Debian's carbon-c-relay on the same machine and workload.
//
// throughput: 1M plaintext lines of 100k names over 4 connections into the relay, 4 sink
//   destinations in this process, jump_fnv1a_ch replication 2: times until the relay has read
//   everything (the senders' writes done) and until the sinks hold all 2M copies; the relay's
//   CPU seconds per million lines read and its peak RSS. carbonado runs relay-only, its queues in
//   the temp dir (a real disk unless --tmpfs).
// outage: lines at a fixed rate while one destination is down for a while (closed, then
//   listening again); checks that every line reached each of its destinations and reports the
//   duplicates (lines resent after the outage), the relay's peak RSS and its queue's size.
//
//   deno task bench:relay [--scenario throughput|outage] [--relay both|carbonado|carbon-c-relay]
//                         [--lines 1000000] [--metrics 100000] [--connections 4] [--runs 3]
//                         [--rate 200000] [--outage 60] [--tmpfs]

import { parseArgs } from "node:util";
import { fetchText, startDaemon } from "../_util/daemon.ts";
import { waitFor } from "../_util/net.ts";
import { CARBON_C_RELAY, startCarbonCRelay } from "../_util/carbon_c_relay.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { parseDestinations, routingTables } from "../../src/relay/destinations.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { WasmRouter } from "../../src/wasm/router.ts";
import { cpuSeconds, peakRssMiB, report, sendSlices, splitLines, tmpfsRoot } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";
import { missing } from "../_util/requires.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scenario: { type: "string", default: "throughput" },
    relay: { type: "string", default: "both" },
    lines: { type: "string", default: "1000000" },
    metrics: { type: "string", default: "100000" },
    connections: { type: "string", default: "4" },
    runs: { type: "string", default: "3" },
    rate: { type: "string", default: "200000" },
    outage: { type: "string", default: "60" },
    tmpfs: { type: "boolean", default: false },
  },
});

const DESTINATIONS = 4;
const REPLICATION = 2;

/** A destination in this process: counts the lines it reads, optionally keeps the text. */
class CountingSink {
  lines = 0;
  #listener?: Deno.TcpListener;
  #conns = new Set<Deno.TcpConn>();
  #keep: ((chunk: Uint8Array) => void) | undefined;
  readonly port: number;

  constructor(port = 0, keep?: (chunk: Uint8Array) => void) {
    this.#keep = keep;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.port = this.#listener.addr.port;
    this.#accept(this.#listener);
  }

  async #accept(l: Deno.TcpListener): Promise<void> {
    try {
      for await (const c of l) this.#read(c);
    } catch { /* closed */ }
  }

  async #read(c: Deno.TcpConn): Promise<void> {
    this.#conns.add(c);
    const buf = new Uint8Array(256 * 1024);
    try {
      while (true) {
        const n = await c.read(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) this.lines++;
        this.#keep?.(chunk);
      }
    } catch { /* reset */ }
    this.#conns.delete(c);
    try {
      c.close();
    } catch { /* closed */ }
  }

  /** Goes down: stops listening and drops its connections. */
  down(): void {
    this.#listener?.close();
    this.#listener = undefined;
    for (const c of this.#conns) c.close();
  }

  /** Listens again on the same port. */
  up(): void {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#accept(this.#listener);
  }

  close(): void {
    this.down();
  }
}

interface RunningRelay {
  pid: number;
  port: number;
  stop(): Promise<void>;
  /** carbonado's per-destination counters worth reporting. */
  counters?(): Promise<string>;
  /** Bytes of the relay's queue directory (carbonado). */
  queueBytes?(): number;
}

async function startCarbonado(sinks: CountingSink[], root: string): Promise<RunningRelay> {
  const dataDir = await Deno.makeTempDir({ dir: root });
  const d = await startDaemon({
    dataDir,
    env: {
      CARBONADO_RELAY_ENABLED: "true",
      CARBONADO_RELAY_DIR: `${dataDir}-relay`,
      CARBONADO_RELAY_REPLICATION: String(REPLICATION),
      CARBONADO_RELAY_DESTINATIONS: sinks.map((s) => `127.0.0.1:${s.port}`).join(","),
      CARBONADO_UDP_ENABLED: "false",
      CARBONADO_PICKLE_ENABLED: "false",
      CARBONADO_CARBONSERVER_ENABLED: "false",
    },
  });
  return {
    pid: d.child.pid,
    port: d.port("tcp"),
    queueBytes: () => dirBytes(`${dataDir}-relay`),
    async counters() {
      const page = await fetchText(`http://${d.listeners.prometheus}/metrics`);
      const sum = (name: string) =>
        page.split("\n").filter((l) => l.startsWith(name + "{")).map((l) => Number(l.split(" ")[1]))
          .reduce((a, b) => a + b, 0);
      return `resent ${sum("carbonado_relay_resent_lines_total")}, dropped ` +
        `${sum("carbonado_relay_dropped_lines_total")}, reconnects ` +
        `${sum("carbonado_relay_reconnects_total")}`;
    },
    async stop() {
      await d.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      await Deno.remove(`${dataDir}-relay`, { recursive: true }).catch(() => {});
    },
  };
}

async function startCcr(sinks: CountingSink[], queue: number): Promise<RunningRelay> {
  // -q: in the throughput run a queue per destination that holds the whole burst, so that
  // carbon-c-relay is timed delivering everything (with its default 25000 it drops lines here
  // once its queues fill); its default in the outage run
  const relay = await startCarbonCRelay({
    method: "jump_fnv1a_ch",
    replication: REPLICATION,
    members: sinks.map((s) => `127.0.0.1:${s.port}`),
    args: ["-w", "2", "-q", String(queue)],
  });
  return { pid: relay.pid, port: relay.port, stop: relay.stop };
}

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}/${e.name}`;
      total += e.isDirectory ? dirBytes(path) : Deno.statSync(path).size;
    }
  } catch { /* gone */ }
  return total;
}

const kinds = values.relay === "both" ? ["carbon-c-relay", "carbonado"] : [values.relay!];
const haveCcr = missing("carbon-c-relay") === null;
const disk = values.tmpfs ? await tmpfsRoot("4g") : {
  root: await Deno.makeTempDir({ prefix: "carbonado-bench-" }),
  mounted: false,
  async close() {
    await Deno.remove(this.root, { recursive: true });
  },
};
await report(`carbonado's queues on ${disk.mounted ? "tmpfs" : "the temp dir's filesystem"}`);

async function start(kind: string, sinks: CountingSink[]): Promise<RunningRelay | null> {
  if (kind === "carbon-c-relay" && !haveCcr) {
    await report(`skipping carbon-c-relay: ${CARBON_C_RELAY} is not installed`);
    return null;
  }
  const queue = values.scenario === "outage" ? 25_000 : Number(values.lines);
  return kind === "carbonado"
    ? await startCarbonado(sinks, disk.root)
    : await startCcr(sinks, queue);
}

try {
  if (values.scenario === "outage") await outage();
  else await throughput();
} finally {
  await disk.close();
}

async function throughput(): Promise<void> {
  const lines = Number(values.lines);
  const metrics = Number(values.metrics);
  const data = plaintextDataset(metrics, Math.ceil(lines / metrics), "relay");
  const slices = splitLines(data.bytes, Number(values.connections));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const kind of kinds) {
      const sinks = Array.from({ length: DESTINATIONS }, () => new CountingSink());
      const relay = await start(kind, sinks);
      if (!relay) continue;
      const total = () => sinks.reduce((n, s) => n + s.lines, 0);
      const cpu0 = cpuSeconds(relay.pid);
      const t0 = performance.now();
      await sendSlices(relay.port, slices);
      const read = (performance.now() - t0) / 1000;
      try {
        await waitFor(() => total() >= data.lines * REPLICATION, "every copy");
      } catch (err) {
        await report(`${kind}: ${total()} of ${data.lines * REPLICATION} copies arrived`);
        throw err;
      }
      const delivered = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(relay.pid) - cpu0;
      const rss = peakRssMiB(relay.pid);
      await relay.stop();
      for (const s of sinks) s.close();
      await report(
        `run ${run + 1}, ${kind}: ${data.lines} lines of ${metrics} names over ${slices.length} ` +
          `connections, ${DESTINATIONS} destinations, replication ${REPLICATION}: read in ` +
          `${read.toFixed(2)} s, ${data.lines * REPLICATION} copies delivered in ` +
          `${delivered.toFixed(2)} s (${(data.lines / delivered / 1e6).toFixed(2)}M lines/s), ` +
          `CPU ${cpu.toFixed(2)} s (${
            (cpu / (data.lines / 1e6)).toFixed(2)
          } s per million lines), ` +
          `peak RSS ${rss.toFixed(0)} MiB`,
      );
    }
  }
}

async function outage(): Promise<void> {
  const rate = Number(values.rate);
  const outageSeconds = Number(values.outage);
  const before = 5;
  const after = 5;
  const seconds = before + outageSeconds + after;
  const metrics = Number(values.metrics);
  // each line unique: name i % metrics, value = line number
  const name = (i: number) => `sys.host-${String(i % metrics).padStart(6, "0")}.outage.value`;
  const wasm = await WasmInstance.load({ maxPoints: 1, maxLineLen: 4096 });
  for (const kind of kinds) {
    const downIndex = 1;
    let seen = new Uint8Array(0);
    let carry = "";
    const decoder = new TextDecoder();
    const keep = (chunk: Uint8Array) => {
      const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
      carry = parts.pop()!;
      for (const p of parts) {
        const n = Number(p.slice(p.indexOf(" ") + 1, p.lastIndexOf(" ")));
        if (n < seen.length) seen[n]++;
      }
    };
    const sinks = Array.from(
      { length: DESTINATIONS },
      (_, i) => new CountingSink(0, i === downIndex ? keep : undefined),
    );
    const relay = await start(kind, sinks);
    if (!relay) continue;
    // which lines the down destination should get: routed here as the relays route them
    const router = new WasmRouter(wasm);
    const members = sinks.map((s) => `127.0.0.1:${s.port}`);
    router.setup({
      method: "jump_fnv1a_ch",
      replication: REPLICATION,
      members: DESTINATIONS,
      allowedChars: "-_:#",
    });
    const tables = routingTables(
      "jump_fnv1a_ch",
      parseDestinations(members, "bench"),
      100,
      () => 0,
    );
    if ("order" in tables) router.setOrder(tables.order);
    const ownsName = new Uint8Array(metrics);
    for (let m = 0; m < metrics; m++) {
      router.begin();
      router.route(new TextEncoder().encode(`${name(m)} 1 1\n`));
      ownsName[m] = router.output(downIndex).lines;
    }
    const total = rate * seconds;
    seen = new Uint8Array(total);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
    const enc = new TextEncoder();
    const tickMs = 50;
    const perTick = Math.round(rate * tickMs / 1000);
    const t0 = performance.now();
    let sent = 0;
    let peakQueue = 0;
    let wentDown = false;
    let cameBack = false;
    while (sent < total) {
      const elapsed = (performance.now() - t0) / 1000;
      if (!wentDown && elapsed >= before) {
        sinks[downIndex].down();
        wentDown = true;
      }
      if (wentDown && !cameBack && elapsed >= before + outageSeconds) {
        sinks[downIndex].up();
        cameBack = true;
      }
      const due = Math.min(total, Math.floor(elapsed * rate) + perTick);
      let text = "";
      for (; sent < due; sent++) text += `${name(sent)} ${sent} 1700000000\n`;
      if (text) await writeAll(conn, enc.encode(text));
      peakQueue = Math.max(peakQueue, relay.queueBytes?.() ?? 0);
      await new Promise((r) => setTimeout(r, tickMs));
    }
    conn.close();
    if (!cameBack) sinks[downIndex].up();
    const expected = Array.from({ length: total }, (_, i) => ownsName[i % metrics]).reduce(
      (a, b) => a + b,
      0,
    );
    const totalCopies = () => sinks.reduce((n, s) => n + s.lines, 0);
    try {
      await waitFor(
        () => {
          let got = 0;
          for (let i = 0; i < total; i++) if (ownsName[i % metrics] && seen[i] > 0) got++;
          return got >= expected;
        },
        "every line at the destination that was down",
      );
    } catch { /* reported below */ }
    let lost = 0;
    let duplicates = 0;
    for (let i = 0; i < total; i++) {
      if (!ownsName[i % metrics]) continue;
      if (seen[i] === 0) lost++;
      else duplicates += seen[i] - 1;
    }
    const rss = peakRssMiB(relay.pid);
    await report(
      `${kind}: ${total} lines at ${rate}/s, destination ${downIndex + 1} of ${DESTINATIONS} ` +
        `down for ${outageSeconds} s: ${expected} lines were its share, ${lost} lost, ` +
        `${duplicates} received twice; copies at all sinks ${totalCopies()} of ` +
        `${total * REPLICATION}; relay peak RSS ${rss.toFixed(0)} MiB` +
        (relay.queueBytes ? `, peak queue on disk ${(peakQueue / 2 ** 20).toFixed(0)} MiB` : "") +
        (relay.counters ? `; ${await relay.counters()}` : ""),
    );
    await relay.stop();
    for (const s of sinks) s.close();
  }
}
