// The WAL watcher: records by position across closed segments and up to the live segment's
// committed end; where a reader with no state starts; a gap (segments deleted) read through the
// checkpoint, a torn tail of a closed segment skipped, both reported; the backlog in bytes and a
// checkpoint's series.

import { walOptions } from "../_util/wal.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { Head } from "../../src/appender/head.ts";
import { visitRecord } from "../../src/wal/reader.ts";
import { listSegments, segmentName } from "../../src/wal/segments.ts";
import type { Wal } from "../../src/wal/wal.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";
import { segmentStart } from "../../src/remote/position.ts";
import { type LogEnd, type PositionedRecord, WalWatcher } from "../../src/remote/watcher.ts";

const codec = new WalCodec(await WasmInstance.load({ maxPoints: 1, maxLineLen: 64 }));
const T0 = 1_700_000_000;

async function withLog(
  fn: (ctx: { head: Head; wal: Wal; dir: string; hold: { segment: number } }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "rw-watch-" });
  const head = await Head.load({ maxPoints: 100_000, maxLineLen: 4096, debug: true });
  const { wal } = head.openWal(walOptions(dir, { segmentSize: 64 * 1024 }));
  const hold = { segment: 0 };
  wal.registerReader("test", () => hold.segment);
  try {
    await fn({ head, wal, dir, hold });
  } finally {
    wal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function commit(head: Head, name: string, t: number, v: number) {
  const app = head.appender();
  app.appendPoints([name], [t], [v]);
  app.commit();
}

const fromUtf8 = new TextDecoder();

/** The samples of records, as [name, t, v] (names from the records' Series entries). */
function samples(records: PositionedRecord[], names = new Map<number, string>()) {
  const out: [string, number, number][] = [];
  for (const r of records) {
    visitRecord(r.bytes, {
      series: (ref, bytes, from, to) => names.set(ref, fromUtf8.decode(bytes.subarray(from, to))),
      sample: (ref, t, v) => out.push([names.get(ref) ?? "?", t / 1000, v]),
    });
  }
  return out;
}

function readAll(w: WalWatcher) {
  const records: PositionedRecord[] = [];
  const skipped = [];
  while (true) {
    const got = w.read(1 << 20);
    skipped.push(...got.skipped);
    if (got.records.length === 0) return { records, skipped };
    records.push(...got.records);
  }
}

Deno.test("WalWatcher reads closed segments whole and the live one up to its committed end", async () => {
  await withLog(async ({ head, wal, dir }) => {
    commit(head, "w.a", T0, 1);
    wal.cut();
    commit(head, "w.a", T0 + 1, 2);
    const endAfterTwo = wal.offset;
    commit(head, "w.a", T0 + 2, 3); // written, but past the end the watcher is told
    let end: LogEnd = { segment: wal.segment, offset: endAfterTwo };
    const w = new WalWatcher({ dir, codec, end: () => end });
    assertEquals(w.firstPosition(), segmentStart(0));
    w.seek(w.firstPosition());
    const first = readAll(w);
    assertEquals(samples(first.records), [["w.a", T0, 1], ["w.a", T0 + 1, 2]]);
    assertEquals(first.skipped, []);
    assert(w.caughtUp());
    assertEquals(w.position, { segment: wal.segment, offset: endAfterTwo, checkpoint: false });
    end = { segment: wal.segment, offset: wal.offset };
    assert(!w.caughtUp());
    assertEquals(w.backlogBytes(), wal.offset - endAfterTwo);
    const names = new Map<number, string>();
    samples(first.records, names);
    assertEquals(samples(readAll(w).records, names), [["w.a", T0 + 2, 3]]);
    await Promise.resolve();
  });
});

Deno.test("WalWatcher: deleted segments are reported and read through the checkpoint", async () => {
  await withLog(async ({ head, wal, dir, hold }) => {
    commit(head, "g.a", T0, 1);
    wal.cut();
    commit(head, "g.b", T0, 2);
    hold.segment = 99; // nothing held: checkpoint 1 lets segments 0 and 1 go
    assert(head.checkpoint());
    commit(head, "g.c", T0, 3);
    assertEquals(listSegments(dir).map((s) => s.index), [wal.segment]);
    const w = new WalWatcher({
      dir,
      codec,
      end: () => ({ segment: wal.segment, offset: wal.offset }),
    });
    w.seek(segmentStart(0)); // a reader that was at the start
    const got = readAll(w);
    assertEquals(got.skipped.map((s) => s.reason), ["missing"]);
    assertEquals(got.skipped[0].to, { segment: 1, offset: 0, checkpoint: true });
    // the cache's points (never persisted here) from the checkpoint, then the live segment
    assertEquals(samples(got.records).sort(), [["g.a", T0, 1], ["g.b", T0, 2], ["g.c", T0, 3]]);
    assertEquals(w.firstPosition(), { segment: 1, offset: 0, checkpoint: true });
    const refs = w.checkpointRefs(1)!;
    assertEquals(refs.size, 2);
    assertEquals(w.checkpointRefs(0), null);
    await Promise.resolve();
  });
});

Deno.test("WalWatcher skips the torn tail of a closed segment and goes on", async () => {
  await withLog(async ({ head, wal, dir }) => {
    commit(head, "t.a", T0, 1);
    const closed = wal.segment;
    wal.cut();
    await Deno.writeFile(`${dir}/${segmentName(closed)}`, new Uint8Array([1, 0, 200, 0, 0]), {
      append: true,
    });
    commit(head, "t.a", T0 + 1, 2);
    const w = new WalWatcher({
      dir,
      codec,
      end: () => ({ segment: wal.segment, offset: wal.offset }),
    });
    w.seek(segmentStart(0));
    const got = readAll(w);
    assertEquals(samples(got.records), [["t.a", T0, 1], ["t.a", T0 + 1, 2]]);
    assertEquals(got.skipped.map((s) => [s.reason, s.bytes]), [["torn", 5]]);
  });
});
