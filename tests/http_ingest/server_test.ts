// The HTTP ingest listener: each route answered as its protocol's clients expect, bodies
// bounded before and while they are read, gzip bounded, whole requests refused with 503 when
// the cache cannot take them; handler(new Request(...)) and one real socket.

import { gzipSync } from "node:zlib";
import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { type HttpIngestOptions, HttpIngestServer } from "../../src/http_ingest/server.ts";
import { collect } from "../../src/stats/sample.ts";
import { encodeWriteRequest, snappyCompress } from "../_util/remote_write_encode.ts";

const T = 1_700_000_000;
const OPTS: HttpIngestOptions = {
  listen: "127.0.0.1:0",
  maxRequestSize: 1 << 20,
  maxInflightSize: 4 << 20,
  readTimeout: 5000,
  influx: { separator: ".", dbTag: "db", maxLineLen: 262_144 },
};

async function setup(maxPoints = 100_000, opts: Partial<HttpIngestOptions> = {}) {
  const head = await Head.load({ maxPoints, maxLineLen: 262_144 });
  const server = new HttpIngestServer(head, { ...OPTS, ...opts });
  const call = (path: string, init?: RequestInit) =>
    server.handler(new Request(`http://carbonado${path}`, init));
  return { head, server, call, dump: () => dumpCache(head.drain) };
}

const post = (body: BodyInit | Uint8Array, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  body: body instanceof Uint8Array ? new Uint8Array(body) : body,
  headers,
});

Deno.test("POST /write stores the lines and answers 204 as InfluxDB 1.x", async () => {
  const { call, dump } = await setup();
  const res = await call("/write?db=telegraf", post(`cpu,host=a usage=1.5 ${T}\n`));
  assertEquals(res.status, 204);
  assertEquals(res.headers.get("x-influxdb-version"), "1.8.0");
  assertEquals([...dump()], [["cpu.usage;db=telegraf;host=a", [[T, 1.5]]]]);
});

Deno.test("POST /write takes gzip bodies, precision and a last line without newline", async () => {
  const { call, dump } = await setup();
  const body = gzipSync(new TextEncoder().encode(`m f=1 ${T}123\nn f=2 ${T}999`));
  const res = await call("/write?precision=ms", post(body, { "content-encoding": "gzip" }));
  assertEquals(res.status, 204);
  assertEquals([...dump()], [["m.f", [[T, 1]]], ["n.f", [[T, 2]]]]);
  const bad = await call("/write?precision=weeks", post("m f=1"));
  assertEquals([bad.status, (await bad.json()).error], [400, 'invalid precision "weeks"']);
  const longDb = await call(`/write?db=${"d".repeat(600)}`, post("m f=1"));
  assertEquals(longDb.status, 400);
});

Deno.test("POST /write keeps the good lines and answers 400 partial write for the bad", async () => {
  const { call, dump } = await setup();
  const res = await call("/write", post(`ok f=1 ${T}\nbad ${T}\nok2 f=x,g=2 ${T}\n`));
  assertEquals(res.status, 400);
  const body = await res.json();
  assert(body.error.startsWith("partial write: 2 (fields: 1, bad_value: 1)"), body.error);
  assert(res.headers.get("x-influxdb-error")!.startsWith("partial write"));
  assertEquals([...dump().keys()], ["ok.f", "ok2.g"]);
});

Deno.test("POST /api/v2/write answers 204, and errors in InfluxDB 2.x's shape", async () => {
  const { call, dump } = await setup();
  const ok = await call("/api/v2/write?org=o&bucket=b&precision=s", post(`m f=1 ${T}\n`));
  assertEquals(ok.status, 204);
  assertEquals([...dump().keys()], ["m.f"]);
  const bad = await call("/api/v2/write?bucket=b", post("nope\n"));
  assertEquals(bad.status, 400);
  const body = await bad.json();
  assertEquals(body.code, "invalid");
  assert(body.message.startsWith("partial write"));
});

Deno.test("/ping and /query answer as InfluxDB 1.x so clients go on to write", async () => {
  const { call } = await setup();
  for (const method of ["GET", "HEAD"]) {
    const ping = await call("/ping", { method });
    assertEquals([ping.status, ping.headers.get("x-influxdb-version")], [204, "1.8.0"]);
  }
  const verbose = await call("/ping?verbose=true");
  assertEquals(await verbose.json(), { version: "1.8.0" });
  const create = await call(
    "/query",
    post(new URLSearchParams({ q: 'CREATE DATABASE "telegraf"' })),
  );
  assertEquals([create.status, await create.json()], [200, { results: [{ statement_id: 0 }] }]);
  const show = await call(`/query?q=${encodeURIComponent("show databases; select * from cpu")}`);
  const results = (await show.json()).results;
  assertEquals(results[0], {
    statement_id: 0,
    series: [{ name: "databases", columns: ["name"], values: [["telegraf"]] }],
  });
  assert(results[1].error.startsWith("carbonado answers only"));
  assertEquals((await call("/query")).status, 400);
});

Deno.test("POST /api/put answers 204, or 400 with OpenTSDB's error and details", async () => {
  const { call, dump } = await setup();
  const one = { metric: "sys.cpu", timestamp: T, value: 1, tags: { host: "a" } };
  assertEquals((await call("/api/put", post(JSON.stringify(one)))).status, 204);
  const two = [{ metric: "m", timestamp: T * 1000, value: "2" }, { metric: "bad", value: "x" }];
  const res = await call("/api/put", post(JSON.stringify(two)));
  assertEquals(res.status, 400);
  assertEquals((await res.json()).error.message, "One or more data points had errors");
  const details = await call("/api/put?details", post(JSON.stringify(two)));
  assertEquals(await details.json(), {
    errors: [{ datapoint: { metric: "bad", value: "x" }, error: "Invalid value" }],
    failed: 1,
    success: 1,
  });
  const summary = await call("/api/put?summary", post(JSON.stringify(one)));
  assertEquals([summary.status, await summary.json()], [200, { failed: 0, success: 1 }]);
  const broken = await call("/api/put", post("{not json"));
  assertEquals(broken.status, 400);
  assert((await broken.json()).error.message.startsWith("Unable to parse the given JSON"));
  assertEquals([...dump()], [["m", [[T, 2]]], ["sys.cpu;host=a", [[T, 1]]]]);
});

Deno.test("POST /api/v1/write: 204, 400 undecodable, 415 for 2.0 or another encoding", async () => {
  const { call, dump } = await setup();
  const request = encodeWriteRequest([{
    labels: [["__name__", "up"], ["job", "prometheus"]],
    samples: [{ value: 1, timestamp: T * 1000 }],
  }]);
  const headers = {
    "content-encoding": "snappy",
    "content-type": "application/x-protobuf",
    "x-prometheus-remote-write-version": "0.1.0",
  };
  const ok = await call("/api/v1/write", post(snappyCompress(request), headers));
  assertEquals(ok.status, 204);
  assertEquals([...dump()], [["up;job=prometheus", [[T, 1]]]]);
  const meta = await call(
    "/api/v1/write",
    post(snappyCompress(encodeWriteRequest([], 2)), headers),
  );
  assertEquals(meta.status, 204);
  const garbage = await call("/api/v1/write", post(snappyCompress(Uint8Array.of(0x0b)), headers));
  assertEquals(garbage.status, 400);
  const notSnappy = await call("/api/v1/write", post(Uint8Array.of(0xff, 0xff), headers));
  assertEquals(notSnappy.status, 400);
  const v2 = await call(
    "/api/v1/write",
    post(snappyCompress(request), {
      ...headers,
      "content-type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
    }),
  );
  assertEquals(v2.status, 415);
  const gzip = await call(
    "/api/v1/write",
    post(gzipSync(request), { ...headers, "content-encoding": "gzip" }),
  );
  assertEquals(gzip.status, 415);
  const unnamed = encodeWriteRequest([{
    labels: [["job", "x"]],
    samples: [{ value: 1, timestamp: 0 }],
  }]);
  const refused = await call("/api/v1/write", post(snappyCompress(unnamed), headers));
  assertEquals(refused.status, 400);
  assert((await refused.text()).includes("1 series without __name__"));
  assertEquals(dump().size, 1);
});

Deno.test("a full cache refuses the whole request with 503 and keeps none of it", async () => {
  const { call, dump, head } = await setup(10);
  const lines = Array.from({ length: 20 }, (_, i) => `m${i} f=1 ${T}`).join("\n");
  const res = await call("/write", post(lines));
  assertEquals([res.status, res.headers.get("retry-after")], [503, "1"]);
  assertEquals(dump().size, 0);
  assertEquals(head.drain.counters().series, 0);
  const rw = encodeWriteRequest(Array.from({ length: 20 }, (_, i) => ({
    labels: [["__name__", `m${i}`]] as [string, string][],
    samples: [{ value: 1, timestamp: T * 1000 }],
  })));
  const res2 = await call("/api/v1/write", post(snappyCompress(rw)));
  assertEquals(res2.status, 503);
  const res3 = await call(
    "/api/put",
    post(JSON.stringify(Array(11).fill({ metric: "x", value: 1 }))),
  );
  assertEquals(res3.status, 503);
  assertEquals((await call("/write", post(`ok f=1 ${T}`))).status, 204);
});

Deno.test("bodies over max-request-size are refused: by Content-Length before reading", async () => {
  const { call } = await setup(100, { maxRequestSize: 4000 });
  let pulled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull() {
      pulled = true;
    },
  }, { highWaterMark: 0 });
  const res = await call("/write", {
    method: "POST",
    body: stream,
    headers: { "content-length": "5000" },
  });
  assertEquals([res.status, pulled], [413, false]);
  const chunked = await call("/write", post(new Blob(["x".repeat(5000)]).stream()));
  assertEquals(chunked.status, 413);
  const bomb = gzipSync(new Uint8Array(1_000_000));
  assert(bomb.length < 4000);
  const res2 = await call("/write", post(bomb, { "content-encoding": "gzip" }));
  assertEquals(res2.status, 413);
  const rw = await call("/api/v1/write", post(snappyCompress(new Uint8Array(5000))));
  assertEquals(rw.status, 413);
});

Deno.test("a body not read within read-timeout gets 408; bytes in flight are bounded", async () => {
  const { call, server } = await setup(100, { readTimeout: 50, maxInflightSize: 100 });
  const never = new ReadableStream<Uint8Array>({
    start(ctl) {
      ctl.enqueue(new TextEncoder().encode("m f=1"));
    },
  });
  assertEquals((await call("/write", post(never))).status, 408);
  const big = await call("/write", post("x".repeat(200)));
  assertEquals([big.status, big.headers.get("retry-after")], [503, "1"]);
  const gauge = collect([server]).find((s) => s.name === "carbonado_http_ingest_inflight_bytes");
  assertEquals(gauge?.value, 0);
});

Deno.test("unknown paths get 404, wrong methods 405 with Allow", async () => {
  const { call, server } = await setup();
  assertEquals((await call("/nope")).status, 404);
  const res = await call("/write");
  assertEquals([res.status, res.headers.get("allow")], [405, "POST"]);
  const samples = collect([server]);
  const responses = samples.filter((s) => s.name === "carbonado_http_ingest_responses_total");
  assertEquals(
    responses.map((s) => [s.labels?.route, s.labels?.code, s.value]),
    [["other", "404", 1], ["/write", "405", 1]],
  );
});

Deno.test("the listener serves on a real socket and stops", async () => {
  const { server, dump } = await setup();
  server.start();
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const res = await fetch(`${base}/write`, post(`m f=1 ${T}\n`));
    await res.body?.cancel();
    assertEquals(res.status, 204);
    const put = await fetch(
      `${base}/api/put`,
      post(JSON.stringify({ metric: "o", value: 2, timestamp: T })),
    );
    await put.body?.cancel();
    assertEquals(put.status, 204);
    assertEquals([...dump().keys()], ["m.f", "o"]);
    const samples = collect([server]);
    const received = samples.filter((s) => s.name === "carbonado_received_points_total");
    assertEquals(
      received.map((s) => [s.labels?.protocol, s.value]),
      [["influx_http", 1], ["opentsdb_http", 1], ["remote_write", 0]],
    );
  } finally {
    await server.stop();
  }
});
