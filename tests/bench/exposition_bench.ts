// The exposition parser: wasm (parse, scrape cache lookup, stage, rolled back) against the TS
// reference parser alone, on node_exporter-like text and a 100k-series target, with a warm
// scrape cache (every series seen before, as in every scrape after the first).
// `deno task bench:exposition` prints samples/s ("lines/s") and MB/s via throughput_report.ts.

import { Head } from "../../src/appender/head.ts";
import { parseExposition } from "../../src/protocol/exposition.ts";
import { flatBody, nodeExporterBody } from "./exposition_datasets.ts";

const bodies = [nodeExporterBody(), flatBody(100_000)];
const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: 262_144 });
const tag = (b: { samples: number; bytes: Uint8Array }) =>
  `[lines=${b.samples} bytes=${b.bytes.length}]`;

for (const b of bodies) {
  const cache = head.scrapeCache();
  const name = (s: { name: string; labels: [string, string][] }) =>
    `${s.name};${s.labels.map(([k, v]) => `${k}=${v}`).join(";")};instance=h:9100;job=node`;
  const warm = head.appender();
  warm.appendExposition(b.bytes, cache, {
    format: "text",
    timestamp: 1_700_000_000,
    honorTimestamps: true,
    sampleLimit: 0,
    name,
  });
  warm.commit();
  Deno.bench(`wasm parse+stage ${b.label} ${tag(b)}`, { group: b.label }, () => {
    const app = head.appender();
    const c = app.appendExposition(b.bytes, cache, {
      format: "text",
      timestamp: 1_700_000_001,
      honorTimestamps: true,
      sampleLimit: 0,
      name: () => {
        throw new Error("every series is cached");
      },
    });
    app.rollback();
    if (c.samples !== b.samples || c.cacheHits !== b.samples) throw new Error("lost samples");
  });
  Deno.bench(`TS reference parse ${b.label} ${tag(b)}`, { group: b.label, baseline: true }, () => {
    const r = parseExposition(b.bytes, "text");
    if (r.samples.length !== b.samples) throw new Error("lost samples");
  });
}
