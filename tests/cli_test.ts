// The command line: flag spellings go-carbon users type, and the commands that only print.

import assert from "node:assert/strict";
import { type CliArgs, parseArgs, runCommand, VERSION } from "../src/cli.ts";
import { defaultConfig } from "../src/config/config.ts";
import { loadConfig } from "../src/config/load.ts";

Deno.test("parseArgs() reads go-carbon's single-dash flags and GNU-style ones alike", () => {
  const cases: [string[], CliArgs][] = [
    [[], { command: "run" }],
    [["--config", "a.toml"], { command: "run", configFile: "a.toml" }],
    [["-config", "a.toml"], { command: "run", configFile: "a.toml" }],
    [["--config=a.toml"], { command: "run", configFile: "a.toml" }],
    [["-config=a=b.toml"], { command: "run", configFile: "a=b.toml" }],
    [["--config", "-odd name.toml"], { command: "run", configFile: "-odd name.toml" }],
    [["--config", "a.toml", "--config", "b.toml"], { command: "run", configFile: "b.toml" }],
    [["--check-config"], { command: "check-config" }],
    [["-check-config", "-config", "a.toml"], { command: "check-config", configFile: "a.toml" }],
    [["--check-config=true"], { command: "check-config" }],
    [["--check-config=false"], { command: "run" }],
    [["--print-default-config"], { command: "print-default-config" }],
    [["-config-print-default"], { command: "print-default-config" }],
    [["--version"], { command: "version" }],
    [["-version"], { command: "version" }],
    [["--help"], { command: "help" }],
    [["-help"], { command: "help" }],
    [["-h"], { command: "help" }],
    [["--check-config", "--version"], { command: "version" }],
    [["--version", "--help"], { command: "help" }],
    [["--check-config", "--print-default-config"], { command: "print-default-config" }],
  ];
  for (const [argv, expected] of cases) {
    assert.deepEqual(parseArgs(argv), expected, argv.join(" "));
  }
});

Deno.test("parseArgs() rejects unknown flags, stray arguments and a missing file name", () => {
  const cases: [string[], RegExp][] = [
    [["--foo"], /^Unknown flag "--foo": see --help$/],
    [["-configfile", "x"], /^Unknown flag "-configfile"/],
    [["--config"], /^Flag "--config" needs a file name$/],
    [["--config="], /^Flag "--config=" needs a non-empty file name$/],
    [["carbonado.toml"], /^Unexpected argument "carbonado.toml"/],
    [["-"], /^Unexpected argument "-"/],
    [["--"], /^Unexpected argument "--"/],
    [["---config", "x"], /^Unexpected argument "---config"/],
    [["--version=maybe"], /^Flag "-version" takes no value, got "maybe"$/],
    [["-daemon"], /^Flag "-daemon" is a go-carbon flag carbonado does not support: /],
    [["-pidfile", "/run/x.pid"], /^Flag "-pidfile" is a go-carbon flag/],
    [["-check-policies", "10"], /^Flag "-check-policies" is a go-carbon flag/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseArgs(argv), { name: "TypeError", message }, argv.join(" "));
  }
});

/** Runs a command with output captured. */
async function run(args: CliArgs, env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCommand(args, {
    env,
    out: { stdout: (t) => stdout += t, stderr: (t) => stderr += t },
  });
  return { code, stdout, stderr };
}

async function withFile<T>(text: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "carbonado_cli_" });
  try {
    await Deno.writeTextFile(`${dir}/carbonado.toml`, text);
    return await fn(`${dir}/carbonado.toml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runCommand() leaves `run` to the caller", async () => {
  assert.deepEqual(await run({ command: "run", configFile: "x" }), {
    code: undefined,
    stdout: "",
    stderr: "",
  });
});

Deno.test("--check-config exits 0 on a valid file and prints its warnings", async () => {
  const result = await withFile(
    "[whisper]\nworkers = 4\n[dump]\nenabled = true\n",
    (file) => run({ command: "check-config", configFile: file }),
  );
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^config OK: .*carbonado\.toml\n$/);
  assert.equal(
    result.stderr,
    "warning: unimplemented config keys ignored, their features turned on here: dump.enabled\n",
  );
});

Deno.test("--check-config exits 1 and names the key on a bad value", async () => {
  const result = await withFile(
    '[cache]\nwrite-strategy = "fast"\n',
    (file) => run({ command: "check-config", configFile: file }),
  );
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^error: Invalid config .*carbonado\.toml: cache\.write-strategy = "fast": expected one of max, sorted, noop\n$/,
  );
});

Deno.test("--check-config checks the environment too, and a missing file", async () => {
  const bad = await run({ command: "check-config" }, { CARBONADO_WHISPER_WORKERS: "x" });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /CARBONADO_WHISPER_WORKERS = "x" is not an integer/);
  const missing = await run({ command: "check-config", configFile: "/nonexistent/c.toml" });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: Cannot read config \/nonexistent\/c\.toml: /);
  const defaults = await run({ command: "check-config" });
  assert.deepEqual(defaults, { code: 0, stdout: "config OK: built-in defaults\n", stderr: "" });
});

Deno.test("--print-default-config prints a config that loads back to the defaults", async () => {
  const result = await run({ command: "print-default-config" });
  assert.equal(result.code, 0);
  const loaded = await withFile(result.stdout, (file) => loadConfig({ file, env: {} }));
  assert.deepEqual(loaded, { config: defaultConfig(), warnings: [] });
});

Deno.test("--version and --help print to stdout and exit 0", async () => {
  const version = await run({ command: "version" });
  assert.equal(version.code, 0);
  assert.match(version.stdout, new RegExp(`^carbonado ${VERSION.replaceAll(".", "\\.")} \\(deno `));
  const help = await run({ command: "help" });
  assert.equal(help.code, 0);
  for (const flag of ["--config FILE", "--check-config", "--print-default-config", "--version"]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  assert.equal(help.stderr, "");
});
