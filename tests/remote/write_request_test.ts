// The WriteRequest encoder: protoc (Debian's protobuf-compiler) reads what it writes with
// Prometheus' own message definitions; samples are grouped per series in first-seen order;
// the oracle's label encoding checks labels as the 1.0 spec requires.

import assert from "node:assert/strict";
import { join } from "node:path";
import { type EncodableSeries, WriteRequestEncoder } from "../../src/remote/write_request.ts";
import { compareBytes, encodableSeries, encodeLabels } from "./names_oracle.ts";
import { decodeWriteRequest } from "../_util/remote_write_decode.ts";
import { requires, TOOLS } from "../_util/requires.ts";

function series(labels: [string, string][]): EncodableSeries {
  return encodableSeries(labels);
}

function columns(rows: [EncodableSeries, number, number][]) {
  return {
    series: rows.map((r) => r[0]),
    t: Float64Array.from(rows.map((r) => r[1])),
    v: Float64Array.from(rows.map((r) => r[2])),
  };
}

Deno.test("WriteRequestEncoder groups samples per series, first-seen order, values bit-exact", () => {
  const a = series([["__name__", "cpu_user"], ["host", "web01"]]);
  const b = series([["__name__", "servers.web02.cpu"]]);
  const rows: [EncodableSeries, number, number][] = [
    [a, 1_700_000_000_000, 0.1],
    [b, 1_700_000_000_000, -0],
    [a, 1_700_000_001_000, 1e-300],
    [b, 1_700_000_060_000, Number.MAX_VALUE],
    [a, 0, 12345.678901234567],
  ];
  const enc = new WriteRequestEncoder();
  const decoded = decodeWriteRequest(enc.encode(columns(rows), { from: 0, to: rows.length }));
  assert.deepEqual(decoded, [
    {
      labels: [["__name__", "cpu_user"], ["host", "web01"]],
      samples: [
        { value: 0.1, t: 1_700_000_000_000 },
        { value: 1e-300, t: 1_700_000_001_000 },
        { value: 12345.678901234567, t: 0 },
      ],
    },
    {
      labels: [["__name__", "servers.web02.cpu"]],
      samples: [{ value: -0, t: 1_700_000_000_000 }, {
        value: Number.MAX_VALUE,
        t: 1_700_000_060_000,
      }],
    },
  ]);
  assert.ok(Object.is(decoded[1].samples[0].value, -0));
  // a sub-range, and the same bytes for the same input
  const part = enc.encode(columns(rows), { from: 1, to: 3 }).slice();
  assert.deepEqual(decodeWriteRequest(part).map((s) => s.samples.length), [1, 1]);
  assert.deepEqual(enc.encode(columns(rows), { from: 1, to: 3 }), part);
});

Deno.test("WriteRequestEncoder writes negative timestamps as 64-bit two's complement", () => {
  const a = series([["__name__", "x"]]);
  const bytes = new WriteRequestEncoder().encode(columns([[a, -1000, 1]]), { from: 0, to: 1 });
  assert.deepEqual(decodeWriteRequest(bytes)[0].samples, [{ value: 1, t: -1000 }]);
});

const PROTO = `syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

Deno.test(requires("protoc", {
  name: "protoc decodes the encoder's WriteRequest with Prometheus' message definitions",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "remote.proto"), PROTO);
      const a = series([["__name__", "caf\u00e9_latency"], ["dc", "\u6771\u4eac"]]);
      const rows: [EncodableSeries, number, number][] = [[a, 1_700_000_000_123, 2.5], [
        a,
        1_700_000_001_123,
        -7,
      ]];
      const bytes = new WriteRequestEncoder().encode(columns(rows), { from: 0, to: 2 });
      const child = new Deno.Command(TOOLS.protoc.path, {
        args: [`--proto_path=${dir}`, "--decode=prometheus.WriteRequest", "remote.proto"],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(bytes);
      await writer.close();
      const { code, stdout, stderr } = await child.output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const text = new TextDecoder().decode(stdout).replace(/\s+/g, " ").trim();
      assert.equal(
        text,
        'timeseries { labels { name: "__name__" value: "caf\\303\\251_latency" } ' +
          'labels { name: "dc" value: "\\346\\235\\261\\344\\272\\254" } ' +
          "samples { value: 2.5 timestamp: 1700000000123 } " +
          "samples { value: -7 timestamp: 1700000001123 } }",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
}));

Deno.test("encodeLabels() refuses unsorted, repeated and empty labels", () => {
  assert.throws(() => encodeLabels([["b", "1"], ["a", "2"]]), /out of order/);
  assert.throws(() => encodeLabels([["a", "1"], ["a", "2"]]), /out of order or repeated/);
  assert.throws(() => encodeLabels([["a", ""]]), /empty/);
  assert.throws(() => encodeLabels([["", "x"]]), /empty/);
  assert.equal(encodeLabels([]).length, 0);
});

Deno.test("compareBytes() orders by UTF-8 bytes, also past the BMP", () => {
  assert.ok(compareBytes("Z", "a") < 0);
  assert.ok(compareBytes("a", "ab") < 0);
  assert.ok(compareBytes("\uffff", "\u{10000}") < 0); // UTF-16 order would say the opposite
  assert.equal(compareBytes("x", "x"), 0);
});
