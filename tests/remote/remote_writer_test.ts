// The remote_write sender in process, against a strict test receiver over a real socket: what
// the head commits arrives with exact values and timestamps; 503, 429 and 400 answers are
// retried or dropped as the spec says, retries byte-identical; late points are filtered for a
// strict remote; a stop while the remote is down and a restart lose nothing and re-send only
// what was unanswered; rebuilt requests are byte-identical; past max-backlog the oldest data
// is dropped and counted, and what comes after still arrives.

import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { endOf, walOptions } from "../_util/wal.ts";
import { TestReceiver } from "../_util/remote_write_receiver.ts";
import { Head } from "../../src/appender/head.ts";
import { defaultRemoteWrite, type RemoteWriteConfig } from "../../src/config/remote_write.ts";
import { RemoteClient } from "../../src/remote/client.ts";
import { RemoteCounters, SLOT } from "../../src/remote/counters.ts";
import { RemoteWriter } from "../../src/remote/remote_writer.ts";
import type { Wal } from "../../src/wal/wal.ts";
import { WasmSnappy } from "../../src/wasm/snappy.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";

const T0 = 1_700_000_000; // seconds

interface Rig {
  head: Head;
  wal: Wal;
  dir: string;
  receiver: TestReceiver;
  codec: WalCodec;
  snappy: WasmSnappy;
  holds: number[];
  counters: RemoteCounters;
  writer(more?: Partial<RemoteWriteConfig>): RemoteWriter;
  commit(points: [string, number, number][]): void;
}

async function withRig(fn: (rig: Rig) => Promise<void>, segmentSize = 64 * 1024): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "remote-writer-" });
  const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: 262_144, debug: true });
  const { wal } = head.openWal(walOptions(dir, { segmentSize }));
  const receiver = new TestReceiver();
  const wasm = await WasmInstance.load({ maxPoints: 10, maxLineLen: 100 });
  const codec = new WalCodec(wasm);
  const snappy = new WasmSnappy(wasm);
  const holds: number[] = [];
  wal.registerReader("test", () => holds.at(-1) ?? 0); // as App does with the worker's holds
  const counters = new RemoteCounters();
  const log = endOf(wal);
  const rig: Rig = {
    head,
    wal,
    dir,
    receiver,
    codec,
    snappy,
    holds,
    counters,
    writer(more = {}) {
      const config = {
        ...defaultRemoteWrite(),
        url: receiver.url,
        name: "test",
        batchSendDeadline: 20,
        minBackoff: 5,
        maxBackoff: 20,
        ...more,
      };
      return new RemoteWriter({
        config,
        walDir: dir,
        codec,
        snappy,
        log,
        client: new RemoteClient({
          url: config.url,
          timeoutMs: config.remoteTimeout,
          retryOn429: config.retryOnHttp429,
          headers: {},
        }),
        counters,
        hold: (s) => holds.push(s),
      });
    },
    commit(points) {
      const app = head.appender();
      app.appendPoints(points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2]));
      app.commit();
    },
  };
  try {
    await fn(rig);
  } finally {
    wal.close();
    await receiver.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** `n` points of `series` series, one commit per `perCommit` points. */
function load(
  rig: Rig,
  opts: { series: number; points: number; perCommit: number; from?: number },
) {
  let batch: [string, number, number][] = [];
  for (let k = opts.from ?? 0; k < (opts.from ?? 0) + opts.points; k++) {
    const s = k % opts.series;
    batch.push([`app.host-${s}.requests`, T0 + Math.floor(k / opts.series), k + 0.25]);
    if (batch.length === opts.perCommit) {
      rig.commit(batch);
      batch = [];
    }
  }
  if (batch.length > 0) rig.commit(batch);
}

/** Checks the receiver holds exactly points [0, n) of `load`, once each. */
function assertExactly(rig: Rig, opts: { series: number; points: number }) {
  assertEquals(rig.receiver.violations, []);
  assertEquals(rig.receiver.accepted, opts.points);
  for (let s = 0; s < opts.series; s++) {
    const got = rig.receiver.samples.get(`__name__=app_host_${s}_requests`) ?? [];
    const want = [];
    for (let k = s; k < opts.points; k += opts.series) {
      want.push({ t: (T0 + Math.floor(k / opts.series)) * 1000, v: k + 0.25 });
    }
    assertEquals(got, want, `series ${s}`);
  }
}

Deno.test("RemoteWriter sends every committed point, exact, in order, across segments", async () => {
  await withRig(async (rig) => {
    load(rig, { series: 50, points: 20_000, perCommit: 700 }); // several 64 KiB segments
    const w = rig.writer({ maxSamplesPerSend: 300, capacity: 1000, minShards: 3, maxShards: 3 });
    await w.start();
    load(rig, { series: 50, points: 5_000, perCommit: 100, from: 20_000 }); // while it tails
    await waitFor(() => rig.receiver.accepted >= 25_000, "every point");
    await w.stop(1000);
    assertExactly(rig, { series: 50, points: 25_000 });
    for (const r of rig.receiver.requests) {
      const n = r.series.reduce((a, s) => a + s.samples.length, 0);
      assert(n <= 300, `a request of ${n} samples`);
    }
    assertEquals(rig.counters.get(SLOT.samplesSent), 25_000);
    assert(rig.holds.length > 0);
  });
});

Deno.test("RemoteWriter retries 503s byte-identical with Retry-Attempt, then 429s per retry-on-http-429", async () => {
  await withRig(async (rig) => {
    rig.receiver.script = (_r, n) =>
      n < 3
        ? { status: 503 }
        : n < 5
        ? { status: 429, headers: { "Retry-After": "0" } }
        : undefined;
    load(rig, { series: 5, points: 10, perCommit: 10 });
    const w = rig.writer();
    await w.start();
    await waitFor(() => rig.receiver.accepted === 10, "delivery after retries");
    await w.stop(1000);
    const reqs = rig.receiver.requests;
    assertEquals(reqs.map((r) => r.status), [503, 503, 503, 429, 429, 204]);
    for (const r of reqs) assertEquals(r.body, reqs[0].body);
    assertEquals(reqs.map((r) => r.headers.get("retry-attempt")), [null, "1", "2", "3", "4", "5"]);
    assertEquals(rig.counters.get(SLOT.samplesRetried), 50);
    assertExactly(rig, { series: 5, points: 10 });
  });
});

Deno.test("RemoteWriter drops what a 400 or (without retry-on-http-429) a 429 refuses, and goes on", async () => {
  await withRig(async (rig) => {
    rig.receiver.script = (_r, n) =>
      n === 0
        ? { status: 400, body: "out of order sample" }
        : n === 1
        ? { status: 429 }
        : undefined;
    const w = rig.writer({ retryOnHttp429: false });
    await w.start();
    rig.commit([["a.b", T0, 1]]);
    await waitFor(() => rig.receiver.requests.length === 1, "first request");
    rig.commit([["a.b", T0 + 1, 2]]);
    await waitFor(() => rig.receiver.requests.length === 2, "second request");
    rig.commit([["a.b", T0 + 2, 3]]);
    await waitFor(() => rig.receiver.accepted === 1, "third request accepted");
    await w.stop(1000);
    assertEquals(rig.receiver.samples.get("__name__=a_b"), [{ t: (T0 + 2) * 1000, v: 3 }]);
    assertEquals(rig.counters.get(SLOT.samplesFailed), 2);
    assertEquals(rig.counters.get(SLOT.requestsFailed), 2);
  });
});

Deno.test("RemoteWriter drops late and rewritten points for a strict remote, sends them to one that accepts them", async () => {
  for (const acceptsOutOfOrder of [false, true]) {
    await withRig(async (rig) => {
      const w = rig.writer({ acceptsOutOfOrder, names: "raw" });
      await w.start();
      rig.commit([["late.x", T0 + 10, 1], ["late.y", T0, 5]]);
      rig.commit([["late.x", T0 + 5, 2], ["late.x", T0 + 10, 3], ["late.x", T0 + 11, 4]]);
      const want = acceptsOutOfOrder ? 5 : 3;
      await waitFor(() => rig.receiver.accepted === want, `${want} samples`);
      await w.stop(1000);
      assertEquals(rig.counters.get(SLOT.droppedOutOfOrder), acceptsOutOfOrder ? 0 : 2);
      const x = rig.receiver.samples.get("__name__=late.x")!.map((s) => s.v);
      assertEquals(x, acceptsOutOfOrder ? [1, 2, 3, 4] : [1, 4]);
    });
  }
});

Deno.test("RemoteWriter: stopped while the remote is down, restarted: everything arrives, once", async () => {
  await withRig(async (rig) => {
    let down = true;
    rig.receiver.script = () => (down ? { status: 503 } : undefined);
    const w1 = rig.writer({ maxSamplesPerSend: 100, minShards: 2, maxShards: 2 });
    await w1.start();
    load(rig, { series: 20, points: 3000, perCommit: 200 });
    await waitFor(() => rig.receiver.requests.length >= 4, "attempts while down");
    await w1.stop(5000); // a failing remote: no waiting
    load(rig, { series: 20, points: 1000, perCommit: 200, from: 3000 });
    down = false;
    const w2 = rig.writer({ maxSamplesPerSend: 100, minShards: 2, maxShards: 2 });
    await w2.start();
    await waitFor(() => rig.receiver.accepted >= 4000, "every point after restart");
    await w2.stop(1000);
    assertExactly(rig, { series: 20, points: 4000 });
  });
});

Deno.test("RemoteWriter rebuilds the requests it had in flight byte-identical after a restart", async () => {
  await withRig(async (rig) => {
    rig.receiver.script = () => ({ status: 503 });
    load(rig, { series: 30, points: 2000, perCommit: 150 });
    const cfg = { maxSamplesPerSend: 120, minShards: 3, maxShards: 3, capacity: 400 };
    const w1 = rig.writer(cfg);
    await w1.start();
    await waitFor(() => rig.receiver.requests.length >= 10, "attempts");
    await w1.stop(0);
    const before = new Set(rig.receiver.requests.map((r) => r.body.join(",")));
    const seen = rig.receiver.requests.length;
    const w2 = rig.writer(cfg);
    await w2.start();
    await waitFor(() => rig.receiver.requests.length >= seen + 3, "attempts after restart");
    await w2.stop(0);
    // the first attempts after the restart are requests that were in flight before it
    for (const r of rig.receiver.requests.slice(seen, seen + 3)) {
      assert(before.has(r.body.join(",")), "a rebuilt request differs from the one in flight");
    }
  });
});

Deno.test("RemoteWriter past max-backlog drops its oldest data, counts it, and sends what follows", async () => {
  await withRig(async (rig) => {
    let down = true;
    rig.receiver.script = () => (down ? { status: 503 } : undefined);
    const w = rig.writer({ maxBacklog: 200 * 1024 });
    await w.start();
    load(rig, { series: 10, points: 60_000, perCommit: 1000 }); // about 700 KB of log
    await waitFor(
      () => rig.counters.get(SLOT.droppedBacklog) > 0,
      "the backlog to be cut",
    );
    down = false;
    rig.commit([["after.drop", T0 + 99_999, 42]]);
    await waitFor(() => rig.receiver.samples.has("__name__=after_drop"), "new data");
    await waitFor(() => rig.counters.get(SLOT.samplesPending) === 0, "queue drained");
    await w.stop(1000);
    const sent = rig.counters.get(SLOT.samplesSent);
    const dropped = rig.counters.get(SLOT.droppedBacklog);
    assertEquals(sent + dropped, 60_001, `sent ${sent} + dropped ${dropped}`);
    assert(rig.counters.get(SLOT.skippedSegments) > 0);
    assertEquals(rig.receiver.violations, []);
  });
});
