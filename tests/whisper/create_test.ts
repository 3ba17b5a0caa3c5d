// create() and info() against whisper.py: identical bytes (sparse and preallocated), the same
// info, and the same refusals.

import assert from "node:assert/strict";
import { create } from "../../src/whisper/create.ts";
import { AGGREGATION_METHODS } from "../../src/whisper/format.ts";
import { info } from "../../src/whisper/whisper_file.ts";
import { oracleTest } from "../_util/whisper_recording.ts";
import { assertSameBytes, RETENTIONS, withTempDir } from "./test_support.ts";

oracleTest(
  "create() writes whisper.py's bytes for every method, several xFilesFactors, sparse or not",
  async (oracle, dir) => {
    let n = 0;
    for (const [name, archives] of Object.entries(RETENTIONS)) {
      for (const aggregationMethod of AGGREGATION_METHODS) {
        for (const xFilesFactor of [0, 0.5, 1, 0.3, 0.1234567]) {
          for (const sparse of [false, true]) {
            const ours = `${dir}/ours_${n}.wsp`;
            const theirs = `${dir}/theirs_${n++}.wsp`;
            create(ours, archives, { xFilesFactor, aggregationMethod, sparse });
            await oracle.create(theirs, archives, { xFilesFactor, aggregationMethod, sparse });
            assertSameBytes(ours, theirs, `${name} ${aggregationMethod} ${xFilesFactor}`);
            const expected = await oracle.info(theirs);
            const { fileSize, ...header } = info(ours);
            assert.deepEqual(header, expected);
            assert.equal(fileSize, Deno.statSync(theirs).size);
          }
        }
      }
    }
  },
);

oracleTest(
  "create() sorts archives by precision and applies whisper's defaults",
  async (oracle, dir) => {
    const archives = [{ secondsPerPoint: 60, points: 1440 }, {
      secondsPerPoint: 10,
      points: 360,
    }];
    create(`${dir}/ours.wsp`, archives);
    await oracle.create(`${dir}/theirs.wsp`, archives);
    assertSameBytes(`${dir}/ours.wsp`, `${dir}/theirs.wsp`, "defaults");
    const header = info(`${dir}/ours.wsp`);
    assert.equal(header.aggregationMethod, "average");
    assert.equal(header.xFilesFactor, 0.5);
    assert.deepEqual(header.archives.map((a) => a.secondsPerPoint), [10, 60]);
  },
);

Deno.test("create() refuses to overwrite an existing file and leaves it untouched", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/exists.wsp`;
    Deno.writeTextFileSync(path, "keep me");
    assert.throws(
      () => create(path, [{ secondsPerPoint: 60, points: 10 }]),
      (error: Error) =>
        error instanceof Deno.errors.AlreadyExists &&
        error.message === `File ${path} already exists`,
    );
    assert.equal(Deno.readTextFileSync(path), "keep me");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["exists.wsp"]);
  });
});

Deno.test("create() with a tempDir: the same bytes at the path, nothing left in tempDir", async () => {
  await withTempDir((dir) => {
    Deno.mkdirSync(`${dir}/a/b`, { recursive: true });
    const archives = [{ secondsPerPoint: 60, points: 10 }];
    create(`${dir}/plain.wsp`, archives);
    create(`${dir}/a/b/viaTemp.wsp`, archives, { tempDir: dir });
    assertSameBytes(`${dir}/a/b/viaTemp.wsp`, `${dir}/plain.wsp`, "tempDir");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a", "plain.wsp"]);
    assert.throws(
      () => create(`${dir}/a/b/viaTemp.wsp`, archives, { tempDir: dir }),
      Deno.errors.AlreadyExists,
    );
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a", "plain.wsp"]);
  });
});

/** /dev/shm is a tmpfs, the temp dir usually not; Deno reads /dev/shm only with --allow-all. */
function otherFileSystem(): boolean {
  try {
    return Deno.statSync("/dev/shm").dev !== Deno.statSync(Deno.env.get("TMPDIR") ?? "/tmp").dev;
  } catch {
    return false;
  }
}

Deno.test("create() with a tempDir on another file system falls back to a temp beside the path", {
  ignore: !otherFileSystem(),
}, async () => {
  const other = Deno.makeTempDirSync({ dir: "/dev/shm" });
  try {
    await withTempDir((dir) => {
      const archives = [{ secondsPerPoint: 60, points: 10 }];
      create(`${dir}/plain.wsp`, archives);
      for (const name of ["first", "second"]) { // the second goes beside the path straight away
        create(`${dir}/${name}.wsp`, archives, { tempDir: other });
        assertSameBytes(`${dir}/${name}.wsp`, `${dir}/plain.wsp`, name);
      }
      assert.deepEqual([...Deno.readDirSync(other)], []);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        ["first.wsp", "plain.wsp", "second.wsp"],
      );
    });
  } finally {
    Deno.removeSync(other, { recursive: true });
  }
});

Deno.test("create() does not create missing directories", async () => {
  await withTempDir((dir) => {
    assert.throws(
      () => create(`${dir}/missing/a.wsp`, [{ secondsPerPoint: 60, points: 10 }]),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("create() rejects invalid arguments before touching the disk", async () => {
  await withTempDir((dir) => {
    const path = `${dir}/bad.wsp`;
    const one = [{ secondsPerPoint: 60, points: 10 }];
    const cases: [() => void, RegExp][] = [
      [() => create(path, []), /at least one archive/],
      [() => create(path, one, { xFilesFactor: 1.5 }), /Invalid xFilesFactor 1.5/],
      [() => create(path, one, { xFilesFactor: NaN }), /Invalid xFilesFactor NaN/],
      [() => create(path, one, { xFilesFactor: -0.1 }), /not between 0 and 1/],
      [
        // @ts-expect-error: an unknown method, as a config file could give
        () => create(path, one, { aggregationMethod: "median" }),
        /Unrecognized aggregation method: median/,
      ],
      [() => create(path, [{ secondsPerPoint: 0, points: 10 }]), /integers from 1/],
      [() => create(path, [{ secondsPerPoint: 60, points: 1.5 }]), /integers from 1/],
      [
        () =>
          create(path, [{ secondsPerPoint: 60, points: 10 }, { secondsPerPoint: 60, points: 20 }]),
        /same precision/,
      ],
    ];
    for (const [fn, message] of cases) {
      assert.throws(
        fn,
        (error: Error) => error instanceof RangeError && message.test(error.message),
      );
      assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    }
  });
});

Deno.test("create() killed mid-write (file-size limit) leaves no file at the path", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/big.wsp`;
    const module = new URL("../../src/whisper/create.ts", import.meta.url).href;
    // Started, then limited to 64 KiB per file (its own start-up writes caches), then told to
    // create 1s for two days: 2 MiB of header and zeros, so SIGXFSZ kills it mid-write.
    const script = `const { create } = await import(${JSON.stringify(module)});` +
      `console.log("ready"); for await (const _ of Deno.stdin.readable) break;` +
      `create(${JSON.stringify(path)}, [{ secondsPerPoint: 1, points: 172800 }]);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await lines.read()).value, "ready\n");
    const limited = await new Deno.Command("prlimit", {
      args: [`--pid=${child.pid}`, "--fsize=65536:65536"],
    }).output();
    assert.ok(limited.success, new TextDecoder().decode(limited.stderr));
    const stdin = child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode("go\n"));
    await stdin.close().catch(() => {}); // the child may be gone already
    assert.equal((await child.status).signal, "SIGXFSZ", "the writer died mid-file");
    await lines.cancel();
    assert.throws(() => Deno.statSync(path), Deno.errors.NotFound);
    // what is left is a dot-file, which the data-directory scan skips
    for (const entry of Deno.readDirSync(dir)) assert.ok(entry.name.startsWith("."), entry.name);
  });
});
