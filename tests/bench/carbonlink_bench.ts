// carbonlink: cache-query answers in process (parse + lookup + encode) and round trips over a
// real socket, against a cache of 10k series x 10 points.

import { CarbonlinkServer } from "../../src/api/carbonlink.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { parseCarbonlinkRequest } from "../../src/protocol/carbonlink_request.ts";
import { encodePickle } from "../../src/protocol/pickle_encode.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { Head } from "../../src/appender/head.ts";
import { plaintextDataset } from "./plaintext_datasets.ts";

const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144 });
const cache = head.drain;
const data = plaintextDataset(10_000, 10, "");
const stream = new PlainStream(head.appender(), head.maxLineLen);
for (let off = 0; off < data.bytes.length;) {
  const target = stream.readTarget();
  const n = Math.min(target.length, data.bytes.length - off);
  target.set(data.bytes.subarray(off, off + n));
  stream.push(n);
  off += n;
}
const store = new MetricStore(
  cache,
  new CacheNames(cache),
  undefined,
  parseRules({ schemas: null, aggregation: null }),
  { dataDir: null, glob: {} },
);
const server = new CarbonlinkServer(store, {
  listen: "127.0.0.1:0",
  readTimeout: 0,
  dataDir: null,
});
server.start();
const names = Array.from(
  { length: 1000 },
  (_, i) => `sys.host-${String(i * 7).padStart(4, "0")}.cpu.cpu-0.user`,
);
const frames = names.map((metric) =>
  encodePickle(new Map([["type", "cache-query"], ["metric", metric]]), { framed: true })
);

Deno.bench("carbonlink cache-query answered in process, 1000 queries of 10 points", () => {
  for (const f of frames) server.answer(parseCarbonlinkRequest(f.subarray(4)));
});

const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
const reply = new Uint8Array(1 << 16);
Deno.bench("carbonlink cache-query round trips on one socket, 1000 sequential", async () => {
  for (const f of frames) {
    await conn.write(f);
    let have = 0;
    let need = 4;
    while (have < need) {
      have += (await conn.read(reply.subarray(have)))!;
      if (have >= 4) need = 4 + new DataView(reply.buffer).getUint32(0);
    }
  }
});

globalThis.addEventListener("unload", () => {
  conn.close();
  server.stop();
});
