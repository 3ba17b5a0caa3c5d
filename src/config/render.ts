// Writes a Config back out as commented TOML in go-carbon's layout ([common], [whisper], ...,
// [[logging]]): what `--print-default-config` prints. `loadConfig` reads the text back to the
// same Config with no warnings.

import { type Config, defaultConfig } from "./config.ts";
import { formatDuration } from "./duration.ts";
import { REMOTE_WRITE_KEYS, REMOTE_WRITE_SECTION } from "./remote_write.ts";
import { type KeySpec, SCHEMA, SECTIONS } from "./schema.ts";

const COMMENT_WIDTH = 100;

const HEADER = `carbonado configuration in go-carbon's layout: a go-carbon.conf loads as it is, keys
carbonado does not implement are listed in one warning at start. Every value below is carbonado's
default; where go-carbon's default differs it is named in the comment. Durations are Go durations
("1m0s", "30s", "100ms"), sizes plain numbers. Every key can be overridden by an environment
variable CARBONADO_<SECTION>_<KEY> (e.g. CARBONADO_WHISPER_DATA_DIR, CARBONADO_CACHE_MAX_SIZE,
CARBONADO_LOGGING_LEVEL for the first logger), which wins over this file.`;

/**
 * Renders `config` as TOML that `loadConfig` reads back to an equal Config, with each key's
 * purpose as a comment and, per section, the go-carbon keys carbonado accepts and ignores.
 */
export function renderConfig(config: Config): string {
  const out: string[] = [comment(HEADER), ""];
  for (const section of SECTIONS) {
    const specs = SCHEMA.filter((s) => s.section === section);
    const fields = specs.filter((s) =>
      s.field !== undefined && s.implemented && s.deprecatedFor === undefined
    );
    if (fields.length === 0) continue;
    // [[logging]] repeats once per logger; the comments go with the first one only.
    const tables = section === "logging"
      ? config.logging
      : [(config as unknown as Record<string, unknown>)[section]];
    tables.forEach((table, i) => {
      out.push(section === "logging" ? "[[logging]]" : `[${section}]`);
      for (const spec of fields) {
        if (i === 0) out.push(describe(spec));
        out.push(`${spec.key} = ${value(spec, (table as Record<string, unknown>)[spec.field!])}`);
      }
      if (i === 0) out.push(...ignoredNote(specs));
      out.push("");
    });
  }
  out.push(...remoteWrite(config));
  const sections = SECTIONS.filter((section) =>
    !SCHEMA.some((s) => s.section === section && s.implemented)
  ).map((s) => `[${s}]`);
  const tables = SCHEMA.filter((s) => s.kind === "table" || s.kind === "tables").map((s) =>
    s.kind === "tables" ? `[${s.name}.<name>]` : `[${s.name}]`
  );
  out.push(comment(`go-carbon sections carbonado ignores: ${[...tables, ...sections].join(", ")}`));
  return out.join("\n") + "\n";
}

/** `renderConfig(defaultConfig())`: the text `--print-default-config` prints. */
export function defaultConfigToml(): string {
  return renderConfig(defaultConfig());
}

const REMOTE_WRITE_EXAMPLE =
  `[[${REMOTE_WRITE_SECTION}]] (none by default): every accepted point is \
also sent to a Prometheus remote_write receiver (VictoriaMetrics, Prometheus, Mimir), read from \
the WAL; add one entry per remote. Its keys, with their defaults (url is required), can also \
come from CARBONADO_REMOTE_WRITE_<N>_<KEY> (N from 0; lists and tables as TOML values):`;

/** The `[[remote-write]]` entries, or a commented-out example of one when there are none. */
function remoteWrite(config: Config): string[] {
  const out: string[] = [];
  if (config.remoteWrite.length === 0) {
    out.push(comment(REMOTE_WRITE_EXAMPLE));
    out.push(`# [[${REMOTE_WRITE_SECTION}]]`);
    for (const spec of REMOTE_WRITE_KEYS) {
      out.push(describe(spec), `# ${spec.key} = ${value(spec, spec.default)}`);
    }
    out.push("");
    return out;
  }
  config.remoteWrite.forEach((entry, i) => {
    out.push(`[[${REMOTE_WRITE_SECTION}]]`);
    for (const spec of REMOTE_WRITE_KEYS) {
      if (i === 0) out.push(describe(spec));
      const v = (entry as unknown as Record<string, unknown>)[spec.field!];
      out.push(`${spec.key} = ${value(spec, v)}`);
    }
    out.push("");
  });
  return out;
}

function describe(spec: KeySpec): string {
  let doc = spec.doc;
  if (spec.carbonadoOnly) doc += "; carbonado only";
  if (spec.goDefault !== undefined) doc += `; go-carbon's default: ${value(spec, spec.goDefault)}`;
  return comment(doc);
}

function ignoredNote(specs: readonly KeySpec[]): string[] {
  const notes: string[] = [];
  const ignored = specs.filter((s) => !s.implemented && s.kind !== "tables" && s.kind !== "table");
  if (ignored.length > 0) {
    notes.push(
      comment(`go-carbon keys accepted and ignored: ${ignored.map((s) => s.key).join(", ")}`),
    );
  }
  for (const s of specs.filter((s) => s.deprecatedFor !== undefined)) {
    notes.push(comment(`Deprecated go-carbon key ${s.key} still works: use ${s.deprecatedFor}`));
  }
  return notes;
}

function value(spec: KeySpec, v: unknown): string {
  if (spec.kind === "duration") return JSON.stringify(formatDuration(v as number));
  return tomlValue(v);
}

/** A value as TOML writes it inline: strings, numbers, booleans, arrays, inline tables. */
function tomlValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(", ")}]`;
  if (typeof v === "object" && v !== null) {
    const pairs = Object.entries(v).map(([k, x]) =>
      `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)} = ${tomlValue(x)}`
    );
    return pairs.length === 0 ? "{}" : `{ ${pairs.join(", ")} }`;
  }
  return String(v);
}

/** `text` as `# ` lines no wider than COMMENT_WIDTH, keeping its own line breaks. */
function comment(text: string): string {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "#";
    for (const word of paragraph.split(" ")) {
      if (line.length + 1 + word.length > COMMENT_WIDTH && line !== "#") {
        lines.push(line);
        line = "#";
      }
      line += " " + word;
    }
    lines.push(line);
  }
  return lines.join("\n");
}
