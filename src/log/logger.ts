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

interface Route {
  level: number;
  sink: LogSink;
}

const settings: { all: Route; byName: Map<string, Route>; files: Deno.FsFile[] } = {
  all: { level: 1, sink: stdoutSink },
  byName: new Map(),
  files: [],
};

/** Sets the minimum level and the destination of every logger. */
export function configureLogging(opts: { level?: Level; sink?: LogSink }): void {
  if (opts.level !== undefined) settings.all.level = LEVELS.indexOf(opts.level);
  if (opts.sink !== undefined) settings.all.sink = opts.sink;
}

/** One `[[logging]]` entry: `logger` "" sets every logger, a name sets that logger only. */
export interface LogRoute {
  logger: string;
  /** "stdout", "stderr", "none", or a file to append to. */
  file: string;
  level: Level;
}

/**
 * Applies go-carbon's `[[logging]]` entries; opens log files for appending.
 *
 * @throws {Error} naming `logging.file` when a log file cannot be opened
 */
export function configureLoggers(routes: readonly LogRoute[]): void {
  for (const file of settings.files.splice(0)) file.close();
  settings.byName.clear();
  settings.all = { level: 1, sink: stdoutSink };
  for (const r of routes) {
    const route = { level: LEVELS.indexOf(r.level), sink: sinkFor(r.file) };
    if (r.logger === "") settings.all = route;
    else settings.byName.set(r.logger, route);
  }
}

/** A sink writing to stdout, stderr, nowhere, or appending to a file (kept until reconfigured). */
function sinkFor(file: string): LogSink {
  if (file === "stdout" || file === "") return stdoutSink;
  if (file === "stderr") return (line) => Deno.stderr.writeSync(encoder.encode(line + "\n"));
  if (file === "none") return () => {};
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(file, { append: true, create: true });
  } catch (err) {
    const Class = (err as Error).constructor as ErrorConstructor;
    throw new Class(`Cannot open logging.file "${file}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  settings.files.push(handle);
  return (line) => {
    const bytes = encoder.encode(line + "\n");
    for (let off = 0; off < bytes.length;) off += handle.writeSync(bytes.subarray(off));
  };
}

function routeOf(name: string): Route {
  return settings.byName.get(name) ?? settings.all;
}

/** A named logger; fields are merged into the JSON line. */
export class Logger {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** True when lines of this level are written (to skip building costly fields). */
  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= routeOf(this.name).level;
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
    const route = routeOf(this.name);
    if (level < route.level) return;
    const line = JSON.stringify({
      ts: new Date().toISOString(),
      level: LEVELS[level],
      logger: this.name,
      msg,
      ...fields,
    }, errorReplacer);
    route.sink(line);
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
