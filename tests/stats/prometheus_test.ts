// The Prometheus page: the text format, the handler, and one real socket.

import { assertEquals } from "../_util/assert.ts";
import { PrometheusServer, renderPrometheus } from "../../src/stats/prometheus.ts";
import type { StatSend } from "../../src/stats/sample.ts";

const source = {
  stat(send: StatSend) {
    send({ name: "x_total", help: "X things.", type: "counter", value: 3, labels: { a: 'q"\\' } });
    send({ name: "x_total", help: "X things.", type: "counter", value: 4, labels: { a: "b" } });
    send({ name: "y", help: "Y.", type: "gauge", value: Infinity });
  },
};

Deno.test("renderPrometheus() writes one HELP/TYPE block per name and escapes labels", () => {
  const samples: Parameters<StatSend>[0][] = [];
  source.stat((s) => samples.push(s));
  assertEquals(
    renderPrometheus(samples),
    "# HELP x_total X things.\n# TYPE x_total counter\n" +
      'x_total{a="q\\"\\\\"} 3\nx_total{a="b"} 4\n' +
      "# HELP y Y.\n# TYPE y gauge\ny +Inf\n",
  );
});

Deno.test("PrometheusServer.handler() serves /metrics and /healthz, 404 and 405 otherwise", async () => {
  const server = new PrometheusServer({ listen: "127.0.0.1:0", endpoint: "/metrics" }, [source]);
  const metrics = server.handler(new Request("http://x/metrics"));
  assertEquals(metrics.status, 200);
  assertEquals(metrics.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assertEquals((await metrics.text()).includes('x_total{a="b"} 4'), true);
  assertEquals(await server.handler(new Request("http://x/healthz")).text(), "ok\n");
  assertEquals(server.handler(new Request("http://x/nope")).status, 404);
  assertEquals(server.handler(new Request("http://x/metrics", { method: "POST" })).status, 405);
});

Deno.test("PrometheusServer answers over a real socket", async () => {
  const server = new PrometheusServer({ listen: "127.0.0.1:0", endpoint: "/metrics" }, [source]);
  server.start();
  try {
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/metrics`);
    assertEquals((await res.text()).startsWith("# HELP x_total"), true);
  } finally {
    await server.stop();
  }
});
