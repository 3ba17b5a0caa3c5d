// The shared protobuf writer and reader: nested lengths shifted into place at every varint size,
// proto3 defaults left out, negatives as 10-byte varints, and malformed input refused.

import assert from "node:assert/strict";
import { ProtobufReader, ProtobufWriter } from "../../src/protocol/protobuf.ts";

Deno.test("ProtobufWriter nests messages of every length size and the reader reads them back", () => {
  for (const size of [0, 1, 127, 128, 16_383, 16_384, 70_000]) {
    const w = new ProtobufWriter(4);
    w.begin(1);
    w.string(2, "x".repeat(size));
    w.int(3, -5);
    w.end();
    w.bool(4, true);
    const bytes = w.finish();
    const r = new ProtobufReader(bytes);
    const outer = r.next()!;
    assert.deepEqual(outer, { field: 1, wire: 2 });
    const inner = new ProtobufReader(r.bytes());
    if (size > 0) {
      assert.deepEqual(inner.next(), { field: 2, wire: 2 });
      assert.equal(inner.string(), "x".repeat(size));
    }
    assert.deepEqual(inner.next(), { field: 3, wire: 0 });
    assert.equal(inner.int(), -5);
    assert.equal(inner.next(), null);
    assert.deepEqual(r.next(), { field: 4, wire: 0 });
    assert.equal(r.uint(), 1);
    assert.equal(r.next(), null);
  }
});

Deno.test("ProtobufWriter leaves proto3 defaults out", () => {
  const w = new ProtobufWriter();
  w.string(1, "");
  w.int(2, 0);
  w.bool(3, false);
  w.float(4, 0);
  w.doubles(5, []);
  w.bools(6, []);
  assert.equal(w.finish().length, 0);
});

Deno.test("ProtobufReader refuses truncated and malformed input with a SyntaxError", () => {
  const cases = [
    [0x0a, 0x05, 0x61], // a length past the end
    [0x08, 0x80], // a varint cut short
    [0x0b], // wire type 3 (groups)
    [0x00, 0x00], // field number 0
    [0x0a, 0x01, 0xff], // a string that is not UTF-8
  ];
  for (const c of cases) {
    assert.throws(
      () => {
        const r = new ProtobufReader(new Uint8Array(c));
        for (let f = r.next(); f !== null; f = r.next()) {
          if (f.wire === 2) r.string();
          else r.skip(f.wire);
        }
      },
      SyntaxError,
      c.join(","),
    );
  }
});
