// The TS reference remote_write decoder against the shared case table, and protoc (Google's
// protobuf compiler) as the oracle of the wire format for the test encoder and the decoder.

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { groupPoints } from "../_util/cache_dump.ts";
import { decodeWriteRequest, seriesPoints } from "../../src/protocol/remote_write.ts";
import type { RemoteWriteSkips } from "../../src/wasm/structured.ts";
import { encodeWriteRequest } from "../_util/remote_write_encode.ts";
import { Appended } from "./appended.ts";
import { RW_CASES, RW_MALFORMED } from "./remote_write_cases.ts";
import { requires } from "../_util/requires.ts";

for (const c of RW_CASES) {
  Deno.test(`decodeWriteRequest() ${c.name}`, () => {
    const got = new Appended();
    const skips: RemoteWriteSkips = { stale: 0, nan: 0, histograms: 0, unnamed: 0 };
    seriesPoints(decodeWriteRequest(c.request), {
      point: (name, ts, value) => got.point(name, value, ts),
      reject: (reason, n) => got.reject(reason, n),
      skipped: (what) => skips[what === "histogram" ? "histograms" : what]++,
      unnamed: () => skips.unnamed++,
    });
    assertEquals(got.grouped(), groupPoints(c.points));
    assertEquals(got.rejected, c.rejected ?? {});
    assertEquals(skips, { stale: 0, nan: 0, histograms: 0, unnamed: 0, ...c.skips });
  });
}

for (const c of RW_MALFORMED) {
  Deno.test(`decodeWriteRequest() refuses ${c.name}`, () => {
    assertThrows(() => decodeWriteRequest(c.request), SyntaxError);
  });
}

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated Meta metadata = 3; }
message Meta { int32 type = 1; string metric_family_name = 2; string help = 4; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

Deno.test(requires("protoc", {
  name: "the test encoder writes the bytes protoc writes, and both decode to the same series",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/rw.proto`, PROTO);
      const text = `
        timeseries { labels { name: "__name__" value: "up" } labels { name: "job" value: "n\\303\\251" }
                     samples { value: 1.5 timestamp: 1700000000123 }
                     samples { value: -2 timestamp: -5 } }
        timeseries { labels { name: "__name__" value: "x" } samples { value: 0 timestamp: 0 } }
        metadata { type: 1 metric_family_name: "metric_0" help: "help text" }`;
      const child = new Deno.Command("protoc", {
        args: [`--proto_path=${dir}`, "--encode=prometheus.WriteRequest", "rw.proto"],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const { stdout, success } = await child.output();
      assertEquals(success, true);
      const ours = encodeWriteRequest([
        {
          labels: [["__name__", "up"], ["job", "né"]],
          samples: [{ value: 1.5, timestamp: 1700000000123 }, { value: -2, timestamp: -5 }],
        },
        { labels: [["__name__", "x"]], samples: [{ value: 0, timestamp: 0 }] },
      ]);
      // protoc leaves out fields holding their default (0): compare what both decode to
      const decoded = decodeWriteRequest(stdout);
      assertEquals(decoded, decodeWriteRequest(ours));
      assertEquals(decoded[0].labels, [["__name__", "up"], ["job", "né"]]);
      assertEquals(decoded[0].samples.map((s) => s.timestamp), [1700000000123, -5]);
      assertEquals(ours.subarray(0, 20), stdout.subarray(0, 20));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));
