// The worker's write path on real files, checked with Graphite's whisper module.

import { assert, assertEquals } from "../_util/assert.ts";
import { MOUNT_SKIP, mountTmpfs } from "../_util/tmpfs.ts";
import { hexToF64 } from "../_util/whisper_oracle.ts";
import { openWhisperReader, type WhisperReader } from "../_util/whisper_reader.ts";
import { parseRules, writeBatch, type WriterSettings } from "../../src/persister/whisper_writer.ts";
import {
  STATUS_CREATED,
  STATUS_FAILED,
  STATUS_UPDATED,
  type WriteBatch,
} from "../../src/persister/write_batch.ts";
import { skipUnless } from "../_util/requires.ts";

const SCHEMAS = `
[carbon]
pattern = ^carbon\\.
retentions = 60:90d

[fast]
pattern = ^fast\\.
retentions = 10s:1h,1m:1d

[default]
pattern = .*
retentions = 1m:7d
`;
const AGGREGATION = `
[max]
pattern = \\.max$
xFilesFactor = 0.1
aggregationMethod = max
`;

function settings(dataDir: string, extra: Partial<WriterSettings> = {}): WriterSettings {
  return {
    dataDir,
    sparse: false,
    flock: false,
    removeEmptyFile: false,
    hashFilenames: true,
    ...parseRules({
      schemas: { file: "storage-schemas.conf", text: SCHEMAS },
      aggregation: { file: "storage-aggregation.conf", text: AGGREGATION },
    }),
    ...extra,
  };
}

const NOW = Math.floor(Date.now() / 1000);

/** A batch of series, each given as [name, [ts, value][]]. */
function batch(series: [string, [number, number][]][]): WriteBatch {
  const all = series.flatMap(([, points]) => points);
  return {
    type: "write",
    id: 1,
    names: series.map(([name]) => name),
    counts: Uint32Array.from(series.map(([, points]) => points.length)),
    fresh: new Uint8Array(series.length),
    timestamps: Uint32Array.from(all.map(([ts]) => ts)),
    values: Float64Array.from(all.map(([, v]) => v)),
  };
}

async function withDir(fn: (dir: string, oracle: WhisperReader) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const oracle = openWhisperReader();
  try {
    await fn(dir, oracle);
  } finally {
    await oracle.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function fetchValues(oracle: WhisperReader, path: string, from: number) {
  const r = await oracle.fetch(path, from, NOW, NOW);
  assert.ok(r !== null);
  const points: [number, number][] = [];
  r.values.forEach((v, i) => {
    if (v !== null) points.push([r.fromTime + i * r.step, hexToF64(v)]);
  });
  return points;
}

Deno.test("writeBatch() creates missing files and directories with the matching schema and aggregation", async () => {
  await withDir(async (dir, oracle) => {
    const t = NOW - (NOW % 60) - 120;
    const result = writeBatch(
      settings(dir),
      batch([
        ["fast.a.b", [[t, 1.5], [t + 10, 2.5]]],
        ["carbon.agents.x.cpu.max", [[t, 7]]],
        ["other", [[t, 3]]],
      ]),
    );
    assertEquals([...result.status], [STATUS_CREATED, STATUS_CREATED, STATUS_CREATED]);
    assertEquals(result.errors, []);
    const fast = await oracle.info(`${dir}/fast/a/b.wsp`);
    assertEquals(
      (fast!.archives as { secondsPerPoint: number; points: number }[]).map((a) => [
        a.secondsPerPoint,
        a.points,
      ]),
      [[10, 360], [60, 1440]],
    );
    assertEquals([fast!.aggregationMethod, fast!.xFilesFactor], ["average", 0.5]);
    const carbon = await oracle.info(`${dir}/carbon/agents/x/cpu/max.wsp`);
    assertEquals(carbon!.aggregationMethod, "max");
    assertEquals(Math.fround(0.1), carbon!.xFilesFactor);
    assertEquals(await fetchValues(oracle, `${dir}/fast/a/b.wsp`, NOW - 3000), [
      [t, 1.5],
      [t + 10, 2.5],
    ]);
    assertEquals(await fetchValues(oracle, `${dir}/other.wsp`, NOW - 3000), [[t, 3]]);
  });
});

Deno.test("writeBatch() updates files whisper.py created", async () => {
  await withDir(async (dir, oracle) => {
    const path = `${dir}/made/by/python.wsp`;
    await Deno.mkdir(`${dir}/made/by`, { recursive: true });
    // whisper.create(path, [(60, 60)], aggregationMethod="sum"), by make_fixtures.ts.
    await Deno.copyFile(
      new URL("../fixtures/whisper/made_by_whisper_py.wsp", import.meta.url),
      path,
    );
    const t = NOW - (NOW % 60) - 60;
    const result = writeBatch(settings(dir), batch([["made.by.python", [[t, 42]]]]));
    assertEquals([...result.status], [STATUS_UPDATED]);
    assertEquals(await fetchValues(oracle, path, NOW - 3000), [[t, 42]]);
  });
});

Deno.test("writeBatch() reports a failed series with its path and reason, and writes the others", async () => {
  await withDir(async (dir, oracle) => {
    await Deno.writeTextFile(`${dir}/blocked`, "a file where a directory should be");
    await Deno.mkdir(`${dir}/broken`);
    await Deno.writeTextFile(`${dir}/broken/header.wsp`, "not a whisper header at all.........");
    const t = NOW - 60;
    const result = writeBatch(
      settings(dir),
      batch([
        ["blocked.metric", [[t, 1]]],
        ["ok.one", [[t, 2]]],
        ["broken.header", [[t, 3]]],
        ["ok.two", [[t, 4]]],
      ]),
    );
    assertEquals([...result.status], [
      STATUS_FAILED,
      STATUS_CREATED,
      STATUS_FAILED,
      STATUS_CREATED,
    ]);
    assertEquals(result.errors.map((e) => [e.index, e.reason, e.path]), [
      [0, "bad_path", `${dir}/blocked/metric.wsp`],
      [2, "corrupt", `${dir}/broken/header.wsp`],
    ]);
    assertEquals((await fetchValues(oracle, `${dir}/ok/two.wsp`, NOW - 3000)).length, 1);
  });
});

Deno.test("writeBatch() reports a path too long for the file system as too_long, creating nothing", async () => {
  await withDir(async (dir) => {
    const long = Array.from({ length: 21 }, (_, i) => `s${i}`.padEnd(200, "s")).join(".");
    const t = NOW - 60;
    const result = writeBatch(settings(dir), batch([[long, [[t, 1]]], ["ok.one", [[t, 2]]]]));
    assertEquals([...result.status], [STATUS_FAILED, STATUS_CREATED]);
    assertEquals(result.errors.map((e) => [e.index, e.reason]), [[0, "too_long"]]);
    assertEquals(result.errors[0].message.startsWith("PathTooLongError: "), true);
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), ["ok"]);
  });
});

Deno.test("writeBatch() replaces an empty file with remove-empty-file, and reports it otherwise", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(`${dir}/empty.wsp`, new Uint8Array(0));
    const one = batch([["empty", [[NOW - 60, 1]]]]);
    assertEquals(writeBatch(settings(dir), one).errors.map((e) => e.reason), ["corrupt"]);
    const replaced = writeBatch(settings(dir, { removeEmptyFile: true }), one);
    assertEquals([...replaced.status], [STATUS_CREATED]);
    assert.ok((await Deno.stat(`${dir}/empty.wsp`)).size > 0);
  });
});

Deno.test("writeBatch() creates sparse files with sparse-create", async () => {
  await withDir(async (dir) => {
    const one = batch([["sparse.big", [[NOW - 60, 1]]]]);
    writeBatch(settings(dir, { sparse: true }), one);
    const stat = await Deno.stat(`${dir}/sparse/big.wsp`);
    assertEquals(stat.size, 16 + 12 + 10080 * 12); // metadata, one archive-info record, points
    assert.ok(stat.blocks! * 512 < stat.size / 4, `${stat.blocks} blocks for ${stat.size} bytes`);
  });
});

const disk = await mountTmpfs("64k");

Deno.test(skipUnless(MOUNT_SKIP, {
  name: "writeBatch() reports a full disk as no_space and leaves no half-written file",
  async fn() {
    const dir = disk!.dir;
    try {
      const big = batch([["big.one", [[NOW - 60, 1]]], ["small", [[NOW - 60, 2]]]]);
      const s = settings(dir);
      s.schemas = parseRules({
        schemas: {
          file: "s.conf",
          text: "[big]\npattern = ^big\nretentions = 1s:1d\n[x]\npattern = .\nretentions = 1m:1h\n",
        },
        aggregation: null,
      }).schemas;
      const result = writeBatch(s, big);
      assertEquals(result.errors.map((e) => [e.index, e.reason]), [[0, "no_space"]]);
      assertEquals([...result.status], [STATUS_FAILED, STATUS_CREATED]);
      assertEquals(await Deno.stat(`${dir}/big/one.wsp`).then(() => true, () => false), false);
      assertEquals([...Deno.readDirSync(`${dir}/big`)], [], "no temporary file left either");
    } finally {
      await disk!.close();
    }
  },
}));
