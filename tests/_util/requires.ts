// Optional Debian tools the tests use as oracles and peers, and the one way a test that needs
// one skips where it is missing: `Deno.test(requires("prometheus", { name, fn }))`. A skipped test
// prints `SKIPPED "name" (reason)`, which run_all.ts lists again at the end of the run.
// TESTS_HIDE=whisper,graphite-web
// (or `all`) makes tools count as missing, to check what a machine without them runs.

/** A tool some tests need, with the Debian package that provides it. */
export type Tool =
  | "python3"
  | "whisper"
  | "graphite-web"
  | "carbon"
  | "prometheus"
  | "victoria-metrics"
  | "carbon-c-relay"
  | "chromium"
  | "firefox-esr"
  | "node_exporter"
  | "protoc"
  | "openssl";

/** Debian's python, the one that imports Graphite's modules. */
export const PYTHON = "/usr/bin/python3";

/** Where each tool is installed and the package that installs it. */
export const TOOLS: Record<Tool, { path: string; apt: string }> = {
  "python3": { path: PYTHON, apt: "python3" },
  "whisper": { path: "/usr/lib/python3/dist-packages/whisper.py", apt: "python3-whisper" },
  "graphite-web": {
    path: "/usr/lib/python3/dist-packages/graphite/settings.py",
    apt: "graphite-web",
  },
  "carbon": { path: "/usr/bin/carbon-cache", apt: "graphite-carbon" },
  "prometheus": { path: "/usr/bin/prometheus", apt: "prometheus" },
  "victoria-metrics": { path: "/usr/bin/victoria-metrics", apt: "victoria-metrics" },
  "carbon-c-relay": { path: "/usr/bin/carbon-c-relay", apt: "carbon-c-relay" },
  "chromium": { path: "/usr/bin/chromium", apt: "chromium" },
  "firefox-esr": { path: "/usr/bin/firefox-esr", apt: "firefox-esr" },
  "node_exporter": {
    path: "/usr/bin/prometheus-node-exporter",
    apt: "prometheus-node-exporter",
  },
  "protoc": { path: "/usr/bin/protoc", apt: "protobuf-compiler" },
  "openssl": { path: "/usr/bin/openssl", apt: "openssl" },
};

/** Tools a tool cannot work without (Debian's package dependencies). */
const NEEDS: Partial<Record<Tool, Tool[]>> = {
  "whisper": ["python3"],
  "graphite-web": ["whisper"],
  "carbon": ["whisper"],
};

/** Python modules whose import is the real check (a file can be there and still not import). */
const PYTHON_MODULES: Partial<Record<Tool, string>> = {
  "whisper": "whisper",
  "graphite-web": "graphite.settings",
};

const hidden = new Set((Deno.env.get("TESTS_HIDE") ?? "").split(",").map((s) => s.trim()));
const known = new Map<Tool, string | null>();

/** Why `tool` cannot be used here (null when it can). Checked once per process. */
export function missing(tool: Tool): string | null {
  if (!known.has(tool)) known.set(tool, check(tool));
  return known.get(tool)!;
}

function check(tool: Tool): string | null {
  const { path, apt } = TOOLS[tool];
  if (hidden.has(tool) || hidden.has("all")) return `${tool} hidden by TESTS_HIDE`;
  for (const need of NEEDS[tool] ?? []) {
    const reason = missing(need);
    if (reason !== null) return reason;
  }
  try {
    Deno.statSync(path);
  } catch {
    return `${path} not found (apt-get install ${apt})`;
  }
  const module = PYTHON_MODULES[tool];
  if (module === undefined) return null;
  const out = new Deno.Command(PYTHON, {
    args: ["-c", `import ${module}`],
    env: { DJANGO_SETTINGS_MODULE: "graphite.settings" },
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (out.success) return null;
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  return `${PYTHON} -c "import ${module}" fails: ${lines.at(-1)} (apt-get install ${apt})`;
}

/** The test, ignored (with its reason reported) unless every tool in `tools` is here. */
export function requires(
  tools: Tool | readonly Tool[],
  test: Deno.TestDefinition,
): Deno.TestDefinition {
  const reasons = (typeof tools === "string" ? [tools] : tools).map(missing);
  return skipUnless(reasons.find((r) => r !== null) ?? null, test);
}

/** The test, ignored when `reason` is not null (a condition that is not a Debian package). */
export function skipUnless(reason: string | null, test: Deno.TestDefinition): Deno.TestDefinition {
  if (reason === null || test.ignore) return test;
  console.error(`SKIPPED ${JSON.stringify(test.name)} (${reason})`);
  return { ...test, ignore: true };
}
