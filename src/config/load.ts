// Reads the config: defaults, then a go-carbon style TOML file, then `CARBONADO_*` environment
// variables, each overriding the one before. Every value is checked against the key table in
// schema.ts; a bad value stops the start with a message naming the file (or variable), the key
// and what was expected. go-carbon keys carbonado lacks, and unknown keys, give warnings.

import { parse, TomlError } from "smol-toml";
import { type Config, defaultConfig, type LoggingConfig, parseListen } from "./config.ts";
import { formatDuration, parseDuration } from "./duration.ts";
import {
  checkRemoteWrite,
  defaultRemoteWrite,
  findRemoteWriteEnv,
  findRemoteWriteKey,
  REMOTE_WRITE_ENV,
  REMOTE_WRITE_SECTION,
  type RemoteWriteConfig,
} from "./remote_write.ts";
import { findEnv, findKey, findSection, type KeySpec, SCHEMA, SECTIONS } from "./schema.ts";
import { closest } from "./suggest.ts";
import { parseDestinations } from "../relay/destinations.ts";

/** Where `loadConfig` reads from. */
export interface LoadOptions {
  /** Path of the TOML file; without it only defaults and the environment apply. */
  file?: string;
  /**
   * Environment variables; only names starting with `CARBONADO_` are read. Defaults to
   * `Deno.env.toObject()` (needs `--allow-env`); pass `{}` to ignore the environment.
   */
  env?: Record<string, string | undefined>;
}

/** The loaded settings and what the caller should log at `warn`. */
export interface LoadResult {
  config: Config;
  /** One line per kind of problem: unimplemented keys, deprecated keys, unknown keys, unknown variables. */
  warnings: string[];
}

/** The prefix of every environment variable carbonado reads. */
export const ENV_PREFIX = "CARBONADO_";

/**
 * Loads the config from `file` (if given) and the environment, over the defaults.
 *
 * @example
 * ```ts
 * const { config, warnings } = await loadConfig({ file: "/etc/carbonado.toml" });
 * for (const w of warnings) log.warn(w);
 * ```
 * @throws {SyntaxError} when the file is not valid TOML (the message names the file and line)
 * @throws {TypeError} when a value has the wrong type, e.g.
 *   `Invalid config /etc/carbonado.toml: whisper.workers = "x" is not an integer`
 * @throws {RangeError} when a value is out of range or not an allowed choice, e.g.
 *   `Invalid config /etc/carbonado.toml: cache.write-strategy = "fast": expected one of max, sorted, noop`
 */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadResult> {
  let text: string | undefined;
  if (options.file !== undefined) {
    try {
      text = await Deno.readTextFile(options.file);
    } catch (e) {
      if (!(e instanceof Error)) throw e;
      const Class = e.constructor as ErrorConstructor;
      throw new Class(`Cannot read config ${options.file}: ${e.message}`, { cause: e });
    }
  }
  return parseConfig(text ?? "", options);
}

/**
 * `loadConfig` on TOML text already in memory; `file` only names the source in messages.
 * Synchronous and free of I/O apart from reading `Deno.env` when `env` is not given.
 */
export function parseConfig(text: string, options: LoadOptions = {}): LoadResult {
  const loader = new Loader(options.file);
  loader.readToml(text);
  loader.readEnv(options.env ?? Deno.env.toObject());
  loader.checkListeners();
  loader.checkRelay();
  loader.checkRemoteWrite();
  return { config: loader.config, warnings: loader.warnings() };
}

/**
 * go-carbon rewrites a `[logging]` line to `[[logging]]` before decoding, so old configs with a
 * single table keep working (carbon/config.go ReadConfig). Same here, also at the start of the
 * file, with CRLF, or with a trailing comment; line numbers are unchanged.
 */
function rewriteLogging(text: string): string {
  return text.replace(
    /(^|\n)([ \t]*)\[logging\]([ \t]*(?:#[^\r\n]*)?)(?=\r?\n|$)/g,
    "$1$2[[logging]]$3",
  );
}

/** A value rejected by `coerce`: the text after `key = value`, and the error class to throw. */
class Rejected {
  constructor(readonly reason: string, readonly Class: ErrorConstructor) {}
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

class Loader {
  readonly config: Config = defaultConfig();
  readonly #file: string | undefined;
  /** Unimplemented keys set, by how the warning names them, with their values. */
  readonly #unimplemented = new Map<string, { spec: KeySpec; value: unknown }>();
  /** The values of unimplemented keys without a field (`grpc.enabled`), by key name. */
  readonly #ignoredValues = new Map<string, unknown>();
  readonly #deprecated = new Set<string>();
  /** Deprecated aliases read, applied after the file (or environment) unless it set the key. */
  #aliases: [KeySpec, unknown][] = [];
  /** Keys the file (or environment) set by their own name. */
  readonly #explicit = new Set<string>();
  readonly #unknown = new Set<string>();
  readonly #unknownEnv = new Set<string>();

  constructor(file: string | undefined) {
    this.#file = file;
  }

  readToml(text: string): void {
    let doc: Table;
    try {
      doc = parse(rewriteLogging(text), { integersAsBigInt: true });
    } catch (e) {
      if (!(e instanceof TomlError)) throw e;
      const reason = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      throw new SyntaxError(
        `Cannot parse config ${this.#file ?? "text"} at line ${e.line}: ${reason}`,
        { cause: e },
      );
    }
    const legacy: Partial<LoggingConfig> = {};
    this.#walk(doc, "", legacy);
    this.#applyLegacyLogging(legacy);
    this.#applyAliases();
  }

  readEnv(env: Record<string, string | undefined>): void {
    const names = Object.keys(env)
      .filter((n) => n.startsWith(ENV_PREFIX) && env[n] !== undefined)
      .sort();
    const legacy: Partial<LoggingConfig> = {};
    const later: [KeySpec, string, string][] = [];
    const remote: [number, KeySpec, string, string][] = [];
    for (const name of names) {
      const raw = env[name]!;
      const listed = REMOTE_WRITE_ENV.exec(name);
      const entrySpec = listed ? findRemoteWriteEnv(listed[2]) : undefined;
      if (listed && entrySpec) {
        remote.push([Number(listed[1]), entrySpec, name, raw]);
        continue;
      }
      const spec = findEnv(name);
      if (spec === undefined) {
        this.#unknownEnv.add(name);
      } else if (spec.deprecatedFor !== undefined) {
        this.#deprecated.add(`${spec.name} (${name}; use ${spec.deprecatedFor})`);
        const value = this.#coerceEnv(spec, name, raw);
        if (spec.aliasOf !== undefined) this.#aliases.push([spec, value]);
        else if (spec.field !== undefined) later.push([spec, name, raw]);
        else this.#setLegacy(legacy, spec, value);
      } else if (spec.field !== undefined) {
        if (!spec.implemented) {
          this.#ignore(`${spec.name} (${name})`, spec, coerce(spec, raw, true));
        }
        later.push([spec, name, raw]);
      } else {
        this.#ignore(`${spec.name} (${name})`, spec, coerce(spec, raw, true));
      }
    }
    // The deprecated keys replace [[logging]] first, so CARBONADO_LOGGING_* can refine it.
    this.#applyLegacyLogging(legacy);
    this.#explicit.clear(); // the environment's own keys win over its aliases, not the file's
    for (const [spec, name, raw] of later) {
      const target = spec.section === "logging" ? this.config.logging[0] : this.#section(spec);
      (target as unknown as Table)[spec.field!] = this.#coerceEnv(spec, name, raw);
      this.#explicit.add(spec.name);
    }
    this.#applyAliases();
    // CARBONADO_REMOTE_WRITE_<N>_<KEY> sets entry N; an N past the file's entries adds entries
    const entries = this.config.remoteWrite;
    for (const [index, spec, name, raw] of remote) {
      while (entries.length <= index) entries.push(defaultRemoteWrite());
      (entries[index] as unknown as Table)[spec.field!] = this.#coerceEnv(spec, name, raw);
    }
  }

  /** Checks each [[remote-write]] entry as a whole; remote_write reads the log, so it must be on. */
  checkRemoteWrite(): void {
    const entries = this.config.remoteWrite;
    checkRemoteWrite(
      entries,
      (i, key) => `${this.#prefix()}: ${REMOTE_WRITE_SECTION}[${i}].${key}`,
    );
    if (entries.length > 0 && !this.config.wal.enabled) {
      throw new RangeError(
        `${this.#prefix()}: [[remote-write]] reads the write-ahead log: set wal.enabled = true`,
      );
    }
  }

  /** Two enabled TCP listeners on one port would fail at bind; say which keys collide now. */
  checkListeners(): void {
    const c = this.config;
    const listeners = [
      ["tcp", c.tcp],
      ["pickle", c.pickle],
      ["influx", c.influx],
      ["opentsdb", c.opentsdb],
      ["http-ingest", c["http-ingest"]],
      ["carbonlink", c.carbonlink],
      ["carbonserver", c.carbonserver],
      ["prometheus", c.prometheus],
    ] as const;
    const seen: { name: string; listen: string; hostname: string; port: number }[] = [];
    for (const [section, { listen, enabled }] of listeners) {
      if (!enabled) continue;
      const { hostname, port } = parseListen(listen, `${section}.listen`);
      if (port === 0) continue;
      const wild = (h: string) => h === "0.0.0.0" || h === "::";
      const clash = seen.find((s) =>
        s.port === port && (s.hostname === hostname || wild(s.hostname) || wild(hostname))
      );
      const name = `${section}.listen`;
      if (clash) {
        throw new RangeError(
          `${this.#prefix()}: ${clash.name} = "${clash.listen}" and ${name} = "${listen}" ` +
            "use the same TCP port",
        );
      }
      seen.push({ name, listen, hostname, port });
    }
  }

  /** With `[relay] enabled`: every member readable, the replication no more than the members. */
  checkRelay(): void {
    const r = this.config.relay;
    if (!r.enabled) return;
    let members: number;
    try {
      members = parseDestinations(r.destinations, "relay.destinations").length;
    } catch (err) {
      throw new RangeError(`${this.#prefix()}: ${(err as Error).message}`);
    }
    if (r.replication > members) {
      throw new RangeError(
        `${this.#prefix()}: relay.replication = ${r.replication} is more than the ${members} ` +
          "relay.destinations",
      );
    }
  }

  /**
   * One line per kind of problem. Ignored go-carbon keys come in two lines: those whose feature
   * the config turns on (carbonado will not do what it asks), and those it leaves off (harmless).
   */
  warnings(): string[] {
    const lines: string[] = [];
    const add = (label: string, names: Iterable<string>) => {
      const list = [...names];
      if (list.length > 0) lines.push(`${label}: ${list.join(", ")}`);
    };
    const on: string[] = [];
    const off: string[] = [];
    for (const [label, { spec, value }] of this.#unimplemented) {
      (this.#turnsOn(spec, value) ? on : off).push(label);
    }
    add("unimplemented config keys ignored, their features turned on here", on);
    add("unimplemented config keys ignored, their features left off", off);
    add("deprecated config keys", this.#deprecated);
    add("unknown config keys ignored", [...this.#unknown].map((n) => suggest(n, KEY_NAMES)));
    add(
      "unknown CARBONADO_* environment variables ignored",
      [...this.#unknownEnv].map((n) => suggest(n, ENV_NAMES)),
    );
    return lines;
  }

  #ignore(label: string, spec: KeySpec, value: unknown): void {
    this.#unimplemented.set(label, { spec, value });
    if (spec.field === undefined) this.#ignoredValues.set(spec.name, value);
  }

  /** Whether an ignored key asks for something: a set value in a section that is enabled. */
  #turnsOn(spec: KeySpec, value: unknown): boolean {
    const enabled = findKey(spec.section, "enabled");
    if (enabled !== undefined && enabled !== spec) {
      const on = enabled.field !== undefined
        ? this.#section(enabled)[enabled.field]
        : this.#ignoredValues.get(enabled.name) ?? enabled.default;
      if (on !== true) return false;
    }
    return isSet(value);
  }

  /** Deprecated aliases set their key, unless it was set by its own name. */
  #applyAliases(): void {
    for (const [alias, value] of this.#aliases) {
      const target = findKey("", alias.aliasOf!)!;
      if (!this.#explicit.has(target.name)) this.#section(target)[target.field!] = value;
    }
    this.#aliases = [];
  }

  #prefix(): string {
    return this.#file === undefined ? "Invalid config" : `Invalid config ${this.#file}`;
  }

  #section(spec: KeySpec): Table {
    return (this.config as unknown as Record<string, Table>)[spec.section];
  }

  #walk(table: Table, section: string, legacy: Partial<LoggingConfig>): void {
    for (const [key, value] of Object.entries(table)) {
      const spec = findKey(section, key);
      const name = section === "" ? key : `${section}.${key}`;
      if (spec !== undefined) {
        this.#readKey(spec, value, legacy);
        continue;
      }
      const sub = findSection(name);
      if (sub === "logging") {
        this.#readLoggers(value);
      } else if (sub !== undefined && isTable(value)) {
        this.#walk(value, sub, legacy);
      } else if (sub !== undefined) {
        throw new TypeError(
          `${this.#prefix()}: ${sub} = ${show(value)}: expected a table [${sub}]`,
        );
      } else {
        this.#unknown.add(name);
      }
    }
  }

  #readKey(spec: KeySpec, value: unknown, legacy: Partial<LoggingConfig>): void {
    if (spec.kind === "section-list") {
      this.#readRemoteWrite(value);
    } else if (spec.kind === "tables" && isTable(value) && Object.keys(value).length > 0) {
      for (const [sub, v] of Object.entries(value)) this.#ignore(`${spec.name}.${sub}`, spec, v);
    } else if (spec.deprecatedFor !== undefined) {
      this.#deprecated.add(`${spec.name} (use ${spec.deprecatedFor})`);
      const coerced = this.#coerceFile(spec, spec.name, value);
      if (spec.aliasOf !== undefined) this.#aliases.push([spec, coerced]);
      else if (spec.field !== undefined) this.#section(spec)[spec.field] = coerced;
      else this.#setLegacy(legacy, spec, coerced);
    } else if (spec.field !== undefined) {
      const coerced = this.#coerceFile(spec, spec.name, value);
      if (!spec.implemented) this.#ignore(spec.name, spec, coerced);
      this.#section(spec)[spec.field] = coerced;
      this.#explicit.add(spec.name);
    } else {
      this.#ignore(spec.name, spec, value);
    }
  }

  /** `[[logging]]`: an array of tables, or one table (a `[logging]` the rewrite did not catch). */
  #readLoggers(value: unknown): void {
    const entries = isTable(value) ? [value] : value;
    if (!Array.isArray(entries) || !entries.every(isTable)) {
      throw new TypeError(
        `${this.#prefix()}: logging = ${show(value)}: expected [[logging]] tables`,
      );
    }
    if (entries.length === 0) return; // go-carbon falls back to the default logger too
    this.config.logging = entries.map((entry, i) => {
      const logger = { ...defaultConfig().logging[0] } as unknown as Table;
      for (const [key, v] of Object.entries(entry)) {
        const spec = findKey("logging", key);
        if (spec === undefined) {
          this.#unknown.add(`logging.${key}`);
        } else if (spec.field === undefined) {
          this.#ignore(spec.name, spec, v);
        } else {
          const where = entries.length > 1 ? `logging[${i}].${spec.key}` : spec.name;
          logger[spec.field] = this.#coerceFile(spec, where, v);
        }
      }
      return logger as unknown as LoggingConfig;
    });
  }

  /** `[[remote-write]]`: an array of tables (or one `[remote-write]` table), each one remote. */
  #readRemoteWrite(value: unknown): void {
    const entries = isTable(value) ? [value] : value;
    if (!Array.isArray(entries) || !entries.every(isTable)) {
      throw new TypeError(
        `${this.#prefix()}: ${REMOTE_WRITE_SECTION} = ${show(value)}: ` +
          `expected [[${REMOTE_WRITE_SECTION}]] tables`,
      );
    }
    this.config.remoteWrite = entries.map((entry, i) => {
      const out = defaultRemoteWrite() as unknown as Table;
      for (const [key, v] of Object.entries(entry)) {
        const spec = findRemoteWriteKey(key);
        if (spec === undefined) {
          this.#unknown.add(`${REMOTE_WRITE_SECTION}.${key}`);
        } else {
          out[spec.field!] = this.#coerceFile(spec, `${REMOTE_WRITE_SECTION}[${i}].${spec.key}`, v);
        }
      }
      return out as unknown as RemoteWriteConfig;
    });
  }

  #setLegacy(legacy: Partial<LoggingConfig>, spec: KeySpec, value: unknown): void {
    if (spec.key === "logfile") legacy.file = value as string;
    else legacy.level = value as LoggingConfig["level"];
  }

  /** As go-carbon: either deprecated key replaces every logger with one default logger. */
  #applyLegacyLogging(legacy: Partial<LoggingConfig>): void {
    if (legacy.file === undefined && legacy.level === undefined) return;
    this.config.logging = [{ ...defaultConfig().logging[0], ...legacy }];
  }

  #coerceFile(spec: KeySpec, name: string, value: unknown): unknown {
    const result = coerce(spec, value, false);
    if (result instanceof Rejected) {
      throw new result.Class(`${this.#prefix()}: ${name} = ${show(value)}${result.reason}`);
    }
    return result;
  }

  #coerceEnv(spec: KeySpec, name: string, raw: string): unknown {
    const result = coerce(spec, raw, true);
    if (result instanceof Rejected) {
      throw new result.Class(
        `Invalid config from environment: ${name} = ${JSON.stringify(raw)}${result.reason}`,
      );
    }
    return result;
  }
}

/** Every key and section name, and every environment variable, for "did you mean". */
const KEY_NAMES = [...SCHEMA.map((s) => s.name), ...SECTIONS];
const ENV_NAMES = SCHEMA.map((s) => s.env).filter((e) => e !== "");

/** `name`, with the closest known name when one is close. */
function suggest(name: string, known: readonly string[]): string {
  const near = closest(name, known);
  return near === undefined ? name : `${name} (did you mean ${near}?)`;
}

/** A value that asks for something: true, non-zero, non-empty; a rejected one counts as set. */
function isSet(value: unknown): boolean {
  if (value instanceof Rejected) return true;
  if (typeof value === "bigint") return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (isTable(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** A value as a user would recognise it from the file. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString(); // a TomlDate prints as written
  if (typeof value !== "object" || value === null) return String(value);
  const text = JSON.stringify(value, (_k, v) => typeof v === "bigint" ? Number(v) : v);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

const INT_TEXT = /^[+-]?\d+$/;
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Turns a TOML value (or, with `fromEnv`, an environment string) into the typed value of `spec`,
 * or says what is wrong with it.
 */
function coerce(spec: KeySpec, value: unknown, fromEnv: boolean): unknown {
  const typeError = (reason: string) => new Rejected(reason, TypeError);
  const rangeError = (reason: string) => new Rejected(reason, RangeError);
  switch (spec.kind) {
    case "bool": {
      if (typeof value === "boolean") return value;
      if (fromEnv && typeof value === "string") {
        const lower = value.toLowerCase();
        if (lower === "true" || lower === "1") return true;
        if (lower === "false" || lower === "0") return false;
        return typeError(" is not a boolean: expected true, false, 1 or 0");
      }
      return typeError(" is not a boolean");
    }
    case "int":
    case "size": {
      let n: number | undefined;
      if (typeof value === "bigint") n = Number(value);
      else if (fromEnv && typeof value === "string" && INT_TEXT.test(value)) n = Number(value);
      if (n === undefined) return typeError(" is not an integer");
      if (!Number.isSafeInteger(n)) return rangeError(" is too large");
      return checkRange(spec, n) ?? n;
    }
    case "float": {
      let n: number | undefined;
      if (typeof value === "bigint" || typeof value === "number") n = Number(value);
      else if (fromEnv && typeof value === "string" && FLOAT_TEXT.test(value)) n = Number(value);
      if (n === undefined || !Number.isFinite(n)) return typeError(" is not a number");
      return checkRange(spec, n) ?? n;
    }
    case "duration": {
      if (typeof value !== "string") return typeError(' is not a duration string like "1m0s"');
      let ms: number;
      try {
        ms = parseDuration(value);
      } catch (e) {
        const why = (e as Error).message.replace(/^Invalid duration "[^"]*"(: )?/, "");
        return typeError(` is not a duration${why ? `: ${why}` : ""}`);
      }
      return checkRange(spec, ms) ?? ms;
    }
    case "string-list": {
      // from the environment: a TOML array (`["a.{b,c}", "d"]`), or words split at commas and
      // spaces (`a:2003,b:2003`)
      const list = fromEnv && typeof value === "string"
        ? (value.trimStart().startsWith("[")
          ? tomlValue(value)
          : value.split(/[\s,]+/).filter(Boolean))
        : value;
      if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) {
        return typeError(' is not a list of strings like ["a.*", "b"]');
      }
      return list;
    }
    case "table": {
      const table = fromEnv ? tomlValue(value) : value;
      if (!isTable(table) || !Object.values(table).every((x) => typeof x === "string")) {
        return typeError(' is not a table of strings like { "X-Scope-OrgID" = "t1" }');
      }
      return { ...table };
    }
    case "table-list": {
      const list = fromEnv ? tomlValue(value) : value;
      if (!Array.isArray(list) || !list.every(isTable)) {
        return typeError(' is not a list of tables like [{ match = "a.*", name = "a" }]');
      }
      return structuredClone(list);
    }
    default:
      if (typeof value !== "string") return typeError(" is not a string");
      return checkString(spec, value);
  }
}

/** An environment value holding a TOML value (a list or an inline table), or undefined. */
function tomlValue(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return parse(`v = ${text}`).v;
  } catch {
    return undefined;
  }
}

function checkRange(spec: KeySpec, n: number): Rejected | undefined {
  if (spec.max !== undefined && n > spec.max) {
    return new Rejected(`: expected at most ${spec.max}`, RangeError);
  }
  const least = spec.min ?? (spec.kind === "size" ? 0 : undefined);
  if (least === undefined || n >= least) return undefined;
  const min = spec.kind === "duration" ? formatDuration(least) : String(least);
  return new Rejected(`: expected at least ${min}`, RangeError);
}

function checkString(spec: KeySpec, value: string): unknown {
  const reject = (reason: string) => new Rejected(`: ${reason}`, RangeError);
  switch (spec.kind) {
    case "enum":
      return spec.values!.includes(value)
        ? value
        : reject(`expected one of ${spec.values!.map((v) => v === "" ? '""' : v).join(", ")}`);
    case "path":
      return value === "" ? reject("expected a non-empty path") : value;
    case "url-path":
      return value.startsWith("/") ? value : reject('expected an HTTP path starting with "/"');
    case "url":
      return /^https?:\/\/[^/]/.test(value) && URL.canParse(value)
        ? value
        : reject("expected an http:// or https:// URL");
    case "listen":
      return isListen(value)
        ? value
        : reject('expected a host:port listen address like ":2003" or "127.0.0.1:2003"');
    case "endpoint": {
      if (value === "" || value === "local") return "local";
      const m = /^(?:tcp|udp):\/\/(.+)$/.exec(value);
      return m && isListen(m[1]) && parseListen(m[1], spec.name).port !== 0
        ? value
        : reject('expected "local", "tcp://host:port" or "udp://host:port"');
    }
    default:
      return value;
  }
}

function isListen(value: string): boolean {
  try {
    parseListen(value, "listen");
    return true;
  } catch {
    return false;
  }
}
