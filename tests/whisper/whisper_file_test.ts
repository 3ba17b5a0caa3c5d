// WhisperFile as a long-lived handle: several operations on one open file, a reader seeing a
// writer's first points, closing, and updates that must not touch the file.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { fetch, info, updateMany, WhisperFile } from "../../src/whisper/whisper_file.ts";
import { assertSameBytes, generateBatch, prng, RETENTIONS, withTempDir } from "./test_support.ts";

const ARCHIVES = RETENTIONS["5s:1m,15s:3m,1m:10m,5m:1h"];

Deno.test("WhisperFile keeps one file open across updates and fetches with the same result as one-shot calls", async () => {
  await withTempDir((dir) => {
    create(`${dir}/kept.wsp`, ARCHIVES, { xFilesFactor: 0.2, aggregationMethod: "sum" });
    create(`${dir}/oneshot.wsp`, ARCHIVES, { xFilesFactor: 0.2, aggregationMethod: "sum" });
    const rng = prng(7);
    using kept = WhisperFile.open(`${dir}/kept.wsp`, { write: true });
    let now = 1_600_000_000;
    for (let b = 0; b < 30; b++) {
      const points = generateBatch(rng, ARCHIVES, now);
      kept.updateMany(points, { now });
      updateMany(`${dir}/oneshot.wsp`, points, { now });
      assert.deepEqual(
        kept.fetch(now - 3600, { now }),
        fetch(`${dir}/oneshot.wsp`, now - 3600, { now }),
      );
      now += Math.floor(rng() * 100);
    }
    assertSameBytes(`${dir}/kept.wsp`, `${dir}/oneshot.wsp`, "after 30 batches");
  });
});

Deno.test("WhisperFile opened read-only sees points another handle writes into its empty archives", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/a.wsp`;
    create(path, ARCHIVES, { xFilesFactor: 0 });
    const now = 1_600_000_000;
    using reader = WhisperFile.open(path);
    assert.ok(reader.fetch(now - 50, { now })?.values.every((v) => v === null));
    updateMany(path, [[now - 20, 4], [now - 600, 5]], { now });
    const recent = reader.fetch(now - 50, { now });
    assert.equal(recent?.values.filter((v) => v !== null).length, 1);
    const older = reader.fetch(now - 3000, { now });
    assert.deepEqual(older?.values.filter((v) => v !== null), [5, 4]);
  });
});

Deno.test("WhisperFile.header equals info() and close() may be called twice", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/a.wsp`;
    create(path, ARCHIVES, { sparse: true });
    const file = WhisperFile.open(path);
    const { fileSize, ...header } = info(path);
    assert.deepEqual(file.header, header);
    assert.equal(file.fileSize, fileSize);
    file.close();
    file.close();
    assert.throws(() => file.fetch(0), Deno.errors.BadResource);
  });
});

Deno.test("updateMany() leaves the file untouched for no points or only points older than the retention", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/a.wsp`;
    create(path, ARCHIVES);
    const before = Deno.readFileSync(path);
    const now = 1_600_000_000;
    updateMany(path, [], { now });
    updateMany(path, [[now - 3601, 1], [now - 100_000, 2], [0, 3]], { now });
    using file = WhisperFile.open(path, { write: true });
    file.updateArrays(new Uint32Array([now]), new Float64Array([1]), { count: 0, now });
    assert.deepEqual(Deno.readFileSync(path), before);
  });
});

Deno.test("WhisperFile.createWithPoints() writes the bytes of create() then updateArrays()", async () => {
  await withTempDir((dir) => {
    const rng = prng(11);
    const now = 1_600_000_000;
    let n = 0;
    // "10s:6h,1m:7d,10m:5y" is over 1 MiB: created on disk, then updated
    for (const [name, archives] of Object.entries(RETENTIONS)) {
      for (const sparse of [false, true]) {
        const points = generateBatch(rng, archives, now);
        const timestamps = Uint32Array.from(points, (p) => p[0]);
        const values = Float64Array.from(points, (p) => p[1]);
        const options = { xFilesFactor: 0.3, aggregationMethod: "max" as const, sparse };
        const ours = `${dir}/with_${n}.wsp`;
        const theirs = `${dir}/then_${n++}.wsp`;
        WhisperFile.createWithPoints(
          ours,
          archives,
          { ...options, tempDir: dir },
          timestamps,
          values,
          {
            now,
          },
        );
        using file = WhisperFile.create(theirs, archives, options);
        file.updateArrays(timestamps, values, { now });
        assertSameBytes(ours, theirs, `${name} sparse ${sparse}`);
      }
    }
    assert.deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(".")), []);
  });
});

Deno.test("WhisperFile.createWithPoints() creates nothing when the update is refused", async () => {
  await withTempDir((dir) => {
    assert.throws(
      () =>
        WhisperFile.createWithPoints(
          `${dir}/refused.wsp`,
          ARCHIVES,
          {},
          new Uint32Array(1),
          new Float64Array(1),
          { count: 2 },
        ),
      RangeError,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
