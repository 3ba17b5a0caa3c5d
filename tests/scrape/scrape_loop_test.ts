// One target's scrape against real HTTP servers on 127.0.0.1, into a real head with its
// write-ahead log: Prometheus' request headers, gzip, the report series; and every failure
// (timeout, 500, a body that breaks off, a body over the size limit, sample_limit, a syntax
// error) leaving nothing of the scrape in the cache or the log, only the up = 0 report.

import { assert, assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { listSegments } from "../../src/wal/segments.ts";
import { parsePromConfig } from "../../src/scrape/prom_config.ts";
import { makeTargets } from "../../src/scrape/target.ts";
import { ACCEPT_HEADER, ScrapeLoop } from "../../src/scrape/scrape_loop.ts";

const REPORT = [
  "scrape_duration_seconds",
  "scrape_samples_post_metric_relabeling",
  "scrape_samples_scraped",
  "scrape_series_added",
  "up",
];

/** A node_exporter-like body of `n` series. */
function body(n: number): string {
  let text = "# TYPE node_x gauge\n";
  for (let i = 0; i < n; i++) text += `node_x{i="${i}"} ${i}\n`;
  return text;
}

/** A head with its log in a temp dir; `names()` lists the series names the log holds. */
async function walHead() {
  const dir = await Deno.makeTempDir({ prefix: "scrape-wal-" });
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: 262_144, debug: true });
  head.openWal({
    dir,
    syncInterval: 0,
    segmentSize: 1 << 20,
    maxSize: 1 << 30,
    checkpointInterval: 3_600_000,
    checkpointSize: 1 << 30,
  });
  return {
    head,
    /** Metric names (before `;`) of every series and sample record in the log. */
    walNames(): string[] {
      const names = new Map<number, string>();
      const seen = new Set<string>();
      for (const file of listSegments(dir)) {
        for (const { record } of head.walRecords(file)) {
          if (record.type === "series") {
            for (const s of record.series) names.set(s.ref, s.name.split(";")[0]);
          } else if (record.type === "samples") {
            for (const s of record.samples) seen.add(names.get(s.ref) ?? `ref ${s.ref}`);
          }
        }
      }
      return [...seen].sort();
    },
    async close() {
      head.closeWal(true);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function loopFor(head: Head, url: string, yaml = "", bodySizeLimit = 1 << 20, startSlots = 0) {
  const u = new URL(url);
  const job = parsePromConfig(
    `scrape_configs:\n  - job_name: t\n    metrics_path: ${u.pathname}\n    scrape_timeout: 1s\n${yaml}`,
  ).jobs[0];
  const [target] = makeTargets(job, [u.host], new Map()).targets;
  return new ScrapeLoop(target, {
    appender: () => head.appender(),
    scrapeCache: () => head.scrapeCache(),
    prefix: "",
    bodySizeLimit,
    startSlots,
    seed: 0n,
    userAgent: "carbonado/test",
  });
}

/** Names (before `;`) of the series in the cache, and `up`'s values. */
function cached(head: Head) {
  const all = dumpCache(head.drain);
  const up = [...all].filter(([n]) => n.startsWith("up;")).flatMap(([, p]) => p.map(([, v]) => v));
  return { names: [...new Set([...all.keys()].map((n) => n.split(";")[0]))].sort(), up };
}

Deno.test("a scrape sends Prometheus' headers, reads gzip and commits the body and the report", async () => {
  const w = await walHead();
  let headers: Headers | undefined;
  const gz = new Uint8Array(
    await new Response(new Blob([body(3)]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    headers = req.headers;
    return new Response(gz, {
      headers: { "content-type": "text/plain; version=0.0.4", "content-encoding": "gzip" },
    });
  });
  const loop = loopFor(w.head, `http://127.0.0.1:${server.addr.port}/metrics`);
  try {
    await loop.scrape();
    assertEquals(headers!.get("accept"), ACCEPT_HEADER);
    assertEquals(headers!.get("accept-encoding"), "gzip");
    assertEquals(headers!.get("x-prometheus-scrape-timeout-seconds"), "1");
    assertEquals(loop.state.health, "up");
    assertEquals(cached(w.head), { names: ["node_x", ...REPORT].sort(), up: [1] });
    assertEquals(w.walNames(), ["node_x", ...REPORT].sort());
    const all = dumpCache(w.head.drain);
    assertEquals(
      all.get("scrape_samples_scraped;instance=" + `127.0.0.1:${server.addr.port};job=t`)?.[0][1],
      3,
    );
  } finally {
    await loop.stop();
    await server.shutdown();
    await w.close();
  }
});

Deno.test("with start slots, the scrapes of one wakeup read together; the wait is not in their duration; a deadline still holds", async () => {
  const w = await walHead();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      if (req.url.endsWith("/silent")) await new Promise((r) => setTimeout(r, 1500));
      return new Response(body(2), { headers: { "content-type": "text/plain; version=0.0.4" } });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  const loops = ["/a", "/b", "/silent"].map((path) =>
    loopFor(w.head, base + path, "", 1 << 20, 20)
  );
  try {
    await Promise.all(loops.map((loop) => loop.scrape()));
    const [a, b, silent] = loops.map((loop) => loop.state);
    assertEquals([a.health, b.health, silent.health], ["up", "up", "down"]);
    assertEquals(silent.failures.timeout, 1);
    assert(a.lastDuration >= 0 && b.lastDuration >= 0);
    assertEquals([a.samples, b.samples, silent.samples], [7, 7, 0]); // 2 series + 5 reports
  } finally {
    for (const loop of loops) await loop.stop();
    await server.shutdown();
    await w.close();
  }
});

/** A raw TCP server answering every connection with `response` then closing. */
function rawServer(response: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(4096);
      await conn.read(buf);
      await conn.write(new TextEncoder().encode(response)).catch(() => {});
      conn.close();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await serving.catch(() => {});
    },
  };
}

/** Failing targets: each scrape fails with `reason` and leaves only the up = 0 report. */
const FAILURES: {
  reason: string;
  yaml?: string;
  limit?: number;
  serve: () => { url: string; close(): Promise<void> };
}[] = [
  {
    reason: "http_status",
    serve() {
      const s = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => new Response(body(10), { status: 500 }),
      );
      return { url: `http://127.0.0.1:${s.addr.port}/metrics`, close: () => s.shutdown() };
    },
  },
  {
    reason: "timeout",
    serve() {
      let release!: () => void;
      const held = new Promise<void>((r) => release = r);
      const s = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async () => {
        await held; // answers only after the test: the scrape's 1s timeout passes first
        return new Response(body(10));
      });
      return {
        url: `http://127.0.0.1:${s.addr.port}/metrics`,
        async close() {
          release();
          await s.shutdown();
        },
      };
    },
  },
  {
    reason: "body_read",
    serve() {
      // Content-Length promises more than is sent before the connection closes
      const text = body(50);
      const s = rawServer(
        `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n` +
          `Connection: close\r\n\r\n${text.slice(0, text.length / 2)}`,
      );
      return { url: `http://127.0.0.1:${s.port}/metrics`, close: () => s.close() };
    },
  },
  {
    reason: "body_size",
    limit: 2000,
    serve() {
      const s = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => new Response(body(500)),
      );
      return { url: `http://127.0.0.1:${s.addr.port}/metrics`, close: () => s.shutdown() };
    },
  },
  {
    reason: "sample_limit",
    yaml: "    sample_limit: 99\n",
    serve() {
      const s = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => new Response(body(100)),
      );
      return { url: `http://127.0.0.1:${s.addr.port}/metrics`, close: () => s.shutdown() };
    },
  },
  {
    reason: "parse",
    serve() {
      const s = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        () => new Response(body(100) + "not a sample\n"),
      );
      return { url: `http://127.0.0.1:${s.addr.port}/metrics`, close: () => s.shutdown() };
    },
  },
  {
    reason: "connect",
    serve() {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (l.addr as Deno.NetAddr).port;
      l.close(); // nothing listens there any more
      return { url: `http://127.0.0.1:${port}/metrics`, close: () => Promise.resolve() };
    },
  },
];

for (const f of FAILURES) {
  Deno.test(`a scrape that fails (${f.reason}) leaves nothing but its up = 0 report`, async () => {
    const w = await walHead();
    const target = f.serve();
    const loop = loopFor(w.head, target.url, f.yaml ?? "", f.limit ?? 1 << 20);
    try {
      await loop.scrape();
      assertEquals(loop.state.health, "down");
      assertEquals(loop.state.failures[f.reason as keyof typeof loop.state.failures], 1);
      assert.ok(loop.state.lastError !== "");
      assertEquals(cached(w.head), { names: REPORT, up: [0] });
      assertEquals(w.walNames(), REPORT);
      assertEquals(w.head.drain.counters().series, 5);
    } finally {
      await loop.stop();
      await target.close();
      await w.close();
    }
  });
}

Deno.test("a scrape that fails after one that worked keeps the first whole", async () => {
  const w = await walHead();
  let status = 200;
  const s = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body(20) + (status === 200 ? "" : "broken\n")),
  );
  const loop = loopFor(w.head, `http://127.0.0.1:${s.addr.port}/metrics`);
  try {
    await loop.scrape();
    status = 0;
    await loop.scrape();
    const all = dumpCache(w.head.drain);
    const node = [...all].filter(([n]) => n.startsWith("node_x"));
    assertEquals(node.length, 20);
    assert.ok(node.every(([, points]) => points.length === 1));
    assertEquals(cached(w.head).up.at(-1), 0); // the last report (both may share a second)
    assertEquals(loop.state.failures.parse, 1);
  } finally {
    await loop.stop();
    await s.shutdown();
    await w.close();
  }
});
