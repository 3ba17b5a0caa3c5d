// Structured logging: one JSON object per line, `{ts, level, logger, msg, ...fields}`.
// Quiet by default (level "info"); the only module allowed to write to the console.

/** Log levels, lowest first. */
export const LEVELS = ["debug", "info", "warn", "error"] as const;
/** A log level name. */
export type Level = typeof LEVELS[number];

/** Where log lines go: a writer taking one complete line. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();
const stdoutSink: LogSink = (line) => Deno.stdout.writeSync(encoder.encode(line + "\n"));

const settings: { level: number; sink: LogSink } = { level: 1, sink: stdoutSink };

/** Sets the minimum level and the destination of every logger. */
export function configureLogging(opts: { level?: Level; sink?: LogSink }): void {
  if (opts.level !== undefined) settings.level = LEVELS.indexOf(opts.level);
  if (opts.sink !== undefined) settings.sink = opts.sink;
}

/** A named logger; fields are merged into the JSON line. */
export class Logger {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** True when lines of this level are written (to skip building costly fields). */
  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= settings.level;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#write(0, msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.#write(1, msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#write(2, msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.#write(3, msg, fields);
  }

  #write(level: number, msg: string, fields?: Record<string, unknown>): void {
    if (level < settings.level) return;
    const line = JSON.stringify({
      ts: new Date().toISOString(),
      level: LEVELS[level],
      logger: this.name,
      msg,
      ...fields,
    }, errorReplacer);
    settings.sink(line);
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

/**
 * Lets at most `burst` messages through per `intervalMs`, and reports how many it suppressed
 * (go-carbon and VictoriaMetrics rate-limit per-line error logs the same way).
 */
export class RateLimiter {
  #burst: number;
  #intervalMs: number;
  #windowStart = 0;
  #count = 0;
  #suppressed = 0;

  constructor(burst: number, intervalMs: number) {
    this.#burst = burst;
    this.#intervalMs = intervalMs;
  }

  /** Returns -1 to suppress, else the number suppressed since the last allowed message. */
  allow(now = Date.now()): number {
    if (now - this.#windowStart >= this.#intervalMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    if (this.#count >= this.#burst) {
      this.#suppressed++;
      return -1;
    }
    this.#count++;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}
