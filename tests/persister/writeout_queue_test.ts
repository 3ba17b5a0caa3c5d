// The writeout queue: strategy order from the cache, rebuilt only when drained, at most every
// 100 ms (a fake clock, no sleeping).

import { assertEquals } from "../_util/assert.ts";
import { feed } from "../_util/cache_dump.ts";
import { REBUILD_INTERVAL_MS, WriteoutQueue } from "../../src/persister/writeout_queue.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";
import { Head } from "../../src/appender/head.ts";

const head = await Head.load({ maxPoints: 10_000, maxLineLen: 262_144 });
const cache = head.drain;

function ingest(text: string): void {
  const stream = new PlainStream(head.appender(), head.maxLineLen);
  feed(stream, new TextEncoder().encode(text));
}

function drain(queue: WriteoutQueue): string[] {
  const names: string[] = [];
  for (let s = queue.next(); s !== 0; s = queue.next()) {
    names.push(cache.seriesName(s));
    cache.pop(s);
    cache.confirm(s);
  }
  return names;
}

Deno.test("WriteoutQueue gives series in strategy order", () => {
  for (
    const [strategy, expected] of [
      ["max", ["three", "two", "one"]],
      ["sorted", ["one", "three", "two"]],
    ] as const
  ) {
    head.reset(10_000);
    ingest("one 1 100\nthree 1 200\nthree 1 201\nthree 1 202\ntwo 1 300\ntwo 1 301\n");
    assertEquals(drain(new WriteoutQueue(cache, strategy)), [...expected], strategy);
  }
});

Deno.test("WriteoutQueue is rebuilt only once drained and at most every 100 ms", () => {
  head.reset(10_000);
  let now = 1000;
  const queue = new WriteoutQueue(cache, "noop", () => now);
  ingest("a 1 1\nb 1 1\n");
  assertEquals(drain(queue).sort(), ["a", "b"]);
  ingest("c 1 1\n");
  assertEquals(queue.next(), 0, "drained: no rebuild before 100 ms");
  assertEquals(queue.msUntilRebuild(), REBUILD_INTERVAL_MS);
  now += REBUILD_INTERVAL_MS - 1;
  assertEquals(queue.next(), 0);
  now += 1;
  assertEquals(drain(queue), ["c"]);
  now += REBUILD_INTERVAL_MS;
  assertEquals(queue.next(), 0, "an empty cache gives an empty queue");
  const rebuilds: number[] = [];
  queue.stat((s) => s.name === "carbonado_writeout_queue_rebuilds_total" && rebuilds.push(s.value));
  assertEquals(rebuilds, [3]);
});

Deno.test("WriteoutQueue reports the oldest point timestamp of the series left in it", () => {
  head.reset(10_000);
  const queue = new WriteoutQueue(cache, "max", () => 1000);
  const oldest = () => {
    const found: number[] = [];
    queue.stat((s) =>
      s.name === "carbonado_writeout_queue_oldest_point_timestamp_seconds" && found.push(s.value)
    );
    return found[0];
  };
  assertEquals(oldest(), 0, "empty");
  ingest("one 1 100\nthree 1 200\nthree 1 201\nthree 1 202\ntwo 1 300\ntwo 1 301\n");
  const left: [string, number][] = [];
  for (let s = queue.next(); s !== 0; s = queue.next()) {
    left.push([cache.seriesName(s), oldest()]);
    cache.pop(s);
    cache.confirm(s);
  }
  // max strategy: three, two, one; "one" holds the oldest point until it is taken.
  assertEquals(left, [["three", 100], ["two", 100], ["one", 0]]);
});
