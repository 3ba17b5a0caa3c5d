// What a start needs from the file system, checked before anything is bound or written, by the
// start itself and by `--check-config` alike: the storage rule files readable and valid, every
// log file and every directory the daemon writes (whisper.data-dir, wal.dir, relay.dir,
// tags.local-dir) writable. Each failure names the key and the path. Nothing is left behind: a
// directory's writability is probed with a file removed at once, a log file is not created.

import { joinPath, resolvePath } from "../storage/path.ts";
import type { Config } from "./config.ts";
import { readRuleFiles } from "../persister/persister.ts";
import type { RuleFiles } from "../persister/write_batch.ts";

/** `logging.file` values that are not files. */
const LOG_STREAMS = new Set(["", "stdout", "stderr", "none"]);

/** What the checks read, for the start to use. */
export interface Preflight {
  rules: RuleFiles;
}

/** Forwarding only: `[relay] enabled` without `local` (no Whisper, no WAL, no tags). */
export function isRelayOnly(config: Config): boolean {
  return config.relay.enabled && !config.relay.local;
}

/**
 * Checks the files and directories `config` needs; returns the rule files read.
 *
 * @throws {Error} naming the key and the path, e.g.
 *   `Invalid whisper.data-dir: "/srv/x" is not a directory` or
 *   `Invalid wal.dir: "/srv/wal" is not writable: Read-only file system (os error 30)`
 */
export function preflight(config: Config): Preflight {
  const rules = readRuleFiles(config.whisper.schemasFile, config.whisper.aggregationFile);
  const local = !isRelayOnly(config);
  const dirs: [string, string, boolean][] = [
    ["whisper.data-dir", config.whisper.dataDir, local && config.whisper.enabled],
    ["wal.dir", config.wal.dir, local && config.wal.enabled],
    ["relay.dir", config.relay.dir, config.relay.enabled],
    ["tags.local-dir", config.tags.localDir, local && config.tags.enabled],
  ];
  for (const [key, dir, used] of dirs) if (used) checkWritableDir(key, dir);
  if (local && config.wal.enabled) checkOutside("wal.dir", config.wal.dir, config.whisper.dataDir);
  if (config.relay.enabled) checkOutside("relay.dir", config.relay.dir, config.whisper.dataDir);
  config.logging.forEach((logger, i) => {
    if (LOG_STREAMS.has(logger.file)) return;
    const key = config.logging.length > 1 ? `logging[${i}].file` : "logging.file";
    checkWritableFile(key, logger.file);
  });
  return { rules };
}

/** Refuses a directory inside the whisper tree, which graphite-web and whisper tools walk. */
function checkOutside(key: string, dir: string, dataDir: string): void {
  const inner = resolvePath(dir);
  const data = resolvePath(dataDir);
  if (inner === data || inner.startsWith(data + "/")) {
    throw new RangeError(
      `Invalid ${key}: "${dir}" is inside whisper.data-dir "${dataDir}"; put it beside`,
    );
  }
}

/** `dir` is a writable directory, or is missing below one that is (the start creates it). */
function checkWritableDir(key: string, dir: string): void {
  let existing = resolvePath(dir);
  for (;;) {
    const info = statOrNull(key, existing);
    if (info !== null) {
      if (!info.isDirectory) {
        const what = existing === resolvePath(dir) ? `"${dir}"` : `"${dir}": "${existing}"`;
        throw new Error(`Invalid ${key}: ${what} is not a directory`);
      }
      break;
    }
    existing = parentDir(existing);
  }
  probe(key, dir, existing);
}

/** `file` can be appended to, or created in a writable directory. */
function checkWritableFile(key: string, file: string): void {
  const info = statOrNull(key, file);
  if (info === null) {
    checkWritableDir(key, parentDir(resolvePath(file)));
    return;
  }
  if (!info.isFile) throw new Error(`Invalid ${key}: "${file}" is not a file`);
  try {
    Deno.openSync(file, { append: true }).close();
  } catch (err) {
    throw new Error(`Invalid ${key}: "${file}" is not writable: ${reason(err)}`, { cause: err });
  }
}

function statOrNull(key: string, path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (err) {
    // below a file: the walk up finds the file and names it
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw new Error(`Invalid ${key}: cannot read "${path}": ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Creates and removes a file in `existing`; the root user passes mode bits, not a read-only mount. */
function probe(key: string, dir: string, existing: string): void {
  const file = joinPath(existing, `.carbonado-probe-${Deno.pid}`);
  try {
    Deno.openSync(file, { write: true, createNew: true }).close();
    Deno.removeSync(file);
  } catch (err) {
    const where = existing === resolvePath(dir) ? `"${dir}"` : `"${dir}" (in "${existing}")`;
    throw new Error(`Invalid ${key}: ${where} is not writable: ${reason(err)}`, { cause: err });
  }
}

/** Deno's message without the call and path it appends (`...: open '/x/y'`). */
function reason(err: unknown): string {
  return (err as Error).message.replace(/: \w+ '.*'$/, "");
}

/** The directory holding `path` (made absolute); `/` for `/` itself. */
function parentDir(path: string): string {
  const abs = resolvePath(path);
  return abs.slice(0, abs.lastIndexOf("/")) || "/";
}
