// The remote_write sender alone, in process: a WAL holding `--points` points of `--metrics`
// series (written first, not measured) drained into Debian's VictoriaMetrics 1.79 by one
// RemoteWriter, as the daemon's worker thread runs it; this process's CPU (the sender, its
// HTTP included) and VictoriaMetrics' per million samples, and the wall time. Then as many
// points again of the same series (known to the sender and to VictoriaMetrics). Rounds
// alternate with `--rounds`.
//
//   deno run -A tests/bench/remote_send_cpu.ts [--points 1000000] [--metrics 100000]
//                                              [--max-samples-per-send 2000] [--min-shards 1]

import { parseArgs } from "node:util";
import { Head } from "../../src/appender/head.ts";
import { defaultRemoteWrite } from "../../src/config/remote_write.ts";
import { RemoteClient } from "../../src/remote/client.ts";
import { RemoteCounters, SLOT } from "../../src/remote/counters.ts";
import { RemoteWriter } from "../../src/remote/remote_writer.ts";
import { WasmSnappy } from "../../src/wasm/snappy.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { startVictoriaMetrics } from "../_util/peers.ts";
import { endOf, walOptions } from "../_util/wal.ts";
import { cpuSeconds, report, tmpfsRoot } from "./e2e_util.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    points: { type: "string", default: "1000000" },
    metrics: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
    "max-samples-per-send": { type: "string", default: "2000" },
    "min-shards": { type: "string", default: "1" },
  },
});
const points = Number(values.points);
const metrics = Number(values.metrics);
const disk = await tmpfsRoot("4g");
const vm = await startVictoriaMetrics({ root: disk.root });
const dir = await Deno.makeTempDir({ dir: disk.root });
const head = await Head.load({ maxPoints: points * (Number(values.rounds) + 1), maxLineLen: 4096 });
const { wal } = head.openWal(walOptions(dir));
const wasm = await WasmInstance.load({ maxPoints: 1, maxLineLen: 64 });
const codec = new WalCodec(wasm);
const log = endOf(wal);
const config = {
  ...defaultRemoteWrite(),
  url: vm.url,
  name: "vm",
  names: "raw" as const,
  acceptsOutOfOrder: true,
  batchSendDeadline: 100,
  minShards: Number(values["min-shards"]),
  maxSamplesPerSend: Number(values["max-samples-per-send"]),
};
const counters = new RemoteCounters();
const writer = new RemoteWriter({
  config,
  walDir: dir,
  codec,
  snappy: new WasmSnappy(wasm),
  log,
  client: new RemoteClient({ url: vm.url, timeoutMs: 30_000, retryOn429: true, headers: {} }),
  counters,
  hold: () => {},
});
await writer.start();
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    const data = plaintextDataset(
      metrics,
      Math.ceil(points / metrics),
      "rw",
      1_700_000_000 + round * 86_400,
    );
    const app = head.appender();
    for (let at = 0; at < data.bytes.length;) {
      const end = Math.min(
        data.bytes.length,
        data.bytes.indexOf(0x0a, at + 1_000_000) + 1 || data.bytes.length,
      );
      app.commitPlain(data.bytes.subarray(at, end));
      at = end;
    }
    const target = (round + 1) * data.lines;
    const cpu0 = cpuSeconds(Deno.pid);
    const vm0 = cpuSeconds(vm.pid());
    const t0 = performance.now();
    while (counters.get(SLOT.samplesSent) < target) await new Promise((r) => setTimeout(r, 2));
    const wall = performance.now() - t0;
    const m = data.lines / 1e6;
    await report(
      `round ${round} (${round === 0 ? "new" : "known"} series): ${data.lines} samples in ${
        wall.toFixed(0)
      } ms ` +
        `(${(data.lines / wall / 1000).toFixed(2)}M/s); CPU per million: sender ${
          ((cpuSeconds(Deno.pid) - cpu0) / m).toFixed(2)
        } s, ` +
        `VictoriaMetrics ${((cpuSeconds(vm.pid()) - vm0) / m).toFixed(2)} s; load ${
          Deno.loadavg()[0].toFixed(1)
        }`,
    );
  }
} finally {
  await writer.stop(1000);
  wal.close();
  await vm.close();
  await disk.close();
}
