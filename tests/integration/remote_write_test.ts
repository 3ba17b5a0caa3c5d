// remote_write end to end against the real receivers (Debian's victoria-metrics 1.79 and
// prometheus 2.42, started here on free ports): points sent to the daemon over TCP are read back
// from the receiver with exact values; the receiver stopped for 10 s and started again gets
// everything; the daemon stopped with SIGTERM, and killed with SIGKILL, while the receiver is
// down, then started again, delivers everything once the receiver is back, and nothing else
// appears in those series; so does a SIGKILL while requests are in flight to a receiver that
// is up. VictoriaMetrics keeps about 12 significant digits and stores a
// re-sent sample twice: the values here fit, and an identical repeat is allowed there only.

import { assertEquals } from "../_util/assert.ts";
import { type Daemon, fetchText, promValue, startDaemon } from "../_util/daemon.ts";
import { sendTcp, waitFor } from "../_util/net.ts";
import {
  type Peer,
  type PeerSample,
  startPrometheus,
  startVictoriaMetrics,
} from "../_util/peers.ts";
import { requires, type Tool } from "../_util/requires.ts";

const SERIES = 20;
const NOW = Math.floor(Date.now() / 1000);
/** Timestamps in the last hour: inside Prometheus' head window. */
const BASE = NOW - 3000;
const RECEIVED = 'carbonado_received_points_total{protocol="tcp"}';

interface Receiver {
  name: string;
  tool: Tool;
  start: () => Promise<Peer>;
  names: "raw" | "sanitized";
  acceptsOutOfOrder: boolean;
  /** The receiver stores a re-sent sample again (VictoriaMetrics). */
  keepsRepeats: boolean;
}

const RECEIVERS: Receiver[] = [
  {
    name: "VictoriaMetrics 1.79",
    tool: "victoria-metrics",
    start: startVictoriaMetrics,
    names: "raw",
    acceptsOutOfOrder: true,
    keepsRepeats: true,
  },
  {
    name: "Prometheus 2.42",
    tool: "prometheus",
    start: startPrometheus,
    names: "sanitized",
    acceptsOutOfOrder: false,
    keepsRepeats: false,
  },
];

/** Point `n` of a round's series: values that fit VictoriaMetrics' 12 digits, some odd ones. */
function point(round: string, n: number): { name: string; t: number; v: number } {
  const s = n % SERIES;
  const i = Math.floor(n / SERIES);
  const odd = [0.1, -2.5e-7, 123456.789, 1.5e10, -0.0625];
  const v = i % 7 === 3 ? odd[s % odd.length] : s * 1000 + i + 0.125;
  return { name: `rw.${round}.s${s}`, t: BASE + i, v };
}

function lines(round: string, from: number, to: number): string {
  let text = "";
  for (let n = from; n < to; n++) {
    const p = point(round, n);
    text += `${p.name} ${p.v} ${p.t}\n`;
  }
  return text;
}

/** What the receiver must hold for points [0, count) of a round, by the name it sees. */
function expected(r: Receiver, round: string, count: number): Map<string, PeerSample[]> {
  const out = new Map<string, PeerSample[]>();
  for (let n = 0; n < count; n++) {
    const p = point(round, n);
    const name = r.names === "raw" ? p.name : p.name.replaceAll(".", "_");
    const list = out.get(name) ?? [];
    list.push({ t: p.t * 1000, v: p.v });
    out.set(name, list);
  }
  return out;
}

/** The receiver's samples of a round, identical repeats removed where the receiver keeps them. */
async function readRound(r: Receiver, peer: Peer, round: string) {
  const got = await peer.read(r.names === "raw" ? `rw[.]${round}[.].*` : `rw_${round}_.*`);
  if (r.keepsRepeats) {
    for (const [name, list] of got) {
      got.set(
        name,
        list.filter((s, i) => i === 0 || s.t !== list[i - 1].t || s.v !== list[i - 1].v),
      );
    }
  }
  return got;
}

async function waitForRound(r: Receiver, peer: Peer, round: string, count: number) {
  const want = expected(r, round, count);
  let got = new Map<string, PeerSample[]>();
  await waitFor(
    async () => {
      got = await readRound(r, peer, round);
      let n = 0;
      for (const list of got.values()) n += list.length;
      return n >= count;
    },
    `${count} points of round ${round} in ${r.name}`,
  ).catch((err) => console.error(err)); // the comparison below says what is missing
  assertEquals(new Map([...got].sort()), new Map([...want].sort()));
}

async function startCarbonado(r: Receiver, peer: Peer, dirs: { data: string; wal: string }) {
  return await startDaemon({
    dataDir: dirs.data,
    env: {
      CARBONADO_WAL_DIR: dirs.wal,
      CARBONADO_REMOTE_WRITE_0_URL: peer.url,
      CARBONADO_REMOTE_WRITE_0_NAME: "peer",
      CARBONADO_REMOTE_WRITE_0_NAMES: r.names,
      CARBONADO_REMOTE_WRITE_0_ACCEPTS_OUT_OF_ORDER: String(r.acceptsOutOfOrder),
      CARBONADO_REMOTE_WRITE_0_INCLUDE: '["rw.*.*"]',
      CARBONADO_REMOTE_WRITE_0_BATCH_SEND_DEADLINE: "100ms",
      CARBONADO_REMOTE_WRITE_0_MAX_BACKOFF: "500ms",
      CARBONADO_REMOTE_WRITE_0_MAX_SAMPLES_PER_SEND: "300",
    },
  });
}

async function sendAndCount(d: Daemon, text: string, total: number): Promise<void> {
  await sendTcp(d.port("tcp"), text);
  const metrics = `http://127.0.0.1:${d.port("prometheus")}/metrics`;
  await waitFor(
    async () => promValue(await fetchText(metrics), RECEIVED) === total,
    `${total} points received`,
  );
}

for (const r of RECEIVERS) {
  Deno.test(requires(r.tool, {
    name:
      `remote_write to ${r.name}: exact values, a receiver outage, SIGTERM and SIGKILL while it is down`,
    async fn(t) {
      const root = await Deno.makeTempDir({ prefix: "rw-it-" });
      const dirs = { data: `${root}/data`, wal: `${root}/wal` };
      const peer = await r.start();
      let daemon = await startCarbonado(r, peer, dirs);
      let received = 5000; // rounds a and b
      try {
        await t.step("points sent over TCP are read back exactly", async () => {
          await sendAndCount(daemon, lines("a", 0, 2000), 2000);
          await waitForRound(r, peer, "a", 2000);
        });
        await t.step(
          "the receiver stopped for 10 s and started again gets everything",
          async () => {
            await sendAndCount(daemon, lines("b", 0, 1000), 3000);
            await peer.stop();
            await sendAndCount(daemon, lines("b", 1000, 3000), 5000);
            await new Promise((resolve) => setTimeout(resolve, 10_000)); // the outage itself
            await peer.start();
            await waitForRound(r, peer, "b", 3000);
          },
        );
        for (const signal of ["SIGTERM", "SIGKILL"] as const) {
          await t.step(
            `${signal} while the receiver is down, then a restart: everything arrives`,
            async () => {
              const round = signal === "SIGTERM" ? "c" : "d";
              await peer.stop();
              received += 1500;
              await sendAndCount(daemon, lines(round, 0, 1500), received);
              await daemon.stop(signal);
              await peer.start();
              daemon = await startCarbonado(r, peer, dirs);
              received = 0;
              await waitForRound(r, peer, round, 1500);
            },
          );
        }
        await t.step(
          "SIGKILL while requests are in flight, then a restart: everything arrives",
          async () => {
            const total = 60_000;
            await sendTcp(daemon.port("tcp"), lines("e", 0, total));
            const metrics = `http://127.0.0.1:${daemon.port("prometheus")}/metrics`;
            const sent =
              `carbonado_remote_storage_samples_total{remote_name="peer",url="${peer.url}"}`;
            await waitFor(
              async () => (promValue(await fetchText(metrics), sent) ?? 0) > 0,
              "sending to start",
            );
            await daemon.stop("SIGKILL");
            daemon = await startCarbonado(r, peer, dirs);
            await waitForRound(r, peer, "e", total);
          },
        );
        await t.step("earlier rounds hold nothing more after the restarts", async () => {
          await waitForRound(r, peer, "a", 2000);
          await waitForRound(r, peer, "b", 3000);
        });
      } finally {
        await daemon.stop();
        await peer.close();
        await Deno.remove(root, { recursive: true });
      }
    },
  }));
}
