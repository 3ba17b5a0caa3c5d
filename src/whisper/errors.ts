// The one error a caller of the whisper library is expected to catch: a file whose header or
// archive table cannot be trusted (truncated, unknown aggregation type, archives outside the file).

/** Options for {@linkcode WhisperCorruptionError}. */
export interface WhisperCorruptionErrorOptions extends ErrorOptions {
  /** Path of the corrupt file. */
  path: string;
  /** Byte offset in the file where the problem was found. */
  offset: number;
}

/**
 * Thrown when a Whisper file's header is truncated or inconsistent, the counterpart of
 * whisper.py's `CorruptWhisperFile`. The persister catches it to quarantine the file.
 *
 * @example
 * ```ts ignore
 * try {
 *   WhisperFile.open(path).close();
 * } catch (error) {
 *   if (error instanceof WhisperCorruptionError) log.warn("corrupt", { path: error.path });
 *   else throw error;
 * }
 * ```
 */
export class WhisperCorruptionError extends Error {
  /** Path of the corrupt file. */
  readonly path: string;
  /** Byte offset in the file where the problem was found. */
  readonly offset: number;

  /** Builds the message `Cannot read whisper file "<path>" at offset <offset>: <problem>`. */
  constructor(problem: string, options: WhisperCorruptionErrorOptions) {
    super(`Cannot read whisper file "${options.path}" at offset ${options.offset}: ${problem}`, {
      cause: options.cause,
    });
    this.name = "WhisperCorruptionError";
    this.path = options.path;
    this.offset = options.offset;
  }
}
