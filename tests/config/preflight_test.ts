// What a start checks before binding or writing anything, and `--check-config` with it: rule
// files, log files, and the directories the daemon writes, each failure naming the key and path.

import { assert, assertEquals } from "../_util/assert.ts";
import { defaultConfig } from "../../src/config/config.ts";
import { preflight } from "../../src/config/preflight.ts";
import { runCommand } from "../../src/cli.ts";

/** A temporary directory, removed (and unmounted, when `readOnly` mounted it) afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_preflight_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A directory nobody may write to. The root user writes through mode bits, so as root it is a
 * read-only tmpfs; otherwise a directory of mode 0555. Removed afterwards.
 */
async function withReadOnlyDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_ro_" });
  const root = Deno.uid() === 0;
  if (root) {
    const mount = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir],
    }).output();
    assert.ok(mount.success, new TextDecoder().decode(mount.stderr));
  } else {
    await Deno.chmod(dir, 0o555);
  }
  try {
    await fn(dir);
  } finally {
    if (root) await new Deno.Command("umount", { args: [dir] }).output();
    else await Deno.chmod(dir, 0o755);
    await Deno.remove(dir, { recursive: true });
  }
}

/** `--check-config` with the environment `env`: exit code and what it printed. */
async function checkConfig(env: Record<string, string>) {
  let stdout = "";
  let stderr = "";
  const code = await runCommand({ command: "check-config" }, {
    env,
    out: { stdout: (t) => stdout += t, stderr: (t) => stderr += t },
  });
  return { code, stdout, stderr };
}

function configIn(dir: string) {
  const config = defaultConfig();
  config.whisper.dataDir = `${dir}/whisper`;
  config.wal.dir = `${dir}/wal`;
  config.logging[0].file = "stdout";
  return config;
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return "";
}

Deno.test("preflight() accepts missing directories below a writable one and creates nothing", async () => {
  await withTempDir((dir) => {
    const config = configIn(dir);
    config.logging[0].file = `${dir}/logs/carbonado.log`;
    Deno.mkdirSync(`${dir}/logs`);
    preflight(config);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["logs"]);
    assertEquals([...Deno.readDirSync(`${dir}/logs`)].length, 0);
  });
});

Deno.test("preflight() refuses a data dir or WAL dir that is a regular file, naming key and path", async () => {
  await withTempDir((dir) => {
    for (const [key, field] of [["whisper.data-dir", "data"], ["wal.dir", "wal"]] as const) {
      const config = configIn(dir);
      const file = `${dir}/${field}-file`;
      Deno.writeTextFileSync(file, "x");
      if (field === "data") config.whisper.dataDir = file;
      else config.wal.dir = file;
      assertEquals(
        message(() => preflight(config)),
        `Invalid ${key}: "${file}" is not a directory`,
      );
    }
    const config = configIn(dir);
    Deno.writeTextFileSync(`${dir}/plain`, "x");
    config.whisper.dataDir = `${dir}/plain/below`;
    assertEquals(
      message(() => preflight(config)),
      `Invalid whisper.data-dir: "${dir}/plain/below": "${dir}/plain" is not a directory`,
    );
  });
});

Deno.test("preflight() refuses read-only data, WAL and log directories, naming key and path", async () => {
  await withTempDir(async (dir) => {
    await withReadOnlyDir((ro) => {
      const cases: [string, (c: ReturnType<typeof configIn>) => void, string][] = [
        ["whisper.data-dir", (c) => c.whisper.dataDir = ro, `"${ro}" is not writable`],
        ["whisper.data-dir", (c) => c.whisper.dataDir = `${ro}/a`, `"${ro}/a" (in "${ro}")`],
        ["wal.dir", (c) => c.wal.dir = ro, `"${ro}" is not writable`],
        ["logging.file", (c) => c.logging[0].file = `${ro}/x.log`, `"${ro}" is not writable`],
      ];
      for (const [key, set, what] of cases) {
        const config = configIn(dir);
        set(config);
        const msg = message(() => preflight(config));
        assert.ok(msg.startsWith(`Invalid ${key}: `) && msg.includes(what), msg);
      }
    });
  });
});

Deno.test("preflight() refuses an unreadable or invalid storage-schemas.conf", async () => {
  await withTempDir((dir) => {
    const config = configIn(dir);
    config.whisper.schemasFile = `${dir}/missing.conf`;
    assert.ok(
      message(() => preflight(config)).startsWith(
        `Cannot read whisper.schemas-file "${dir}/missing.conf"`,
      ),
    );
    Deno.writeTextFileSync(`${dir}/bad.conf`, "[x]\npattern = .*\nretentions = 1x\n");
    config.whisper.schemasFile = `${dir}/bad.conf`;
    assert.ok(message(() => preflight(config)).includes(`${dir}/bad.conf at line 3`));
  });
});

Deno.test("--check-config says what a start would: a data dir that is a file, a log in a missing dir", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "x");
    const base = { CARBONADO_WAL_DIR: `${dir}/wal`, CARBONADO_LOGGING_FILE: "stdout" };
    const bad = await checkConfig({ ...base, CARBONADO_WHISPER_DATA_DIR: `${dir}/file` });
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr, `error: Invalid whisper.data-dir: "${dir}/file" is not a directory\n`);
    const log = await checkConfig({
      ...base,
      CARBONADO_WHISPER_DATA_DIR: `${dir}/whisper`,
      CARBONADO_LOGGING_FILE: `${dir}/file/carbonado.log`,
    });
    assertEquals(log.code, 1);
    assert.ok(log.stderr.startsWith("error: Invalid logging.file: "), log.stderr);
    const good = await checkConfig({ ...base, CARBONADO_WHISPER_DATA_DIR: `${dir}/whisper` });
    assertEquals(good.code, 0, good.stderr);
    assertEquals(good.stdout, "config OK: built-in defaults\n");
  });
});
