// Corrupt and truncated headers raise WhisperCorruptionError carrying the path and the offset.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { WhisperCorruptionError } from "../../src/whisper/errors.ts";
import { fetch, info, updateMany, WhisperFile } from "../../src/whisper/whisper_file.ts";
import { withTempDir } from "./test_support.ts";

const ARCHIVES = [{ secondsPerPoint: 10, points: 6 }, { secondsPerPoint: 60, points: 10 }];

function corrupt(dir: string, name: string, edit: (bytes: Uint8Array) => Uint8Array): string {
  const path = `${dir}/${name}.wsp`;
  create(path, ARCHIVES);
  Deno.writeFileSync(path, edit(Deno.readFileSync(path)));
  return path;
}

function setU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  new DataView(bytes.buffer).setUint32(offset, value);
  return bytes;
}

Deno.test("WhisperFile.open() reports corrupt headers with the path, offset and problem", async () => {
  await withTempDir((dir) => {
    const cases: [string, (b: Uint8Array) => Uint8Array, number, RegExp][] = [
      ["empty", () => new Uint8Array(0), 0, /metadata is truncated \(0 of 16 bytes\)/],
      ["short_metadata", (b) => b.slice(0, 10), 0, /metadata is truncated/],
      ["type_zero", (b) => setU32(b, 0, 0), 0, /unknown aggregation type 0/],
      ["type_nine", (b) => setU32(b, 0, 9), 0, /unknown aggregation type 9/],
      ["xff_above_one", (b) => setU32(b, 8, 0x40000000), 8, /xFilesFactor 2 is not between/],
      ["xff_nan", (b) => setU32(b, 8, 0x7fc00000), 8, /xFilesFactor NaN/],
      ["no_archives", (b) => setU32(b, 12, 0), 12, /archive count is 0/],
      ["cut_in_header", (b) => b.slice(0, 30), 12, /header of 2 archives \(40 bytes\) is longer/],
      ["many_archives", (b) => setU32(b, 12, 1000), 12, /header of 1000 archives \(12016 bytes\)/],
      ["zero_step", (b) => setU32(b, 32, 0), 32, /archive 1 has 0 seconds per point/],
      ["zero_points", (b) => setU32(b, 24, 0), 24, /archive 0 has 0 points/],
      [
        "outside",
        (b) => setU32(b, 28, 10_000),
        28,
        /archive 1 \(offset 10000, 120 bytes\) ends past/,
      ],
      ["truncated_data", (b) => b.slice(0, 200), 28, /ends past the end of the file \(200 bytes\)/],
    ];
    for (const [name, edit, offset, message] of cases) {
      const path = corrupt(dir, name, edit);
      for (const open of [() => WhisperFile.open(path), () => info(path), () => fetch(path, 0)]) {
        assert.throws(open, (error: unknown) => {
          assert.ok(error instanceof WhisperCorruptionError, `${name}: ${error}`);
          assert.equal(error.path, path);
          assert.equal(error.offset, offset, name);
          assert.match(error.message, message);
          assert.ok(error.message.startsWith(`Cannot read whisper file "${path}" at offset`));
          return true;
        });
      }
      assert.throws(() => updateMany(path, [[1, 1]]), WhisperCorruptionError);
    }
  });
});

Deno.test("WhisperFile.open() surfaces a missing file as NotFound", async () => {
  await withTempDir((dir) => {
    assert.throws(() => WhisperFile.open(`${dir}/nope.wsp`), Deno.errors.NotFound);
  });
});

Deno.test("WhisperFile.open() reads a header of more archives than the first read holds", async () => {
  await withTempDir((dir) => {
    // whisper's rules allow at most 32 archives in 32-bit precisions; write a header of 100
    // archive records by hand instead, all pointing at one shared region.
    const path = `${dir}/many.wsp`;
    const header = new Uint8Array(16 + 12 * 100 + 48);
    const view = new DataView(header.buffer);
    view.setUint32(0, 1);
    view.setUint32(4, 4);
    view.setFloat32(8, 0.5);
    view.setUint32(12, 100);
    for (let i = 0; i < 100; i++) {
      view.setUint32(16 + 12 * i, 16 + 12 * 100);
      view.setUint32(20 + 12 * i, 1);
      view.setUint32(24 + 12 * i, 4);
    }
    Deno.writeFileSync(path, header);
    using file = WhisperFile.open(path);
    assert.equal(file.header.archives.length, 100);
    assert.equal(file.header.archives[99].offset, 1216);
  });
});
