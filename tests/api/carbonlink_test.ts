// carbonlink over a real socket, spoken by Python exactly as graphite-web's CarbonLinkPool does:
// a 4-byte length, pickle.dumps(request, protocol) and a reply read back by an unpickler that
// refuses every global.

import { assert, assertEquals } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { readToEnd } from "../_util/net.ts";
import { writeAll } from "../../src/net/stream_server.ts";
import { CarbonlinkServer } from "../../src/api/carbonlink.ts";
import { MetricStore } from "../../src/api/metric_store.ts";
import { CacheNames } from "../../src/index/cache_names.ts";
import { configureLogging } from "../../src/log/logger.ts";
import { parseRules } from "../../src/persister/whisper_writer.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { create } from "../../src/whisper/create.ts";
import { parseRetentionDefs } from "../../src/whisper/archive_list.ts";
import { info } from "../../src/whisper/whisper_file.ts";
import { Head } from "../../src/appender/head.ts";
import { PYTHON, requires } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });
const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;

const CLIENT = `
import json, pickle, socket, struct, sys
class Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError('global %s.%s refused' % (module, name))
def recv_exactly(conn, n):
    buf = b''
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(buf), n))
        buf += chunk
    return buf
port, protocol = int(sys.argv[1]), int(sys.argv[2])
conn = socket.create_connection(('127.0.0.1', port))
out = []
for line in sys.stdin:
    request = json.loads(line)
    serialized = pickle.dumps(request, protocol=protocol)
    conn.sendall(struct.pack('!L', len(serialized)) + serialized)
    size = struct.unpack('!L', recv_exactly(conn, 4))[0]
    import io
    reply = Restricted(io.BytesIO(recv_exactly(conn, size))).load()
    out.append(reply)
print(json.dumps(out))
`;

async function python(port: number, protocol: number, requests: unknown[]): Promise<unknown[]> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", CLIENT, String(port), String(protocol)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(requests.map((r) => JSON.stringify(r)).join("\n") + "\n"));
  await w.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function withServer(fn: (port: number, dir: string) => Promise<void>): Promise<void> {
  head.reset(10_000);
  const dir = await Deno.makeTempDir();
  const rules = parseRules({ schemas: null, aggregation: null });
  const store = new MetricStore(cache, new CacheNames(cache), undefined, rules, {
    dataDir: dir,
    glob: {},
  });
  const server = new CarbonlinkServer(store, {
    listen: "127.0.0.1:0",
    readTimeout: 30_000,
    dataDir: dir,
  });
  server.start();
  try {
    await fn(server.addr.port, dir);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

for (const protocol of [2, 5]) {
  Deno.test(
    requires("python3", {
      name:
        `carbonlink answers cache-query and cache-query-bulk to graphite-web's client (protocol ${protocol})`,
      fn: async () => {
        await withServer(async (port) => {
          ingest("cl.a 1.5 1700000000\ncl.a 2 1700000060\ncl.a 9 1700000000\ncl.b 7 1700000000\n");
          const series = cache.lookup("cl.b");
          cache.pop(series); // being written: still readable until confirmed
          const replies = await python(port, protocol, [
            { type: "cache-query", metric: "cl.a" },
            { type: "cache-query", metric: "cl.b" },
            { type: "cache-query", metric: "nothing.here" },
            { type: "cache-query-bulk", metrics: ["cl.a", "nothing.here"] },
          ]);
          assertEquals(replies, [
            { datapoints: [[1700000000, 9], [1700000060, 2]] },
            { datapoints: [[1700000000, 7]] },
            { datapoints: [] },
            {
              datapointsByMetric: {
                "cl.a": [[1700000000, 9], [1700000060, 2]],
                "nothing.here": [],
              },
            },
          ]);
        });
      },
    }),
  );
}

Deno.test(
  requires("python3", {
    name:
      "carbonlink answers get-metadata and set-metadata as carbon does, and errors for the rest",
    fn: async () => {
      await withServer(async (port, dir) => {
        await Deno.mkdir(`${dir}/m`);
        create(`${dir}/m/x.wsp`, parseRetentionDefs("60s:1d"), { aggregationMethod: "sum" });
        const replies = await python(port, 2, [
          { type: "get-metadata", metric: "m.x", key: "aggregationMethod" },
          { type: "set-metadata", metric: "m.x", key: "aggregationMethod", value: "max" },
          { type: "get-metadata", metric: "m.x", key: "xFilesFactor" },
          { type: "get-metadata", metric: "no.file", key: "aggregationMethod" },
          { type: "cache-flush" },
        ]);
        assertEquals(replies.slice(0, 3), [
          { value: "sum" },
          { old_value: "sum", new_value: "max" },
          { error: 'Unsupported metadata key "xFilesFactor"' },
        ]);
        assert.ok("error" in (replies[3] as Record<string, unknown>));
        assertEquals(replies[4], { error: 'Invalid request type "cache-flush"' });
        assertEquals(info(`${dir}/m/x.wsp`).aggregationMethod, "max");
      });
    },
  }),
);

Deno.test(
  requires("python3", {
    name: "carbonlink closes the connection on a request that is not a safe pickle or too long",
    fn: async () => {
      await withServer(async (port) => {
        for (
          const bad of [
            new Uint8Array([0, 0, 0, 4, ...new TextEncoder().encode("cos\n")]), // GLOBAL, protocol 0
            new Uint8Array([0, 0, 0, 3, 0x80, 0x02, 0x63]), // GLOBAL
            new Uint8Array([0x80, 0, 0, 0]), // 2 GiB announced
          ]
        ) {
          const conn = await Deno.connect({ hostname: "127.0.0.1", port });
          await writeAll(conn, bad);
          assertEquals((await readToEnd(conn)).length, 0, "no reply, closed");
          conn.close();
        }
        assertEquals((await python(port, 2, [{ type: "cache-query", metric: "x" }]))[0], {
          datapoints: [],
        });
      });
    },
  }),
);

Deno.test(
  requires("python3", {
    name:
      "carbonlink answers cache-query for a metric whose file is damaged, and get-metadata with the damage",
    fn: async () => {
      await withServer(async (port, dir) => {
        await Deno.mkdir(`${dir}/m`);
        create(`${dir}/m/broken.wsp`, parseRetentionDefs("60s:1d"), { aggregationMethod: "sum" });
        Deno.truncateSync(`${dir}/m/broken.wsp`, 30); // the header cut short
        ingest("m.broken 4 1700000000\nm.broken 5 1700000060\n");
        const replies = await python(port, 2, [
          { type: "get-metadata", metric: "m.broken", key: "aggregationMethod" },
          { type: "cache-query", metric: "m.broken" },
        ]);
        const error = (replies[0] as { error: string }).error;
        assert.ok(error.includes(`${dir}/m/broken.wsp`), error);
        assertEquals(replies[1], { datapoints: [[1700000000, 4], [1700000060, 5]] });
      });
    },
  }),
);
