// Writes batches of series to Whisper files with synchronous file IO (an order of magnitude
// cheaper than async ops here), creating missing files and directories with the matching schema
// and aggregation, and reports per-series results. Runs inside the persister's worker threads
// (whisper_worker.ts).

import { WhisperCorruptionError } from "../whisper/errors.ts";
import { WhisperFile } from "../whisper/whisper_file.ts";
import { metricPath, PathTooLongError } from "../storage/metric_path.ts";
import { parseStorageAggregation, StorageAggregation } from "../storage/storage_aggregation.ts";
import { parseStorageSchemas, StorageSchemas } from "../storage/storage_schemas.ts";
import {
  type BatchResult,
  type InitMessage,
  type RuleFiles,
  STATUS_CREATED,
  STATUS_FAILED,
  STATUS_UPDATED,
  type WriteBatch,
  type WriteError,
  type WriteErrorReason,
} from "./write_batch.ts";

/** What a writer needs: the worker's settings with the rule files parsed. */
export interface WriterSettings extends Omit<InitMessage, "type" | "rules"> {
  schemas: StorageSchemas;
  aggregation: StorageAggregation;
}

/** Directories known to exist, so that a new file's directory is made without a failed call. */
const knownDirs = new Set<string>();
const MAX_KNOWN_DIRS = 1_000_000;

function ensureDir(dir: string): void {
  if (knownDirs.has(dir)) return;
  Deno.mkdirSync(dir, { recursive: true });
  if (knownDirs.size >= MAX_KNOWN_DIRS) knownDirs.clear();
  knownDirs.add(dir);
}

/** Parses the rule files sent to a worker. */
export function parseRules(rules: RuleFiles): Pick<WriterSettings, "schemas" | "aggregation"> {
  return {
    schemas: rules.schemas
      ? parseStorageSchemas(rules.schemas.text, rules.schemas.file)
      : new StorageSchemas([]),
    aggregation: rules.aggregation
      ? parseStorageAggregation(rules.aggregation.text, rules.aggregation.file)
      : new StorageAggregation([]),
  };
}

/** A writer's settings from the persister's init message (a worker's, or the main thread's). */
export function writerSettings(init: InitMessage): WriterSettings {
  const { type: _type, rules, ...rest } = init;
  return { ...rest, ...parseRules(rules) };
}

/** Why a write failed. */
export function reasonOf(err: unknown): WriteErrorReason {
  if (err instanceof WhisperCorruptionError) return "corrupt";
  if (err instanceof PathTooLongError) return "too_long";
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return "permission";
  }
  const code = (err as { code?: string }).code;
  if (code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG") return "no_space";
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") return "permission";
  if (code === "ENAMETOOLONG") return "too_long";
  if (
    code === "ENOTDIR" || code === "EISDIR" ||
    err instanceof Deno.errors.NotADirectory || err instanceof Deno.errors.IsADirectory ||
    err instanceof RangeError
  ) return "bad_path";
  return "io";
}

/**
 * Writes a series' points to its file, creating the file (and its directories) when missing;
 * true when it was created. A `fresh` file is created first and opened only if it turns out to
 * exist: in Deno a failing file call costs several times a succeeding one.
 */
function writeSeries(
  s: WriterSettings,
  name: string,
  path: string,
  fresh: boolean,
  timestamps: Uint32Array,
  values: Float64Array,
): boolean {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const schema = s.schemas.match(name);
  const aggregation = s.aggregation.match(name);
  const options = {
    xFilesFactor: aggregation.xFilesFactor,
    aggregationMethod: aggregation.aggregationMethod,
    sparse: s.sparse,
    lock: s.flock,
    tempDir: s.dataDir, // a short path: cheaper to create in (create.ts)
  };
  const create = () => {
    WhisperFile.createWithPoints(path, schema.retentions, options, timestamps, values);
    return true;
  };
  if (fresh) {
    try {
      ensureDir(dir);
      return create();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) knownDirs.delete(dir);
      else if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
  let file: WhisperFile | undefined;
  try {
    file = WhisperFile.open(path, { write: true, lock: s.flock });
  } catch (err) {
    const empty = err instanceof WhisperCorruptionError && s.removeEmptyFile &&
      Deno.statSync(path).size === 0;
    if (!(err instanceof Deno.errors.NotFound) && !empty) throw err;
    if (empty) Deno.removeSync(path); // go-carbon's remove-empty-file: a crash left it empty
  }
  if (file === undefined) {
    ensureDir(dir);
    return create();
  }
  try {
    file.updateArrays(timestamps, values);
  } finally {
    file.close();
  }
  return false;
}

/** Writes one batch; never throws for a single series' failure. */
export function writeBatch(s: WriterSettings, batch: WriteBatch): BatchResult {
  const n = batch.names.length;
  const status = new Uint8Array(n);
  const errors: WriteError[] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const count = batch.counts[i];
    const name = batch.names[i];
    let path = "";
    try {
      path = metricPath(s.dataDir, name, s.hashFilenames);
      const created = writeSeries(
        s,
        name,
        path,
        batch.fresh[i] === 1,
        batch.timestamps.subarray(off, off + count),
        batch.values.subarray(off, off + count),
      );
      status[i] = created ? STATUS_CREATED : STATUS_UPDATED;
    } catch (err) {
      status[i] = STATUS_FAILED;
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      errors.push({ index: i, reason: reasonOf(err), path, message });
    }
    off += count;
  }
  return { type: "done", id: batch.id, status, errors };
}
