// storage-schemas.conf: which retentions a new Whisper file gets, by metric name. Sections in
// file order (or by go-carbon's optional `priority`, highest first), first matching `pattern`
// wins; no match falls back to carbon's default.

import {
  type ArchiveSpec,
  checkArchiveList,
  tryParseRetentionDef,
} from "../whisper/archive_list.ts";
import { parseIni, sectionPattern } from "./ini.ts";

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
    const retentions = section.entries.get("retentions");
    const regex = sectionPattern(section, fail);
    if (retentions === undefined) fail(section.line, `section [${section.name}] has no retentions`);
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
