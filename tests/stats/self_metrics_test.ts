// Self-metrics: go-carbon names under the graph prefix, counters as per-interval deltas.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { readToEnd } from "../_util/net.ts";
import type { StatSend } from "../../src/stats/sample.ts";
import { expandPrefix, SelfMetrics } from "../../src/stats/self_metrics.ts";
import { Head } from "../../src/appender/head.ts";

const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;
let received = 0;
const source = {
  stat(send: StatSend) {
    send({
      name: "x_total",
      help: "",
      type: "counter",
      value: received,
      carbon: "tcp.metricsReceived",
    });
    send({ name: "y", help: "", type: "gauge", value: 7, carbon: "cache.size" });
    send({ name: "z", help: "", type: "gauge", value: 1 }); // no carbon name: Prometheus only
  },
};

Deno.test("expandPrefix() puts the host name in with dots as underscores", () => {
  assertEquals(
    expandPrefix("carbon.agents.{host}", "web-1.example.com"),
    "carbon.agents.web-1_example_com",
  );
});

Deno.test("SelfMetrics writes counters as deltas and gauges as they are into the cache", async () => {
  head.reset(10_000);
  const self = new SelfMetrics(
    { graphPrefix: "carbon.agents.{host}", interval: 60_000, endpoint: "local", hostname: "h.one" },
    [source],
    head,
  );
  received = 100;
  await self.send(1_700_000_000_000);
  received = 130;
  await self.send(1_700_000_060_000);
  assertEquals(
    dumpCache(cache),
    new Map([
      ["carbon.agents.h_one.cache.size", [[1700000000, 7], [1700000060, 7]]],
      ["carbon.agents.h_one.tcp.metricsReceived", [[1700000000, 100], [1700000060, 30]]],
    ]),
  );
});

Deno.test("SelfMetrics sends plaintext lines to a tcp:// metric-endpoint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const self = new SelfMetrics(
    {
      graphPrefix: "me",
      interval: 60_000,
      endpoint: `tcp://127.0.0.1:${listener.addr.port}`,
      hostname: "h",
    },
    [source],
    head,
  );
  received = 5;
  const sending = self.send(1_700_000_000_000);
  const conn = await listener.accept();
  const text = new TextDecoder().decode(await readToEnd(conn));
  await sending;
  conn.close();
  listener.close();
  assertEquals(text, "me.tcp.metricsReceived 5 1700000000\nme.cache.size 7 1700000000\n");
});
