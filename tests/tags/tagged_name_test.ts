// Tagged names: the case table against the TS reference and the wasm module (plaintext and
// structured points), the tags_invalid count, many tags, and random names from the bytes that
// matter to carbon's grammar, where the wasm module and the TS reference must agree.

import { assertEquals } from "../_util/assert.ts";
import { dumpCache, feed } from "../_util/cache_dump.ts";
import { Head } from "../../src/appender/head.ts";
import { checkName, MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { canonicalName, parseSeries } from "../../src/tags/tagged_name.ts";
import { TAG_CASES, tagCaseBytes } from "./tagged_name_cases.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

for (const c of TAG_CASES) {
  Deno.test(`checkName() ${c.name}`, () => {
    const checked = checkName(tagCaseBytes(c));
    if (c.reason !== undefined) {
      assertEquals(checked, { reason: c.reason });
    } else {
      assertEquals("name" in checked ? dec.decode(checked.name) : checked, c.stored);
      assertEquals("name" in checked && checked.tagsInvalid, c.tagsInvalid === true);
    }
  });
}

const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug: true });
const cache = head.drain;

Deno.test("wasm counts names kept for invalid tags as tags_invalid, once per point", () => {
  head.reset(1_000_000);
  const stream = new PlainStream(head.appender(), MAX_LINE_BYTES);
  const lines = TAG_CASES.map((c) => [...tagCaseBytes(c), ...enc.encode(" 1 1\n")]).flat();
  feed(stream, Uint8Array.from(lines));
  const invalid = TAG_CASES.filter((c) => c.tagsInvalid).length;
  assertEquals(cache.counters().tagsInvalid, invalid);
  // the second time round the names come from the memo: the same names, counted again
  const before = new Set(dumpCache(cache).keys());
  feed(stream, Uint8Array.from(lines));
  assertEquals(cache.counters().tagsInvalid, 2 * invalid);
  assertEquals(new Set(dumpCache(cache).keys()), before);
});

Deno.test("wasm's memo guesses the next name from the last one's order, and checks the guess", () => {
  head.reset(1_000_000);
  // names of one length that differ in one byte, sent in one order, then reversed, then shifted
  const names = Array.from({ length: 300 }, (_, i) => `m;b=${String(i).padStart(3, "0")};a=1`);
  const orders = [names, [...names].reverse(), [...names.slice(7), ...names.slice(0, 7)], names];
  orders.forEach((order, round) => {
    const app = head.appender();
    app.appendPoints(order, order.map(() => 1 + round), order.map((_, i) => i));
    app.commit();
  });
  const dump = dumpCache(cache);
  for (const [i, name] of names.entries()) {
    const canonical = `m;a=1;b=${String(i).padStart(3, "0")}`;
    const points = dump.get(canonical)!;
    assertEquals(points.length, 4, canonical);
    assertEquals(points.map(([ts]) => ts), [1, 2, 3, 4]);
    assertEquals(points[0][1], names.indexOf(name));
    assertEquals(points[1][1], names.length - 1 - i);
  }
  assertEquals(dump.size, names.length);
});

Deno.test("wasm keeps canonicalizing right when the memo fills up and is emptied", () => {
  head.reset(1_000_000);
  const names = Array.from({ length: 40_000 }, (_, i) => `m.${i % 7};z=${i};a=${i % 3}`);
  const expected = new Set(names.map((n) => canonicalName(n)));
  for (let round = 0; round < 2; round++) {
    const app = head.appender();
    for (let i = 0; i < names.length; i += 10_000) {
      const chunk = names.slice(i, i + 10_000);
      app.appendPoints(chunk, chunk.map(() => 1 + round), chunk.map(() => round));
    }
    app.commit();
  }
  assertEquals(new Set(dumpCache(cache).keys()), expected);
  assertEquals(cache.counters().accepted, 80_000);
});

Deno.test("wasm canonicalizes structured points (pickle, self-metrics) as plaintext", () => {
  head.reset(1_000_000);
  const cases = TAG_CASES.filter((c) => typeof c.input === "string");
  const app = head.appender();
  app.appendPoints(
    cases.map((c) => c.input as string),
    cases.map((_, i) => 1000 + i),
    cases.map((_, i) => i),
  );
  const counts = app.commit();
  assertEquals(counts.rejected, cases.filter((c) => c.reason).length);
  const expected = new Set(cases.flatMap((c) => c.stored === undefined ? [] : [c.stored]));
  assertEquals(new Set(dumpCache(cache).keys()), expected);
  assertEquals(cache.counters().tagsInvalid, cases.filter((c) => c.tagsInvalid).length);
});

Deno.test("wasm sorts a name with 400 tags and keeps the last of each duplicate", () => {
  head.reset(1_000_000);
  const tags = Array.from({ length: 400 }, (_, i) => `k${(i * 7919) % 200}=${i}`);
  const name = `many;${tags.join(";")}`;
  const app = head.appender();
  app.appendPoints([name], [1], [1]);
  app.commit();
  const last = new Map<string, string>();
  for (const t of tags) last.set(t.split("=")[0], t);
  const sorted = [...last.values()].map((t) => `;${t}`).sort();
  assertEquals([...dumpCache(cache).keys()], [`many${sorted.join("")}`]);
  assertEquals(canonicalName(name), `many${sorted.join("")}`);
});

/** A deterministic generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("wasm and the TS reference agree on 20,000 random names of carbon's grammar", () => {
  const alphabet = [
    "a",
    "b",
    "k",
    ".",
    ";",
    "=",
    "~",
    "{",
    "}",
    '"',
    "\\",
    ",",
    ":",
    "!",
    "^",
    "é",
  ];
  const random = rng(0x5eed);
  const names: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const len = 1 + Math.floor(random() * 14);
    let name = "";
    for (let j = 0; j < len; j++) name += alphabet[Math.floor(random() * alphabet.length)];
    if (random() < 0.3) name = `${name.replaceAll("{", "")}{k="${name.length}"}`;
    names.push(name);
  }
  head.reset(1_000_000);
  for (let i = 0; i < names.length; i += 1000) {
    const app = head.appender();
    const chunk = names.slice(i, i + 1000);
    app.appendPoints(chunk, chunk.map(() => 1), chunk.map(() => 1));
    app.commit();
  }
  const expected = new Set<string>();
  let rejected = 0;
  for (const name of names) {
    const checked = checkName(enc.encode(name));
    if ("name" in checked) expected.add(dec.decode(checked.name));
    else rejected++;
  }
  assertEquals(new Set(dumpCache(cache).keys()), expected);
  const r = cache.counters().rejected;
  assertEquals(Object.values(r).reduce((a, b) => a + b, 0), rejected);
});

Deno.test("parseSeries() splits a canonical name into graphite-web's tags", () => {
  const parsed = parseSeries("cpu.load;host=a;dc=east");
  assertEquals(parsed?.path, "cpu.load");
  assertEquals(
    [...(parsed?.tags ?? [])].sort(),
    [["dc", "east"], ["host", "a"], ["name", "cpu.load"]],
  );
  assertEquals(parseSeries("a;b"), null);
  assertEquals(parseSeries("plain.name")?.tags, new Map([["name", "plain.name"]]));
});
