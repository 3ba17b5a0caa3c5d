// The command line: which command to run and with which config file. Flags are spelled as
// go-carbon's (`-config FILE`, `-check-config`, `-config-print-default`, `-version`) and also
// with two dashes and `=`. Everything except starting the daemon is done here.

import { loadConfig } from "./config/load.ts";
import { preflight } from "./config/preflight.ts";
import { defaultConfigToml } from "./config/render.ts";
import { migrateTagged } from "./tags/migrate.ts";
import { TagDb } from "./tags/tag_db.ts";

/** carbonado's version, printed by `--version`. */
export const VERSION = "0.1.0-dev";

/** What the process was asked to do; `run` starts the daemon. */
export type Command =
  | "run"
  | "check-config"
  | "print-default-config"
  | "migrate-tagged"
  | "version"
  | "help";

/** The parsed command line. */
export interface CliArgs {
  command: Command;
  /** The `--config` file, if one was given. */
  configFile?: string;
}

/** Where command output goes; each call gets complete lines. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Boolean flags and the command each selects; several given: the first in this list wins. */
const COMMAND_FLAGS: readonly (readonly [string, Command])[] = [
  ["help", "help"],
  ["h", "help"],
  ["version", "version"],
  ["print-default-config", "print-default-config"],
  ["config-print-default", "print-default-config"], // go-carbon's spelling
  ["check-config", "check-config"],
  ["migrate-tagged", "migrate-tagged"],
];

/** go-carbon flags that have no meaning here, with what to do instead. */
const GO_CARBON_ONLY: Readonly<Record<string, string>> = {
  daemon: "run carbonado under a service manager such as systemd",
  pidfile: "let the service manager track the process",
  "check-policies": "not implemented",
  "print-inconsistent-metrics": "not implemented",
  cat: "carbonado has no cache dump files",
  "print-file-list-cache": "carbonado has no file list cache",
};

/**
 * Parses the arguments after the program name. Accepts `-flag`, `--flag`, `--flag=value` and,
 * for `config`, `-config FILE`; boolean flags also take `=true` or `=false` as Go's flag
 * package does. Pure: reads nothing but `argv`.
 *
 * @example
 * ```ts
 * parseArgs(["-config", "/etc/carbonado.toml", "-check-config"]);
 * // { command: "check-config", configFile: "/etc/carbonado.toml" }
 * ```
 * @throws {TypeError} on an unknown flag, a missing or empty file name, or a positional argument
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  const selected = new Set<Command>();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([^=-][^=]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new TypeError(`Unexpected argument "${arg}": carbonado takes only flags`);
    const [, name, inline] = m;
    if (name === "config") {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new TypeError(`Flag "${arg}" needs a file name`);
      if (value === "") throw new TypeError(`Flag "${arg}" needs a non-empty file name`);
      configFile = value;
      continue;
    }
    const command = COMMAND_FLAGS.find(([flag]) => flag === name)?.[1];
    if (command !== undefined) {
      if (inline === undefined || /^(?:true|1)$/i.test(inline)) selected.add(command);
      else if (!/^(?:false|0)$/i.test(inline)) {
        throw new TypeError(`Flag "-${name}" takes no value, got "${inline}"`);
      }
      continue;
    }
    if (name in GO_CARBON_ONLY) {
      throw new TypeError(
        `Flag "${arg}" is a go-carbon flag carbonado does not support: ${GO_CARBON_ONLY[name]}`,
      );
    }
    throw new TypeError(`Unknown flag "${arg}": see --help`);
  }
  const command = COMMAND_FLAGS.map(([, c]) => c).find((c) => selected.has(c)) ?? "run";
  return configFile === undefined ? { command } : { command, configFile };
}

/** The `--help` text. */
export function usage(): string {
  return `Usage: carbonado [--config FILE] [--check-config | --print-default-config | --version | --help]

A Graphite/Carbon metrics daemon that reads go-carbon's config and speaks its protocols.

Options:
  --config FILE           TOML config in go-carbon's format (without it: built-in defaults)
  --check-config          Check the config as a start does (values, listen addresses, rule
                          files, log files, data directories), print warnings; exit 0 if
                          valid, 1 if not
  --migrate-tagged        Move series stored under literal tagged paths (data-dir/a/b;k=v.wsp)
                          to carbon's _tagged/ files, merging into existing ones; run it with
                          the daemon stopped
  --print-default-config  Print the defaults as a commented config file (go-carbon's
                          -config-print-default also works)
  --version               Print the version
  --help                  Print this help

Flags also work with one dash, as go-carbon spells them (-config FILE), and as --flag=value.
Every config key can be set by an environment variable CARBONADO_<SECTION>_<KEY>, which wins
over the file: CARBONADO_WHISPER_DATA_DIR=/var/lib/carbonado, CARBONADO_TCP_LISTEN=:2003,
CARBONADO_COMMON_METRIC_INTERVAL=30s, CARBONADO_LOGGING_LEVEL=debug.
`;
}

/** The `--version` text. */
export function versionText(): string {
  return `carbonado ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

/**
 * Runs every command except `run`, printing to `out`, and returns the exit code; for `run` it
 * returns `undefined` and the caller starts the daemon.
 *
 * @example
 * ```ts
 * let args: CliArgs;
 * try {
 *   args = parseArgs(Deno.args);
 * } catch (e) {
 *   Deno.stderr.writeSync(new TextEncoder().encode(`${(e as Error).message}\n`));
 *   Deno.exit(2);
 * }
 * const code = await runCommand(args);
 * if (code !== undefined) Deno.exit(code);
 * const { config, warnings } = await loadConfig({ file: args.configFile });
 * ```
 */
export async function runCommand(
  args: CliArgs,
  options: { out?: CliOutput; env?: Record<string, string | undefined> } = {},
): Promise<number | undefined> {
  const out = options.out ?? STD_OUTPUT;
  switch (args.command) {
    case "run":
      return undefined;
    case "help":
      out.stdout(usage());
      return 0;
    case "version":
      out.stdout(versionText());
      return 0;
    case "print-default-config":
      out.stdout(defaultConfigToml());
      return 0;
    case "migrate-tagged": {
      try {
        const { config } = await loadConfig({ file: args.configFile, env: options.env });
        const dataDir = config.whisper.dataDir;
        const r = await migrateTagged(dataDir, { hashFilenames: config.whisper.hashFilenames });
        const tags = new TagDb({ dataDir });
        tags.start();
        for (const name of r.names) tags.fileCreated(name);
        tags.stop();
        out.stdout(
          `tagged files in ${dataDir}: ${r.moved} moved, ${r.merged} merged, ${r.failed} failed\n`,
        );
        return r.failed === 0 ? 0 : 1;
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        out.stderr(`error: ${e.message}\n`);
        return 1;
      }
    }
    case "check-config": {
      const source = args.configFile ?? "built-in defaults";
      try {
        const { config, warnings } = await loadConfig({
          file: args.configFile,
          env: options.env,
        });
        for (const warning of warnings) out.stderr(`warning: ${warning}\n`);
        preflight(config); // what the start checks before binding or writing anything
        out.stdout(`config OK: ${source}\n`);
        return 0;
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        out.stderr(`error: ${e.message}\n`);
        return 1;
      }
    }
  }
}

const encoder = new TextEncoder();

function writeAll(file: typeof Deno.stdout, text: string): void {
  const bytes = encoder.encode(text);
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

const STD_OUTPUT: CliOutput = {
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
};
