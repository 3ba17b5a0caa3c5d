// The TS reference exposition parser against the shared case table, and parseSeries() on the
// series spans it cuts.

import { assert, assertEquals } from "../_util/assert.ts";
import {
  type ExposedSample,
  formatOf,
  parseExposition,
  parseSeries,
} from "../../src/protocol/exposition.ts";
import { EXPOSITION_CASES } from "./exposition_cases.ts";

const enc = new TextEncoder();

/** A sample as the case table writes it. */
export function sampleText(s: ExposedSample): string {
  const labels = s.labels.map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`
  ).join(",");
  const ts = s.timestampMs === null ? "" : ` ${s.timestampMs}`;
  return `${s.name}${labels ? `{${labels}}` : ""} ${String(s.value)}${ts}`;
}

for (const c of EXPOSITION_CASES) {
  Deno.test(`parseExposition() ${c.format}: ${c.name}`, () => {
    const r = parseExposition(enc.encode(c.body), c.format);
    assertEquals(r.error !== null, c.error === true, r.error ?? "no error");
    if (c.samples) assertEquals(r.samples.map(sampleText), c.samples);
    for (const s of r.samples) {
      const again = parseSeries(s.series, c.format);
      assertEquals([again.name, again.labels], [s.name, s.labels]);
    }
  });
}

Deno.test("parseExposition() errors say the line", () => {
  const r = parseExposition(enc.encode("a 1\nb 2\nc x\n"), "text");
  assert.match(r.error!, /^line 3: bad value "x"/);
});

Deno.test("parseSeries() refuses what is not one series", () => {
  for (const span of ["a b", 'a{x="1"', 'a{x="1"}}', "", '{x="1"}']) {
    let threw = false;
    try {
      parseSeries(enc.encode(span), "text");
    } catch (err) {
      threw = err instanceof SyntaxError;
    }
    assert.ok(threw, span);
  }
});

Deno.test("formatOf() picks OpenMetrics by the media type alone", () => {
  assertEquals(
    formatOf("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    "openmetrics",
  );
  assertEquals(formatOf("text/plain; version=0.0.4"), "text");
  assertEquals(formatOf(null), "text");
  assertEquals(formatOf("application/json"), "text");
});
