// storage-schemas.conf: which retentions a new Whisper file gets, by metric name. Sections in
// file order (or by go-carbon's optional `priority`, highest first), first matching `pattern`
// wins; no match falls back to carbon's default. Also holds the small INI reader shared with
// storage_aggregation.ts.

import {
  type ArchiveSpec,
  checkArchiveList,
  tryParseRetentionDef,
} from "../whisper/archive_list.ts";

/** One `key = value` of an INI section, with its line number (1-based). */
export interface IniEntry {
  /** The value, trimmed, without one pair of surrounding quotes. */
  value: string;
  /** Line of the entry. */
  line: number;
}

/** One `[section]` of an INI file. */
export interface IniSection {
  /** Name between the brackets, trimmed. */
  name: string;
  /** Line of the `[section]` header. */
  line: number;
  /** Entries by lower-cased key (carbon's ConfigParser lower-cases keys). */
  entries: Map<string, IniEntry>;
}

/**
 * Reads the INI dialect of carbon's config files: `[section]` headers, `key = value` or
 * `key: value` lines, `#` and `;` comment lines, keys case-insensitive. A value loses one pair of
 * surrounding quotes, as go-carbon does. A repeated key in a section is an error, as in
 * Python's ConfigParser.
 *
 * @throws {SyntaxError} `Cannot parse <fileName> at line <n>: <problem>`
 */
export function parseIni(text: string, fileName: string): IniSection[] {
  const sections: IniSection[] = [];
  const fail = (line: number, problem: string): never => {
    throw new SyntaxError(`Cannot parse ${fileName} at line ${line}: ${problem}`);
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) fail(lineNumber, `section header "${line}" has no closing bracket`);
      const name = line.slice(1, -1).trim();
      if (name === "") fail(lineNumber, "section name is empty");
      sections.push({ name, line: lineNumber, entries: new Map() });
      continue;
    }
    const section = sections.at(-1);
    if (section === undefined) fail(lineNumber, `"${line}" is outside any [section]`);
    const equals = line.indexOf("=");
    const colon = line.indexOf(":");
    const at = equals < 0 ? colon : colon < 0 ? equals : Math.min(equals, colon);
    if (at < 0) fail(lineNumber, `expected key = value, found "${line}"`);
    const key = line.slice(0, at).trim().toLowerCase();
    if (key === "") fail(lineNumber, "key is empty");
    let value = line.slice(at + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
      value = value.slice(1, -1);
    }
    const previous = section!.entries.get(key);
    if (previous !== undefined) {
      fail(
        lineNumber,
        `key "${key}" repeats in section [${section!.name}] (first at line ${previous.line})`,
      );
    }
    section!.entries.set(key, { value, line: lineNumber });
  }
  return sections;
}

/** The schema a metric gets: the section name and its archives, sorted by precision. */
export interface SchemaMatch {
  /** Section name, or "default" for carbon's fallback. */
  name: string;
  /** Archives to create, highest precision first. */
  retentions: ArchiveSpec[];
}

/** One parsed section of storage-schemas.conf. */
export interface StorageSchema extends SchemaMatch {
  /** The `pattern`, searched anywhere in the metric name (Python's re.search). */
  pattern: RegExp;
  /** go-carbon's `priority` (default 0): higher is tried first. */
  priority: number;
  /** Line of the section header. */
  line: number;
}

/**
 * Carbon's schema for metrics no section matches, and for a daemon without a schemas file:
 * one archive of 1-minute points for 7 days (`60s:7d`), `defaultSchema` in carbon's storage.py.
 * (whisper has no default of its own; go-carbon requires the file.)
 */
export const DEFAULT_SCHEMA: SchemaMatch = Object.freeze({
  name: "default",
  retentions: [{ secondsPerPoint: 60, points: 10080 }],
});

/** Parsed storage-schemas.conf: sections in match order. */
export class StorageSchemas {
  /** Sections in the order they are tried. */
  readonly schemas: readonly StorageSchema[];

  /** Sections are sorted by priority, highest first, ties in file order. */
  constructor(schemas: StorageSchema[]) {
    this.schemas = schemas.map((s, i) => ({ s, i }))
      .sort((a, b) => b.s.priority - a.s.priority || a.i - b.i)
      .map(({ s }) => s);
  }

  /** Returns the first schema whose pattern matches `metricName`, or {@linkcode DEFAULT_SCHEMA}. */
  match(metricName: string): SchemaMatch {
    for (const schema of this.schemas) {
      if (schema.pattern.test(metricName)) return schema;
    }
    return DEFAULT_SCHEMA;
  }
}

const INTEGER = /^[+-]?[0-9]+$/;

/**
 * Parses storage-schemas.conf. Each section needs `pattern` and `retentions`
 * (`10s:6h,1m:7d,10m:5y` or legacy `60:1440`, units as whisper accepts them); `priority` is
 * optional. The retentions must pass whisper's archive-list rules.
 *
 * @example
 * ```ts
 * import { parseStorageSchemas } from "./storage_schemas.ts";
 * const schemas = parseStorageSchemas("[carbon]\npattern = ^carbon\\.\nretentions = 60:90d\n", "storage-schemas.conf");
 * schemas.match("carbon.agents.a.cpu").retentions; // [{ secondsPerPoint: 60, points: 129600 }]
 * ```
 * @throws {SyntaxError} `Cannot parse <fileName> at line 4: retention "1x:1d": unknown unit "x"`
 */
export function parseStorageSchemas(text: string, fileName: string): StorageSchemas {
  const fail = (line: number, problem: string): never => {
    throw new SyntaxError(`Cannot parse ${fileName} at line ${line}: ${problem}`);
  };
  const schemas: StorageSchema[] = [];
  for (const section of parseIni(text, fileName)) {
    const pattern = section.entries.get("pattern");
    const retentions = section.entries.get("retentions");
    if (pattern === undefined) fail(section.line, `section [${section.name}] has no pattern`);
    if (retentions === undefined) fail(section.line, `section [${section.name}] has no retentions`);
    let regex: RegExp;
    try {
      regex = new RegExp(pattern!.value);
    } catch (error) {
      return fail(
        pattern!.line,
        `pattern "${pattern!.value}" is invalid: ${(error as Error).message}`,
      );
    }
    const archives: ArchiveSpec[] = [];
    for (const definition of retentions!.value.split(",")) {
      const parsed = tryParseRetentionDef(definition);
      if (typeof parsed === "string") fail(retentions!.line, parsed);
      archives.push(parsed as ArchiveSpec);
    }
    const checked = checkArchiveList(archives);
    if ("problem" in checked) {
      fail(retentions!.line, `retentions "${retentions!.value}": ${checked.problem}`);
    }
    let priority = 0;
    const priorityEntry = section.entries.get("priority");
    if (priorityEntry !== undefined) {
      if (!INTEGER.test(priorityEntry.value)) {
        fail(priorityEntry.line, `priority "${priorityEntry.value}" is not an integer`);
      }
      priority = Number(priorityEntry.value);
    }
    schemas.push({
      name: section.name,
      pattern: regex,
      retentions: (checked as { archives: ArchiveSpec[] }).archives,
      priority,
      line: section.line,
    });
  }
  return new StorageSchemas(schemas);
}
