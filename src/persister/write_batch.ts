// Messages between the persister (main thread) and its Whisper workers: the settings, the rule
// files, and batches of popped series out and per-series results back.

/** The text of storage-schemas.conf and storage-aggregation.conf; null for carbon's defaults. */
export interface RuleFiles {
  schemas: { file: string; text: string } | null;
  aggregation: { file: string; text: string } | null;
}

/** Sets a worker up; sent once after it starts. */
export interface InitMessage {
  type: "init";
  dataDir: string;
  sparse: boolean;
  flock: boolean;
  removeEmptyFile: boolean;
  hashFilenames: boolean;
  rules: RuleFiles;
}

/** New schemas and aggregation rules (SIGHUP). */
export interface RulesMessage {
  type: "rules";
  rules: RuleFiles;
}

/**
 * Series to write: `names[i]` has `counts[i]` points, stored one series after another in
 * `timestamps` and `values` (each series' points are deduplicated, in order of first arrival).
 * `fresh[i]` is 1 when the name index says the file does not exist yet: the worker creates it
 * straight away instead of first failing to open it.
 */
export interface WriteBatch {
  type: "write";
  id: number;
  names: string[];
  counts: Uint32Array;
  fresh: Uint8Array;
  timestamps: Uint32Array;
  values: Float64Array;
}

export type WorkerMessage = InitMessage | RulesMessage | WriteBatch;

/** Per-series outcome in {@linkcode BatchResult}.status. */
export const STATUS_UPDATED = 0;
export const STATUS_CREATED = 1;
export const STATUS_FAILED = 2;

/** Why a write failed, as counted in `carbonado_whisper_errors_total{reason}`. */
export type WriteErrorReason =
  | "corrupt"
  | "no_space"
  | "permission"
  | "bad_path"
  | "too_long"
  | "io";

/** One failed series of a batch. */
export interface WriteError {
  index: number;
  reason: WriteErrorReason;
  path: string;
  message: string;
}

/** A batch's results: one status per series, and what went wrong for the failed ones. */
export interface BatchResult {
  type: "done";
  id: number;
  status: Uint8Array;
  errors: WriteError[];
}
