// Graphite names to labels: the sanitized and raw styles, tags, include/exclude, mapping rules.

import assert from "node:assert/strict";
import {
  isLabelName,
  NameMapper,
  type NameMapperOptions,
  sanitizeLabelName,
  sanitizeMetricName,
} from "../../src/remote/names.ts";

const PLAIN: NameMapperOptions = { names: "sanitized", include: [], exclude: [], mapping: [] };

Deno.test("sanitizeMetricName() replaces each byte outside [a-zA-Z0-9_:] and guards a leading digit", () => {
  const cases: [string, string][] = [
    ["servers.web-01.cpu", "servers_web_01_cpu"],
    ["a:b_c.D9", "a:b_c_D9"],
    ["café.p99", "caf___p99"], // é is two UTF-8 bytes
    ["東京.x", "_______x"], // three bytes per character
    ["\u{1F600}x", "____x"], // four bytes
    ["\ud800x", "___x"], // a lone surrogate is encoded as U+FFFD: three bytes
    ["1min.load", "_1min_load"],
    ["already_fine", "already_fine"],
  ];
  for (const [name, want] of cases) assert.equal(sanitizeMetricName(name), want, name);
  assert.equal(sanitizeLabelName("a:b"), "a_b");
  assert.equal(sanitizeLabelName("9lives"), "_9lives");
  assert.ok(isLabelName("host_1") && !isLabelName("1host") && !isLabelName("a:b"));
});

Deno.test("NameMapper: tags become labels, sorted, empty ones left out, __name__ wins", () => {
  const m = new NameMapper(PLAIN);
  assert.deepEqual(m.labels("disk.used;rack=a1;dc=east;zone-id=3;empty=;=x;__name__=no"), [
    ["__name__", "disk_used"],
    ["dc", "east"],
    ["rack", "a1"],
    ["zone_id", "3"],
  ]);
  assert.deepEqual(m.labels("plain"), [["__name__", "plain"]]);
});

Deno.test('NameMapper: names = "raw" keeps the dotted path and the tag keys', () => {
  const m = new NameMapper({ ...PLAIN, names: "raw" });
  assert.deepEqual(m.labels("servers.web-01.cpu;zone-id=3"), [
    ["__name__", "servers.web-01.cpu"],
    ["zone-id", "3"],
  ]);
});

Deno.test("NameMapper: include and exclude globs decide what is sent (on the path, not the tags)", () => {
  const m = new NameMapper({
    ...PLAIN,
    include: ["servers.*.cpu.*", "apps.{a,b}.*"],
    exclude: ["servers.test-*.cpu.*"],
  });
  assert.ok(m.labels("servers.web01.cpu.user") !== null);
  assert.ok(m.labels("servers.web01.cpu.user;dc=x") !== null);
  assert.equal(m.labels("servers.test-1.cpu.user"), null);
  assert.equal(m.labels("servers.web01.mem.used"), null);
  assert.ok(m.labels("apps.b.requests") !== null);
  assert.equal(m.labels("apps.c.requests"), null);
  const excludeOnly = new NameMapper({ ...PLAIN, exclude: ["carbon.agents.**"] });
  assert.equal(excludeOnly.labels("carbon.agents.host1"), null); // ** is * (one segment)
  assert.ok(excludeOnly.labels("carbon.agents.host1.cache.size") !== null);
});

Deno.test("NameMapper: the first matching rule names the series and fills labels from its wildcards", () => {
  const m = new NameMapper({
    ...PLAIN,
    mapping: [
      { match: "servers.*.cpu.*", name: "cpu_usage", labels: { host: "$1", mode: "$2" } },
      { match: "servers.*.cpu.total", name: "never", labels: {} },
      { match: "apps.web-*.{get,post}.latency", name: "http_$2_latency", labels: { app: "$1" } },
      { match: "x.*", name: "$9", labels: { gone: "$7" } },
    ],
  });
  assert.deepEqual(m.labels("servers.web01.cpu.total;dc=east;host=tag"), [
    ["__name__", "cpu_usage"],
    ["dc", "east"],
    ["host", "web01"], // the rule's label wins over the tag
    ["mode", "total"],
  ]);
  assert.deepEqual(m.labels("apps.web-eu.post.latency"), [
    ["__name__", "http_post_latency"],
    ["app", "web-eu"],
  ]);
  // an unknown $n is empty: the name falls back to the path, the label is left out
  assert.deepEqual(m.labels("x.y"), [["__name__", "x_y"]]);
  // no rule matches: the default
  assert.deepEqual(m.labels("servers.web01.mem"), [["__name__", "servers_web01_mem"]]);
});

Deno.test("NameMapper refuses a bad glob, naming it", () => {
  assert.throws(
    () => new NameMapper({ ...PLAIN, include: ["a..b"] }),
    /Invalid glob pattern "a..b"/,
  );
});
