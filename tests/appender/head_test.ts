// The head's appenders: a rolled-back batch leaves no trace, one batch is open at a time,
// admission counts the open batch's points, failed series are refused, and commitPlain() gives
// the same result on its one-pass path as appendPlain() + commit().

import { assertEquals, assertThrows } from "../_util/assert.ts";
import { dumpCache, feed } from "../_util/cache_dump.ts";
import type { CommitResult } from "../../src/appender/appender.ts";
import { Head } from "../../src/appender/head.ts";
import { MAX_LINE_BYTES } from "../../src/protocol/plaintext.ts";
import { PlainStream } from "../../src/receiver/plain_stream.ts";

const enc = new TextEncoder();
const head = await Head.load({ maxPoints: 1_000_000, maxLineLen: MAX_LINE_BYTES, debug: true });
const cache = head.drain;

function ingestText(text: string): void {
  feed(new PlainStream(head.appender(), MAX_LINE_BYTES), enc.encode(text));
}

/** Appends structured points and commits them. */
function commitPoints(names: string[], ts: number[], values: number[]): CommitResult {
  const app = head.appender();
  app.appendPoints(names, ts, values);
  return app.commit();
}

Deno.test("Appender.rollback() leaves no trace in the cache, the name index or the counters", () => {
  head.reset(100_000);
  ingestText("kept.a 1 10\n");
  // heap bytes aside: the shared input buffer grows on first use and stays
  const counters = () => ({ ...cache.counters(), heapBytes: 0 });
  const before = counters();
  cache.takeNewSeries();
  const app = head.appender();
  app.appendPlain(enc.encode("kept.a 2 20\nnew.b 3 30\nbad..name 4 40\nnot a line\n"));
  app.appendPoints(["new.c", "x/y"], [50, 60], [5, 6]);
  app.reject("truncated");
  assertEquals(head.appender().commit(), { accepted: 0, rejected: 0, overflow: 0 });
  app.rollback();
  assertEquals(counters(), before);
  assertEquals(cache.lookup("new.b"), 0);
  assertEquals(cache.lookup("new.c"), 0);
  assertEquals(cache.takeNewSeries()?.length, 0);
  assertEquals(dumpCache(cache), new Map([["kept.a", [[10, 1]]]]));
  // the next batch goes through as if the rolled-back one never was
  assertEquals(commitPoints(["new.b"], [30], [3]), { accepted: 1, rejected: 0, overflow: 0 });
  assertEquals(dumpCache(cache).get("new.b"), [[30, 3]]);
});

Deno.test("Appender: a second appender cannot append while a batch is open", () => {
  head.reset(1000);
  const a = head.appender();
  a.appendPoints(["one"], [1], [1]);
  const b = head.appender();
  assertThrows(() => b.appendPoints(["two"], [2], [2]), Error, "another batch is open");
  assertEquals(a.commit().accepted, 1);
  assertEquals(commitPoints(["two"], [2], [2]).accepted, 1);
});

Deno.test("Appender: capacity counts the points of the open batch, and overflow shows on commit", () => {
  head.reset(3);
  const app = head.appender();
  app.appendPoints(["a", "b"], [1, 1], [1, 2]);
  app.appendPoints(["c", "d"], [1, 1], [3, 4]);
  assertEquals(cache.counters().overflow, 0, "nothing counted before commit");
  assertEquals(app.commit(), { accepted: 3, rejected: 0, overflow: 1 });
  assertEquals(cache.counters().overflow, 1);
});

Deno.test("Appender: points of a series marked failed are refused and counted as series_failed", () => {
  head.reset(1000);
  commitPoints(["bad.file", "good"], [1, 1], [1, 1]);
  const series = cache.lookup("bad.file");
  cache.setFailed(series, true);
  assertEquals(commitPoints(["bad.file", "good"], [2, 2], [2, 2]), {
    accepted: 1,
    rejected: 1,
    overflow: 0,
    rejectedBy: { series_failed: 1 },
  });
  assertEquals(cache.counters().rejected.series_failed, 1);
  cache.setFailed(series, false);
  assertEquals(commitPoints(["bad.file"], [3], [3]).accepted, 1);
  assertEquals(dumpCache(cache).get("bad.file"), [[1, 1], [3, 3]]);
});

Deno.test("Appender.commitPlain() in one pass gives what appendPlain() and commit() give", () => {
  const text = "a.b 1 10\nbad..name 2 20\na.b 3 10\nc.d 1e3 30\nnot a line\npartial 1";
  const bytes = enc.encode(text);
  head.reset(1000);
  const one = head.appender().commitPlain(bytes);
  const oneCache = dumpCache(cache);
  const oneCounters = cache.counters();
  head.reset(1000);
  const app = head.appender();
  const consumed = app.appendPlain(bytes);
  const two = { consumed, ...app.commit() };
  assertEquals(one, two);
  assertEquals(one, {
    consumed: text.lastIndexOf("\n") + 1,
    accepted: 3,
    rejected: 2,
    overflow: 0,
    rejectedBy: { bad_name: 1, bad_value: 1 },
  });
  assertEquals(dumpCache(cache), oneCache);
  assertEquals(cache.counters(), oneCounters);
});
