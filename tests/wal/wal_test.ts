// The write-ahead log through the head: commits logged and replayed, refs kept, rollbacks leave
// no byte, checkpoints and truncation, torn tails and damage in the middle of a segment built
// byte by byte, a full disk, and a randomized model of append/commit/rollback/checkpoint/crash.

import { assert, assertEquals } from "../_util/assert.ts";
import { rng } from "../_util/rng.ts";
import { walOptions } from "../_util/wal.ts";
import { dumpCache } from "../_util/cache_dump.ts";
import { Head, type HeadWalOptions } from "../../src/appender/head.ts";
import { listSegments } from "../../src/wal/segments.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { skipUnless } from "../_util/requires.ts";
import { MOUNT_SKIP, mountTmpfs } from "../_util/tmpfs.ts";

const MAX_POINTS = 1_000_000;
/** The format's page (Prometheus' wlog): fragments never cross one. */
const PAGE_BYTES = 32 * 1024;

/** A head with its log open in `dir`: what a (re)start does. */
async function openHead(dir: string, more: Partial<HeadWalOptions> = {}) {
  const head = await Head.load({ maxPoints: MAX_POINTS, maxLineLen: 262_144, debug: true });
  const log = head.openWal(walOptions(dir, more));
  return { head, ...log };
}

/** Commits points given as [name, ts, value]. */
function commit(head: Head, points: [string, number, number][]) {
  const app = head.appender();
  app.appendPoints(points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2]));
  return app.commit();
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wal-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CRC-32C matches the RFC 3720 (iSCSI) test vectors", async () => {
  const codec = new WalCodec(await WasmInstance.load({ maxPoints: 10, maxLineLen: 100 }));
  const enc = new TextEncoder();
  assertEquals(codec.crc32c(enc.encode("123456789")), 0xe3069283);
  assertEquals(codec.crc32c(new Uint8Array(32)), 0x8a9136aa);
  assertEquals(codec.crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assertEquals(codec.crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assertEquals(codec.crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

Deno.test("WAL: every committed point comes back after a crash, with its series ref", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    commit(a.head, [["a.one", 100, 1], ["b.two", 100, 2], ["a.one", 160, 1.5]]);
    commit(a.head, [["b.two", 160, -2.25], ["c;tag=x", 100, 3]]);
    const refs = ["a.one", "b.two", "c;tag=x"].map((n) =>
      a.head.drain.seriesRef(a.head.drain.lookup(n))
    );
    const before = dumpCache(a.head.drain);
    a.wal.close(); // the process is gone: no checkpoint, nothing more written
    const b = await openHead(dir);
    assertEquals(dumpCache(b.head.drain), before);
    assertEquals(b.replay.result.points, 5);
    assertEquals(
      ["a.one", "b.two", "c;tag=x"].map((n) => b.head.drain.seriesRef(b.head.drain.lookup(n))),
      refs,
    );
    commit(b.head, [["d.new", 100, 4]]);
    const fresh = b.head.drain.seriesRef(b.head.drain.lookup("d.new"));
    assert.ok(refs.every((r) => fresh > r), "new refs continue above the replayed ones");
    b.wal.close();
  });
});

Deno.test("WAL: a rolled-back batch writes nothing; a failed series' points are not logged", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    commit(a.head, [["kept", 1, 1]]);
    const offset = a.wal.offset;
    const app = a.head.appender();
    app.appendPoints(["gone", "kept"], [2, 2], [2, 2]);
    app.rollback();
    assertEquals(a.wal.offset, offset);
    a.head.drain.setFailed(a.head.drain.lookup("kept"), true);
    assertEquals(commit(a.head, [["kept", 3, 3]]).accepted, 0);
    assertEquals(a.wal.offset, offset, "no admitted point, nothing logged");
    a.wal.close(); // the process is gone: no checkpoint, nothing more written
    const b = await openHead(dir);
    assertEquals(dumpCache(b.head.drain), new Map([["kept", [[1, 1]]]]));
    b.wal.close();
  });
});

Deno.test("WAL: a checkpoint keeps what is not persisted and deletes the segments it covers", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    commit(a.head, [["p.done", 10, 1], ["p.wait", 10, 2]]);
    const done = a.head.drain.lookup("p.done");
    assertEquals(a.head.drain.pop(done), 1);
    a.head.drain.confirm(done);
    const popped = a.head.drain.lookup("p.wait");
    a.head.drain.pop(popped); // popped, not confirmed: must survive
    commit(a.head, [["p.late", 20, 3]]);
    const first = a.wal.segment;
    assert.ok(a.head.checkpoint());
    assertEquals(listSegments(dir).map((s) => s.index), [first + 1]);
    commit(a.head, [["p.after", 30, 4]]);
    a.wal.close(); // the process is gone: no checkpoint, nothing more written
    const b = await openHead(dir);
    assertEquals(
      dumpCache(b.head.drain),
      new Map([["p.after", [[30, 4]]], ["p.late", [[20, 3]]], ["p.wait", [[10, 2]]]]),
    );
    b.wal.close();
  });
});

/** Many commits of one point each, so that records fill several pages. */
function manyCommits(head: Head, n: number, prefix: string): void {
  for (let i = 0; i < n; i++) commit(head, [[`${prefix}.m${i % 50}`, 1000 + i, i]]);
}

Deno.test("WAL: a torn last record is cut off and logged; everything before it replays", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    manyCommits(a.head, 200, "torn");
    const before = a.wal.offset;
    commit(a.head, [["torn.m0", 5000, 42]]); // one Samples record: no new series
    const seg = a.wal.segment;
    a.wal.close();
    const path = `${dir}/${String(seg).padStart(8, "0")}`;
    const size = (await Deno.stat(path)).size;
    await Deno.truncate(path, size - 5); // a crash in the middle of the last write
    const b = await openHead(dir);
    assertEquals(b.replay.result.points, 200);
    assertEquals(b.replay.result.tornTails, 1);
    assertEquals(b.replay.result.corruptions, 0);
    assertEquals((await Deno.stat(path)).size, before, "cut back to the last good record");
    const m0 = b.head.drain.points(b.head.drain.lookup("torn.m0"));
    assertEquals(m0.timestamps.includes(5000), false);
    assert.ok([...Deno.readDirSync(`${dir}/corrupt`)].length === 1, "the bytes set aside");
    b.wal.close();
  });
});

Deno.test("WAL: damage in the middle of a segment is counted, set aside and skipped to the next page", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    manyCommits(a.head, 20_000, "mid"); // about 40 bytes a commit: ~25 pages
    const seg = a.wal.segment;
    a.wal.close();
    const path = `${dir}/${String(seg).padStart(8, "0")}`;
    const bytes = await Deno.readFile(path);
    assert.ok(bytes.length > 5 * PAGE_BYTES);
    bytes[2 * PAGE_BYTES + 100] ^= 0xff; // one bad byte in page 2
    await Deno.writeFile(path, bytes);
    const b = await openHead(dir);
    const r = b.replay.result;
    assertEquals(r.corruptions, 1);
    assertEquals(r.tornTails, 0);
    // what was lost: the damaged record and the rest of its page, nothing else
    assert.ok(r.points < 20_000 && r.points > 20_000 - PAGE_BYTES / 30, `${r.points} points`);
    const last = b.head.drain.points(b.head.drain.lookup("mid.m49"));
    assertEquals(last.timestamps.at(-1), 1000 + 19_999, "records after the damage replay");
    const first = b.head.drain.points(b.head.drain.lookup("mid.m0"));
    assertEquals(first.timestamps[0], 1000, "records before the damage replay");
    assertEquals((await Deno.stat(path)).size, bytes.length, "the segment itself is not cut");
    assertEquals([...Deno.readDirSync(`${dir}/corrupt`)].length, 1);
    b.wal.close();
  });
});

Deno.test("WAL: a batch larger than a page is split in fragments and a new segment is cut when full", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir, { segmentSize: 2 * PAGE_BYTES });
    const big: [string, number, number][] = Array.from(
      { length: 1500 },
      (_, i) => [`big.s${i}`, 100, i],
    );
    assertEquals(commit(a.head, big).accepted, 1500); // ~58 KB of records: fragments on 2 pages
    const again = big.map(([name, , v]): [string, number, number] => [name, 200, -v]);
    assertEquals(commit(a.head, again).accepted, 1500); // does not fit the rest: a new segment
    assert.ok(a.wal.segment > 0, "segments were cut");
    for (const s of listSegments(dir)) assert.ok(s.size <= 2 * PAGE_BYTES, `${s.index}: ${s.size}`);
    const before = dumpCache(a.head.drain);
    a.wal.close(); // the process is gone: no checkpoint, nothing more written
    const b = await openHead(dir, { segmentSize: 2 * PAGE_BYTES });
    assertEquals(dumpCache(b.head.drain), before);
    b.wal.close();
  });
});

Deno.test("WAL: bytes per point on 10k series x 100 points is at most 14", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    const enc = new TextEncoder();
    let points = 0;
    for (let round = 0; round < 100; round++) {
      let text = "";
      for (let s = 0; s < 10_000; s++) {
        text += `bpp.host-${s % 100}.m${s} ${s + round} ${1_700_000_000 + round * 60}\n`;
      }
      const app = a.head.appender();
      app.appendPlain(enc.encode(text));
      points += app.commit().accepted;
    }
    assertEquals(points, 1_000_000);
    const bytes = listSegments(dir).reduce((sum, s) => sum + s.size, 0);
    const perPoint = bytes / points;
    assert.ok(perPoint <= 14, `${perPoint.toFixed(2)} bytes per point`);
    a.wal.close();
  });
});

Deno.test("WAL: a registered reader holds the segments it still needs; the cap overrides it, counted", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir, { segmentSize: 4 * PAGE_BYTES, maxSize: 2 ** 30 });
    commit(a.head, [["r.one", 1, 1]]);
    const held = a.wal.segment;
    a.wal.registerReader("sender", () => held);
    a.wal.cut();
    commit(a.head, [["r.two", 2, 2]]);
    assert.ok(a.head.checkpoint());
    assert.ok(listSegments(dir).some((s) => s.index === held), "kept for the reader");
    const samples = new Map<string, number>();
    a.wal.stat((s) => samples.set(s.name, s.value));
    assertEquals(samples.get("carbonado_wal_cap_dropped_segments_total"), 0);
    const onDisk = [...Deno.readDirSync(dir)].filter((e) => e.isFile)
      .reduce((sum, e) => sum + Deno.statSync(`${dir}/${e.name}`).size, 0) +
      [...Deno.readDirSync(dir)].filter((e) => e.isDirectory && e.name.startsWith("checkpoint."))
        .reduce((sum, e) =>
          sum + [...Deno.readDirSync(`${dir}/${e.name}`)]
            .reduce((n, f) => n + Deno.statSync(`${dir}/${e.name}/${f.name}`).size, 0), 0);
    assertEquals(
      samples.get("carbonado_wal_size_bytes"),
      onDisk,
      "the size gauge: what is on disk",
    );
    a.wal.close();
  });
});

Deno.test("WAL: max-size caps a checkpoint; what it leaves out is counted", async () => {
  await withDir(async (dir) => {
    const opts = { segmentSize: 8 * 2 ** 20, maxSize: 2 ** 20 };
    const a = await openHead(dir, opts);
    const enc = new TextEncoder();
    let text = "";
    for (let i = 0; i < 150_000; i++) text += `cap.s${i % 1000} ${i} ${1_700_000_000 + i}\n`;
    const app = a.head.appender();
    app.appendPlain(enc.encode(text));
    assertEquals(app.commit().accepted, 150_000);
    assert.ok(a.head.checkpoint());
    const samples = new Map<string, number>();
    a.wal.stat((s) => samples.set(s.name, s.value));
    const dropped = samples.get("carbonado_wal_cap_dropped_points_total")!;
    assert.ok(dropped > 0, "points left out of the checkpoint are counted");
    a.wal.close(); // the process is gone: no checkpoint, nothing more written
    const b = await openHead(dir, opts);
    assertEquals(b.replay.result.points, 150_000 - dropped);
    b.wal.close();
  });
});

Deno.test("WAL reader: a segment's records decode to Prometheus series and samples, from any record end", async () => {
  await withDir(async (dir) => {
    const a = await openHead(dir);
    commit(a.head, [["r.a;dc=x", 100, 1.5], ["r.b", 160, -2]]);
    commit(a.head, [["r.a;dc=x", 220, 3]]);
    const file = listSegments(dir).at(-1)!;
    const records = a.head.walRecords(file);
    const refA = a.head.drain.seriesRef(a.head.drain.lookup("r.a;dc=x"));
    const refB = a.head.drain.seriesRef(a.head.drain.lookup("r.b"));
    assertEquals(records.map((r) => r.record), [
      {
        type: "series",
        series: [{ ref: Number(refA), name: "r.a;dc=x" }, { ref: Number(refB), name: "r.b" }],
      },
      {
        type: "samples",
        samples: [{ ref: Number(refA), t: 100_000, value: 1.5 }, {
          ref: Number(refB),
          t: 160_000,
          value: -2,
        }],
      },
      { type: "samples", samples: [{ ref: Number(refA), t: 220_000, value: 3 }] },
    ]);
    assertEquals(records.at(-1)!.end, file.size);
    const rest = a.head.walRecords(file, records[1].end);
    assertEquals(rest.map((r) => r.record), [records[2].record]);
    a.wal.close();
  });
});

Deno.test("WAL: random append, commit, rollback, checkpoint and crash against a model", async () => {
  await withDir(async (dir) => {
    const rand = rng(20261203);
    const model = new Map<string, Map<number, number>>(); // what a reader must see
    const order = new Map<string, number[]>(); // timestamps in order of first arrival
    let cur = await openHead(dir, { segmentSize: 4 * PAGE_BYTES });
    const expected = () => {
      const out = new Map<string, [number, number][]>();
      for (const name of [...model.keys()].sort()) {
        const values = model.get(name)!;
        out.set(name, order.get(name)!.map((ts) => [ts, values.get(ts)!]));
      }
      return out;
    };
    for (let step = 0; step < 400; step++) {
      const r = rand();
      if (r < 0.6) {
        const n = 1 + Math.floor(rand() * 40);
        const points: [string, number, number][] = [];
        for (let i = 0; i < n; i++) {
          points.push([
            `rnd.s${Math.floor(rand() * 60)}`,
            Math.floor(rand() * 30),
            Math.floor(rand() * 1000),
          ]);
        }
        const app = cur.head.appender();
        app.appendPoints(points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2]));
        if (rand() < 0.25) {
          app.rollback();
          continue;
        }
        assertEquals(app.commit().accepted, n);
        for (const [name, ts, v] of points) {
          if (!model.has(name)) {
            model.set(name, new Map());
            order.set(name, []);
          }
          if (!model.get(name)!.has(ts)) order.get(name)!.push(ts);
          model.get(name)!.set(ts, v);
        }
      } else if (r < 0.7) {
        assert.ok(cur.head.checkpoint());
      } else if (r < 0.8) {
        cur.wal.close(); // crash: the process is gone, nothing more is written (no checkpoint)
        cur = await openHead(dir, { segmentSize: 4 * PAGE_BYTES });
        assertEquals(dumpCache(cur.head.drain), expected(), `after restart at step ${step}`);
      }
    }
    cur.wal.close();
    cur = await openHead(dir, { segmentSize: 4 * PAGE_BYTES });
    assertEquals(dumpCache(cur.head.drain), expected());
    cur.wal.close();
  });
});

const disk = await mountTmpfs("256k");

Deno.test(skipUnless(MOUNT_SKIP, {
  name: "WAL: a full disk is reported and counted, and corrupts nothing already written",
  async fn() {
    try {
      const a = await openHead(disk!.dir, { segmentSize: 4 * 2 ** 20 });
      let i = 0;
      let failed = 0;
      let accepted = 0;
      while (failed === 0 && i < 100_000) {
        const points: [string, number, number][] = Array.from(
          { length: 100 },
          (_, k) => [`full.s${k}`, 1000 + i, i],
        );
        const r = commit(a.head, points);
        accepted += r.accepted;
        if (r.accepted === 0) failed = r.rejected;
        i++;
      }
      assertEquals(failed, 100, "the whole batch is dropped");
      assertEquals(a.head.drain.counters().rejected.wal_write, 100);
      const samples = new Map<string, number>();
      a.wal.stat((s) => samples.set(s.name, s.value));
      assertEquals(samples.get("carbonado_wal_write_failures_total"), 1);
      assertEquals(a.head.drain.counters().cachedPoints, accepted, "the cache got what was logged");
      a.wal.close(); // the process is gone: no checkpoint, nothing more written
      const b = await openHead(disk!.dir, { segmentSize: 4 * 2 ** 20 });
      assertEquals(b.replay.result.points, accepted, "everything logged before replays");
      assertEquals(b.replay.result.corruptions + b.replay.result.tornTails, 0);
      b.wal.close();
    } finally {
      await disk!.close();
    }
  },
}));
