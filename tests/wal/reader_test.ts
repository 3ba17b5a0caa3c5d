// The WAL reader API later readers share: reads bounded by an end offset (a live segment's
// committed end) and by a byte budget, resumed from any record end, also past 4 MiB chunks
// that start inside a page; and the end listener that wakes a tailing reader.

import { walOptions } from "../_util/wal.ts";
import { assert, assertEquals } from "../_util/assert.ts";
import { Head } from "../../src/appender/head.ts";
import { type RawRecord, readRawRecords, readRecords } from "../../src/wal/reader.ts";
import { listSegments, READ_CHUNK_BYTES } from "../../src/wal/segments.ts";
import { WalCodec } from "../../src/wasm/wal_codec.ts";
import { WasmInstance } from "../../src/wasm/instance.ts";

async function withHead(
  fn: (head: Head, dir: string, ends: number[]) => void | Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "wal-reader-" });
  const head = await Head.load({ maxPoints: 2_000_000, maxLineLen: 262_144, debug: true });
  const { wal } = head.openWal(walOptions(dir));
  const ends: number[] = [];
  wal.onEnd((_segment, offset) => ends.push(offset));
  try {
    await fn(head, dir, ends);
  } finally {
    wal.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Commits `batches` batches of `n` points each over 5000 names. */
function fill(head: Head, batches: number, n: number) {
  let k = 0;
  for (let b = 0; b < batches; b++) {
    const app = head.appender();
    const names: string[] = [];
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++, k++) {
      names.push(`reader.series_${k % 5000}`);
      ts.push(1_700_000_000 + Math.floor(k / 5000));
      values.push(k * 0.5);
    }
    app.appendPoints(names, ts, values);
    app.commit();
  }
}

Deno.test("WAL reader: bounded reads resumed at record ends give the records of one full read", async () => {
  await withHead(async (head, dir) => {
    fill(head, 60, 7_000); // about 5 MB: more than one 4 MiB chunk
    const file = listSegments(dir).at(-1)!;
    assert(file.size > READ_CHUNK_BYTES, `segment of ${file.size} bytes`);
    const codec = new WalCodec(await WasmInstance.load({ maxPoints: 10, maxLineLen: 100 }));
    const all = readRawRecords(codec, file.path).records;
    assertEquals(all.length, 61); // one Series record, then a Samples record per commit
    assertEquals(all.at(-1)!.end, file.size);
    // from a record end inside a page, with no limit: exactly the records after it
    const from = all[3].end;
    assert(from % (32 * 1024) !== 0);
    assertEquals(readRawRecords(codec, file.path, { offset: from }).records, all.slice(4));
    // in small bites
    const bites: RawRecord[] = [];
    let offset = 0;
    while (offset < file.size) {
      const got = readRawRecords(codec, file.path, { offset, maxBytes: 100_000 });
      assert(got.records.length > 0, `progress at ${offset}`);
      bites.push(...got.records);
      offset = got.records.at(-1)!.end;
    }
    assertEquals(bites, all);
    // up to a committed end
    const upTo = readRawRecords(codec, file.path, { offset: all[10].end, end: all[20].end });
    assertEquals(upTo.records, all.slice(11, 21));
    assertEquals(upTo.torn, false);
    // decoded
    const decoded = readRecords(codec, file, { offset: all[59].end });
    assertEquals(decoded.length, 1);
    assert(decoded[0].record.type === "samples" && decoded[0].record.samples.length === 7000);
  });
});

Deno.test("WAL end listener: told the segment's committed end after each write", async () => {
  await withHead((head, dir, ends) => {
    assertEquals(ends, [0]); // at registration: the new segment, empty
    fill(head, 3, 10);
    const file = listSegments(dir).at(-1)!;
    assertEquals(ends.length, 4);
    assertEquals(ends.at(-1), file.size);
    assert(ends[1] < ends[2] && ends[2] < ends[3]);
  });
});
