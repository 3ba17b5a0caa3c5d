// The wasm build, skipped when it is current: `build/` holds both targets and is newer than every
// file under `assembly/` and `asconfig.json`. The `build` task (a dependency of start, test and
// the benches) runs this, so `deno task start --help` answers at once once the wasm is built.
// `--force` rebuilds anyway; the compiler's own output (warnings) shows with `--verbose` or when
// it fails.

import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
/** The compiler, pinned as in deno.json's import map. */
const ASC = "npm:assemblyscript@0.28.20/asc";
/** asconfig.json's targets, each with the file it writes. */
const TARGETS = [
  ["release", "build/carbonado.wasm"],
  ["debug", "build/carbonado.debug.wasm"],
] as const;

/** Newest modification time under `path` (a file or a directory tree), in ms; 0 if absent. */
function newest(path: string): number {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
  let t = info.mtime?.getTime() ?? 0;
  if (info.isDirectory) {
    for (const entry of Deno.readDirSync(path)) t = Math.max(t, newest(join(path, entry.name)));
  }
  return t;
}

/** Oldest modification time of the outputs; 0 when one is missing. */
function oldestOutput(): number {
  let t = Infinity;
  for (const [, file] of TARGETS) {
    try {
      t = Math.min(t, Deno.statSync(join(ROOT, file)).mtime?.getTime() ?? 0);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return 0;
      throw err;
    }
  }
  return t;
}

function isCurrent(): boolean {
  const sources = Math.max(newest(join(ROOT, "assembly")), newest(join(ROOT, "asconfig.json")));
  return oldestOutput() > sources;
}

/** Runs the compiler for one target; its output is shown when it fails or with `--verbose`. */
async function compile(target: string, verbose: boolean): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", ASC, "--config", "asconfig.json", "--target", target],
    cwd: ROOT,
    stdout: verbose ? "inherit" : "piped",
    stderr: verbose ? "inherit" : "piped",
  }).output();
  if (out.success) return;
  if (!verbose) {
    Deno.stderr.writeSync(out.stdout);
    Deno.stderr.writeSync(out.stderr);
  }
  Deno.exit(out.code);
}

if (Deno.args.includes("--force") || !isCurrent()) {
  const started = performance.now();
  Deno.stderr.writeSync(new TextEncoder().encode("building the wasm (assembly/ to build/)\n"));
  for (const [target] of TARGETS) await compile(target, Deno.args.includes("--verbose"));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  Deno.stderr.writeSync(new TextEncoder().encode(`wasm built in ${seconds} s\n`));
}
