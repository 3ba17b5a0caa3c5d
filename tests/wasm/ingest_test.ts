// Parse and stage through the appender: the shared plaintext table on both builds, every split
// of every input across two chunks, a float-conversion fuzz against Number(), structured points.

import { assert, assertEquals } from "../_util/assert.ts";
import { rng } from "../_util/rng.ts";
import { dumpCache, feed, groupPoints } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import type { CommitResult } from "../../src/appender/appender.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import {
  MAX_LINE_BYTES,
  parsePlainBlock,
  type RejectReason,
} from "../../src/protocol/plaintext.ts";
import { caseBytes, PLAIN_CASES } from "../protocol/plaintext_cases.ts";
import { rejectedOf, splitOffsets } from "./ingest_util.ts";

const enc = new TextEncoder();

for (const debug of [false, true]) {
  const build = debug ? "debug" : "release";
  const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug });
  const cache = head.drain;

  for (const c of PLAIN_CASES) {
    Deno.test(`wasm ${build}: ${c.name}`, () => {
      head.reset(1_000_000);
      const stream = new PlainStream(head.appender(), MAX_LINE_BYTES);
      feed(stream, caseBytes(c));
      assertEquals(dumpCache(cache), groupPoints(c.points));
      assertEquals(rejectedOf(cache), c.rejected ?? {});
      assertEquals(cache.counters().accepted, c.points.length);
    });

    Deno.test(`wasm ${build}: ${c.name}, split at every offset`, () => {
      const bytes = caseBytes(c);
      const expected = groupPoints(c.points);
      for (const at of splitOffsets(bytes.length)) {
        head.reset(1_000_000);
        const stream = new PlainStream(head.appender(), MAX_LINE_BYTES);
        feed(stream, bytes.subarray(0, at));
        feed(stream, bytes.subarray(at));
        assertEquals(dumpCache(cache), expected, `split at ${at}`);
        assertEquals(rejectedOf(cache), c.rejected ?? {}, `split at ${at}`);
      }
    });
  }
}

const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES });
const cache = head.drain;

function ingestText(text: string): void {
  feed(new PlainStream(head.appender(), MAX_LINE_BYTES), enc.encode(text));
}

/**
 * 19 significant digits just below (or just above) the exact midpoint between |d| and the next
 * double up: the inputs where a 64-bit shortcut would round the wrong way.
 */
function nearHalfway(d: number, above: boolean): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(d));
  const raw = view.getBigUint64(0);
  const biased = Number(raw >> 52n);
  const fraction = raw & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const twice = 2n * m + 1n; // midpoint = twice * 2^(e-1)
  const f = e - 1;
  const exact = f >= 0 ? twice << BigInt(f) : twice * 5n ** BigInt(-f);
  const scale = f >= 0 ? 0 : f; // exact * 10^scale is the midpoint
  const digits = exact.toString();
  const kept = BigInt(digits.slice(0, 19)) + (above ? 1n : 0n);
  return `${kept}e${scale + digits.length - Math.min(19, digits.length)}`;
}

/** Decimal strings that stress the conversion: random doubles printed many ways, near-halfway. */
function floatStrings(count: number, seed: number): string[] {
  const rand = rng(seed);
  const out: string[] = [];
  const bits = new DataView(new ArrayBuffer(8));
  while (out.length < count) {
    bits.setUint32(0, Math.floor(rand() * 0x7fefffff), true);
    bits.setUint32(4, Math.floor(rand() * 0x1_0000_0000), false);
    const d = bits.getFloat64(0, true) * (rand() < 0.5 ? -1 : 1);
    if (!Number.isFinite(d)) continue;
    const digits = 1 + Math.floor(rand() * 20);
    switch (out.length % 6) {
      case 0:
        out.push(String(d));
        break;
      case 1:
        out.push(d.toExponential(Math.min(digits, 100)));
        break;
      case 2:
        out.push((d / 10 ** Math.floor(rand() * 300)).toPrecision(Math.min(digits, 21)));
        break;
      case 3:
        out.push(nearHalfway(d, rand() < 0.5));
        break;
      case 4: {
        let s = String(Math.floor(rand() * 9) + 1);
        for (let i = 1; i < digits; i++) s += String(Math.floor(rand() * 10));
        out.push(`${s}e${Math.floor(rand() * 700) - 350}`);
        break;
      }
      default:
        out.push((rand() * 1e6).toFixed(Math.floor(rand() * 10)));
    }
  }
  return out;
}

Deno.test("wasm parses random and near-halfway decimals exactly as Number() does", () => {
  const strings = floatStrings(200_000, 42);
  const byKey = new Map<string, number>();
  let text = "";
  strings.forEach((s, i) => {
    const v = Number(s);
    if (!Number.isFinite(v)) return;
    byKey.set(`f.${i}`, v);
    text += `f.${i} ${s} 1\n`;
  });
  head.reset(1_000_000);
  ingestText(text);
  const dump = dumpCache(cache);
  let checked = 0;
  for (const [key, expected] of byKey) {
    const got = dump.get(key)?.[0]?.[1];
    assert.ok(Object.is(got, expected), `${key}: ${strings[Number(key.slice(2))]} gave ${got}`);
    checked++;
  }
  assert.ok(checked > 190_000);
});

Deno.test("wasm agrees with the reference on random lines of good and bad tokens", () => {
  const rand = rng(7);
  const names = ["a.b", "x", "a..b", ".a", "a/b", ";t=1", "a\tb", "ok.name", "c.d.e", ""];
  const values = ["1", "-2.5", "1e3", "nan", "1x", "", "0.1", ".", "+4", "1e400", "7"];
  const stamps = ["10", "20.5", "-1", "abc", "", "1e9", "4294967296", "30", "0"];
  let text = "";
  const expected: [string, number, number][] = [];
  const rejected: Partial<Record<RejectReason, number>> = {};
  for (let i = 0; i < 5000; i++) {
    const fields = [names, values, stamps].map((list) => list[Math.floor(rand() * list.length)]);
    const line = fields.join(rand() < 0.2 ? "\t" : " ");
    text += line + (rand() < 0.1 ? "\r\n" : "\n");
  }
  // The reference decides the expectation line by line.
  parsePlainBlock(enc.encode(text), (line) => {
    if ("reason" in line) rejected[line.reason] = (rejected[line.reason] ?? 0) + 1;
    else expected.push([new TextDecoder().decode(line.name), line.value, line.timestamp]);
  });
  head.reset(1_000_000);
  ingestText(text);
  assertEquals(rejectedOf(cache), rejected);
  assertEquals(cache.counters().accepted, expected.length);
});

/** Appends structured points and commits them. */
function commitPoints(names: string[], ts: number[], values: number[]): CommitResult {
  const app = head.appender();
  app.appendPoints(names, ts, values);
  return app.commit();
}

Deno.test("Appender.appendPoints() checks names as the plaintext parser does and batches past the batch size", () => {
  head.reset(100_000);
  const names = ["ok.a", "a..b", "/etc/x", "", "x".repeat(5000), "café.ok", ";t=1"];
  const result = commitPoints(names, names.map(() => 100), names.map((_, i) => i));
  assertEquals(result, {
    accepted: 2,
    rejected: 5,
    overflow: 0,
    rejectedBy: { bad_name: 3, empty_name: 2 },
  });
  const c = cache.counters();
  assertEquals([c.rejected.bad_name, c.rejected.empty_name], [3, 2]);
  assertEquals(dumpCache(cache), new Map([["café.ok", [[100, 5]]], ["ok.a", [[100, 0]]]]));
  const many = Array.from({ length: 40_000 }, (_, i) => `many.m${i}`);
  const big = commitPoints(many, many.map(() => 1), many.map((_, i) => i));
  assertEquals(big.accepted, 40_000);
  assertEquals(cache.counters().series, 40_002);
});
