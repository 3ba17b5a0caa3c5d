// Runs every Deno test (with the leak sanitizers on) and every as-pect spec, streams their output,
// lists the tests skipped for a missing tool with the reason (tests/_util/requires.ts), and ends
// with the one line CI reads: `tests: N passed, N failed, N skipped`.
// Extra arguments are passed to `deno test` as filters or paths (default: all of tests/).

const DENO_TEST_ARGS = [
  "test",
  "--sanitize-ops",
  "--sanitize-resources",
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

type Tally = { passed: number; failed: number; skipped: number };

/** Runs a command, echoing its output, and returns what it printed (ANSI colours removed). */
async function run(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const decoder = new TextDecoder();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>, out: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      await out.write(chunk);
      text += decoder.decode(chunk, { stream: true });
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  const { code } = await child.status;
  // deno-lint-ignore no-control-regex
  return { code, text: text.replace(/\x1b\[[0-9;]*m/g, "") };
}

/** Reads Deno's final `ok | 5 passed (2 steps) | 0 failed | 1 ignored` line. */
export function parseDenoSummary(text: string, code: number): Tally {
  const m = [
    ...text.matchAll(
      /\|\s*(\d+) passed(?: \(\d+ steps?\))?\s*\|\s*(\d+) failed(?: \(\d+ steps?\))?(?:\s*\|\s*(\d+) ignored)?/g,
    ),
  ].at(-1);
  if (!m) return { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0 };
  const tally = { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) };
  if (code !== 0 && tally.failed === 0) tally.failed = 1; // e.g. a type error after the tests ran
  return tally;
}

/** Reads as-pect's `[Tests]: 7 / 8` summary (as-pect has no skipped tests, only todos). */
export function parseAspectSummary(text: string, code: number): Tally {
  const m = [...text.matchAll(/\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/g)].at(-1);
  if (!m) return { passed: 0, failed: 1, skipped: 0 };
  const tally = { passed: Number(m[1]), failed: Number(m[2]) - Number(m[1]), skipped: 0 };
  if (code !== 0 && tally.failed === 0) tally.failed = 1;
  return tally;
}

/** The `SKIPPED "name" (reason)` lines requires.ts printed, one line per reason, tests under it. */
export function listSkipped(text: string): string[] {
  const byReason = new Map<string, string[]>();
  for (const [, name, reason] of text.matchAll(/^SKIPPED ("(?:[^"\\]|\\.)*") \((.*)\)$/gm)) {
    byReason.set(reason, [...(byReason.get(reason) ?? []), JSON.parse(name)]);
  }
  return [...byReason].flatMap(([reason, names]) => [reason, ...names.map((n) => `    ${n}`)]);
}

if (import.meta.main) {
  const deno = Deno.execPath();
  const paths = Deno.args.length > 0 ? Deno.args : ["tests/"];
  const unit = await run(deno, [...DENO_TEST_ARGS, ...paths]);
  const denoTally = parseDenoSummary(unit.text, unit.code);
  const skipped = listSkipped(unit.text);
  const spec = await run(deno, [
    "run",
    "-A",
    "npm:@as-pect/cli@8.1.0/asp",
    "--config",
    "as-pect.config.js",
  ]);
  const specTally = parseAspectSummary(spec.text, spec.code);
  const passed = denoTally.passed + specTally.passed;
  const failed = denoTally.failed + specTally.failed;
  const skippedCount = denoTally.skipped + specTally.skipped;
  if (skippedCount > 0) {
    console.log(`\nskipped (README "Tests" says which package enables which):`);
    for (const line of skipped) console.log(`  ${line}`);
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skippedCount} skipped`);
  Deno.exit(failed === 0 ? 0 : 1);
}
