// Metric name <-> path mapping, both ways.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { metricNameFromPath, metricPath } from "../../src/storage/metric_path.ts";

Deno.test("metricPath() maps a.b.c to <data-dir>/a/b/c.wsp", () => {
  assertEquals(metricPath("/var/lib/w", "a.b.c"), "/var/lib/w/a/b/c.wsp");
  assertEquals(metricPath("/var/lib/w/", "c"), "/var/lib/w/c.wsp");
  assertEquals(metricPath("./data", "a.b;tag=v"), "./data/a/b;tag=v.wsp");
});

Deno.test("metricPath() refuses names that could leave the data directory", () => {
  for (const name of ["", "..", "a..b", ".a", "a.", "/etc/passwd", "a/b", "a\0b", "x\n"]) {
    assertThrows(() => metricPath("/data", name), RangeError, "not a safe path");
  }
});

Deno.test("metricNameFromPath() maps a/b/c.wsp to a.b.c and rejects non-metrics", () => {
  assertEquals(metricNameFromPath("a/b/c.wsp"), "a.b.c");
  assertEquals(metricNameFromPath("c.wsp"), "c");
  for (const p of ["a/b/c.txt", "a/b.c.wsp", "a//c.wsp", ".wsp", "a/.wsp", "a.b/c.wsp"]) {
    assertEquals(metricNameFromPath(p), null, p);
  }
});
