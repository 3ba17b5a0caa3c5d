// Metric name <-> path mapping, both ways.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import {
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  metricNameFromPath,
  metricPath,
  PathTooLongError,
} from "../../src/storage/metric_path.ts";

Deno.test("metricPath() maps a.b.c to <data-dir>/a/b/c.wsp", () => {
  assertEquals(metricPath("/var/lib/w", "a.b.c"), "/var/lib/w/a/b/c.wsp");
  assertEquals(metricPath("/var/lib/w/", "c"), "/var/lib/w/c.wsp");
});

Deno.test("metricPath() puts tagged names under _tagged/, by hash or with _DOT_ (as carbon)", () => {
  // carbon's own example (TaggedSeries.encode docstring), paths taken from carbon 1.1.7
  const name = "some.metric;tag1=value2;tag2=value.2";
  const h = "effaae5b55950b150a7493d2f5430772ca2460bf7cccb4d9e523643df54c010f";
  assertEquals(metricPath("/w", name), `/w/_tagged/eff/aae/${h}.wsp`);
  assertEquals(
    metricPath("/w", name, false),
    "/w/_tagged/eff/aae/some_DOT_metric;tag1=value2;tag2=value_DOT_2.wsp",
  );
  // tag values may hold what a path may not: the file is a hash
  assertEquals(metricPath("/w", "a;path=/var/../log").startsWith("/w/_tagged/"), true);
  assertThrows(() => metricPath("/w", "a;path=/var", false), RangeError, "not a file name");
});

Deno.test("metricPath() refuses names that could leave the data directory", () => {
  for (const name of ["", "..", "a..b", ".a", "a.", "/etc/passwd", "a/b", "a\0b", "x\n"]) {
    assertThrows(() => metricPath("/data", name), RangeError, "not a safe path");
  }
});

Deno.test("metricPath() refuses a path the file system cannot hold, data-dir included", () => {
  // the file name is the last segment with ".wsp": 251 bytes of name fill NAME_MAX exactly
  const fits = "a".repeat(MAX_SEGMENT_BYTES - 4);
  assertEquals(metricPath("/w", `x.${fits}`), `/w/x/${fits}.wsp`);
  assertThrows(() => metricPath("/w", `x.${fits}b`), PathTooLongError, "over 255 bytes");
  assertThrows(() => metricPath("/w", `${"é".repeat(128)}.x`), PathTooLongError, "segment");
  // 4,090 bytes of name in segments that fit: the whole path is what overflows, and only
  // once the data-dir is in front of it
  const segments = Array.from({ length: 20 }, () => "s".repeat(200)).join(".") + "." +
    "t".repeat(70);
  assertEquals(segments.length, 4090);
  assertEquals(metricPath("/", segments).length, 4095);
  assertEquals(MAX_PATH_BYTES, 4095);
  assertThrows(() => metricPath("/w", segments), PathTooLongError, "4097 bytes, over 4095");
  // a tagged name is stored under its hash: a long one is fine there, not as a literal file
  const tagged = `m;t=${"v".repeat(300)}`;
  assertEquals(metricPath("/w", tagged).length, "/w/_tagged/abc/def/".length + 64 + 4);
  assertThrows(() => metricPath("/w", tagged, false), PathTooLongError);
});

Deno.test("metricNameFromPath() maps a/b/c.wsp to a.b.c and rejects non-metrics", () => {
  assertEquals(metricNameFromPath("a/b/c.wsp"), "a.b.c");
  assertEquals(metricNameFromPath("c.wsp"), "c");
  for (const p of ["a/b/c.txt", "a/b.c.wsp", "a//c.wsp", ".wsp", "a/.wsp", "a.b/c.wsp"]) {
    assertEquals(metricNameFromPath(p), null, p);
  }
});
