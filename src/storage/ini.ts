// The INI dialect of carbon's config files (storage-schemas.conf, storage-aggregation.conf),
// and the `pattern` key every section of both has.

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

/**
 * The section's `pattern` compiled (a regular expression searched anywhere in the metric name,
 * as Python's re.search); `fail` reports a missing or invalid one with its line.
 */
export function sectionPattern(
  section: IniSection,
  fail: (line: number, problem: string) => never,
): RegExp {
  const pattern = section.entries.get("pattern");
  if (pattern === undefined) return fail(section.line, `section [${section.name}] has no pattern`);
  try {
    return new RegExp(pattern.value);
  } catch (error) {
    return fail(pattern.line, `pattern "${pattern.value}" is invalid: ${(error as Error).message}`);
  }
}
