// remote_write through the appender in wasm: the shared case table on both builds (snappy
// compressed and not), malformed bodies rolled back, requests larger than a batch, and the
// snappy decoder against the TS reference.

import { assert, assertEquals, assertThrows } from "../_util/assert.ts";
import { dumpCache, groupPoints } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { snappyDecode } from "../../src/protocol/snappy.ts";
import { encodeWriteRequest, snappyCompress } from "../_util/remote_write_encode.ts";
import { RW_CASES, RW_MALFORMED } from "../protocol/remote_write_cases.ts";
import { rejectedOf } from "./ingest_util.ts";

const MAX = 1 << 26;

for (const debug of [false, true]) {
  const build = debug ? "debug" : "release";
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug });
  const cache = head.drain;

  for (const c of RW_CASES) {
    for (const snappy of [true, false]) {
      Deno.test(`wasm ${build}: remote_write ${c.name}${snappy ? "" : ", not compressed"}`, () => {
        head.reset(1_000_000);
        const app = head.appender();
        const body = snappy ? snappyCompress(c.request) : c.request;
        const skips = app.appendRemoteWrite(body, { snappy, maxDecoded: MAX });
        app.commit();
        assertEquals(dumpCache(cache), groupPoints(c.points));
        assertEquals(rejectedOf(cache), c.rejected ?? {});
        assertEquals(skips, { stale: 0, nan: 0, histograms: 0, unnamed: 0, ...c.skips });
      });
    }
  }

  for (const c of RW_MALFORMED) {
    Deno.test(`wasm ${build}: remote_write refuses ${c.name}`, () => {
      head.reset(1_000_000);
      const app = head.appender();
      const ok = encodeWriteRequest([{
        labels: [["__name__", "first"]],
        samples: [{ value: 1, timestamp: 1000 }],
      }]);
      const body = snappyCompress(Uint8Array.from([...ok, ...c.request]));
      assertThrows(
        () => app.appendRemoteWrite(body, { snappy: true, maxDecoded: MAX }),
        SyntaxError,
      );
      app.rollback();
      assertEquals(dumpCache(cache).size, 0);
      assertEquals(cache.counters().series, 0);
    });
  }
}

const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: MAX_LINE_BYTES });
const cache = head.drain;

Deno.test("wasm: a remote_write request larger than a batch is staged in several", () => {
  head.reset(2_000_000);
  // 300 series of 100 samples, and one series of 20000 samples: past BATCH_RECORDS twice
  const series = Array.from({ length: 300 }, (_, i) => ({
    labels: [["__name__", "m"], ["i", `${i}`]] as [string, string][],
    samples: Array.from({ length: 100 }, (_, k) => ({ value: k, timestamp: (1000 + k) * 1000 })),
  }));
  series.push({
    labels: [["__name__", "long"], ["x", "y".repeat(3000)]],
    samples: Array.from({ length: 20000 }, (_, k) => ({ value: k, timestamp: k * 1000 })),
  });
  const app = head.appender();
  app.appendRemoteWrite(snappyCompress(encodeWriteRequest(series)), {
    snappy: true,
    maxDecoded: MAX,
  });
  assertEquals(app.commit().accepted, 50000);
  const dump = dumpCache(cache);
  assertEquals(dump.get("m;i=299")?.length, 100);
  const long = dump.get(`long;x=${"y".repeat(3000)}`)!;
  assertEquals([long.length, long[0], long[19999]], [20000, [0, 0], [19999, 19999]]);
});

Deno.test("wasm: a snappy block announcing more than the limit is refused before decoding", () => {
  head.reset(2_000_000);
  const app = head.appender();
  const body = snappyCompress(new Uint8Array(5000));
  assertThrows(() => app.appendRemoteWrite(body, { snappy: true, maxDecoded: 4999 }), RangeError);
  app.rollback();
});

Deno.test("wasm: corrupt snappy blocks are refused", () => {
  const good = snappyCompress(encodeWriteRequest([{
    labels: [["__name__", "m"]],
    samples: [{ value: 1, timestamp: 1000 }],
  }]));
  const bad = [
    Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), // preamble over 5 bytes
    Uint8Array.from([0x05, 0x01, 0x00]), // a copy before any output
    Uint8Array.from([0x03, 0x08, 0x61]), // a literal past the input
    good.subarray(0, good.length - 1), // one byte short
    Uint8Array.from([...good.subarray(0, 1).map((b) => b + 1), ...good.subarray(1)]), // length off
  ];
  for (const body of bad) {
    head.reset(2_000_000);
    const app = head.appender();
    assertThrows(() => app.appendRemoteWrite(body, { snappy: true, maxDecoded: MAX }), SyntaxError);
    assertThrows(() => snappyDecode(body), SyntaxError);
    app.rollback();
  }
});

Deno.test("snappy: the TS reference decodes what the test compressor makes, every copy form", () => {
  const rand = (n: number, seed: number) => {
    let s = seed;
    return Uint8Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  };
  const text = new TextEncoder().encode("abcabcabcabc".repeat(1000) + "xyz".repeat(70000));
  const far = Uint8Array.from([...rand(70000, 1), ...rand(100, 2), ...rand(70000, 1)]);
  for (const input of [new Uint8Array(0), rand(100, 3), text, far, new Uint8Array(200000)]) {
    const block = snappyCompress(input);
    assertEquals(snappyDecode(block), input);
    if (input.length > 1000) assert(block.length < input.length * 0.9 || input === far);
  }
});

Deno.test("wasm: snappy copies with 4-byte offsets (matches more than 64 KiB back)", () => {
  head.reset(2_000_000);
  let s = 7;
  const text = () =>
    String.fromCharCode(
      ...Array.from({ length: 70000 }, () => 97 + ((s = (s * 69069 + 1) >>> 0) >>> 27)),
    );
  const a = text();
  const b = text();
  const request = encodeWriteRequest([
    { labels: [["__name__", "x"], ["a", a]], samples: [{ value: 1, timestamp: 1000 }] },
    { labels: [["__name__", "x"], ["b", b]], samples: [{ value: 1, timestamp: 1000 }] },
    { labels: [["__name__", "x"], ["a", a]], samples: [{ value: 1, timestamp: 1000 }] },
    { labels: [["__name__", "ok"]], samples: [{ value: 2, timestamp: 1000 }] },
  ]);
  const block = snappyCompress(request);
  assert(block.length < request.length * 0.8);
  const app = head.appender();
  app.appendRemoteWrite(block, { snappy: true, maxDecoded: MAX });
  const result = app.commit();
  assertEquals([result.accepted, result.rejectedBy], [1, { bad_name: 3 }]);
  assertEquals(snappyDecode(block), request);
});
