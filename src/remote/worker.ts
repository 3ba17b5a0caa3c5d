// Entry point of the remote_write worker thread: one RemoteWriter per [[remote-write]] entry,
// reading the WAL files itself (with its own small wasm instance for page checks and snappy),
// so that encoding, compression and HTTP never take time from ingest on the main thread.

/// <reference lib="deno.worker" />

import { configureLoggers, Logger } from "../log/logger.ts";
import { WasmInstance } from "../wasm/instance.ts";
import { WasmSnappy } from "../wasm/snappy.ts";
import { WalCodec } from "../wasm/wal_codec.ts";
import { RemoteClient } from "./client.ts";
import { RemoteCounters } from "./counters.ts";
import { LogEndReader } from "./log_end.ts";
import { RemoteWriter } from "./remote_writer.ts";
import type { FromWorker, ToWorker } from "./worker_messages.ts";

const log = new Logger("remote-write");
let writers: RemoteWriter[] = [];
let starting: Promise<void> = Promise.resolve();

function post(msg: FromWorker): void {
  self.postMessage(msg);
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "start") {
    starting = start(msg);
    await starting;
    post({ type: "started" });
  } else if (msg.type === "stop") {
    await starting;
    await Promise.all(writers.map((w) => w.stop(msg.graceMs)));
    post({ type: "stopped" });
  }
};

async function start(msg: Extract<ToWorker, { type: "start" }>): Promise<void> {
  configureLoggers(msg.logging);
  // the module is loaded for its WAL page checks and snappy only: the smallest cache it accepts
  const wasm = await WasmInstance.load({ maxPoints: 1, maxLineLen: 64 });
  const codec = new WalCodec(wasm);
  const end = new LogEndReader(msg.end);
  const holds = new Int32Array(msg.holds);
  writers = msg.remotes.map((spec, i) => {
    const c = spec.config;
    return new RemoteWriter({
      config: c,
      walDir: msg.walDir,
      codec,
      snappy: new WasmSnappy(wasm),
      log: end,
      client: new RemoteClient({
        url: c.url,
        timeoutMs: c.remoteTimeout,
        retryOn429: c.retryOnHttp429,
        headers: spec.headers,
        tls: spec.tls,
      }),
      counters: new RemoteCounters(spec.counters),
      hold: (segment) => Atomics.store(holds, i, segment),
    });
  });
  const started: RemoteWriter[] = [];
  for (const w of writers) {
    try {
      await w.start();
      started.push(w);
    } catch (err) {
      log.error("cannot start remote write", { remote: w.name, err });
      post({ type: "failed", remote: w.name, error: String(err) });
    }
  }
  writers = started;
}
