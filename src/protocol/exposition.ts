// Prometheus exposition formats in plain TypeScript, as Prometheus 2.42 reads them
// (model/textparse promlex.l + promparse.go, openmetricslex.l + openmetricsparse.go): the
// reference the wasm parser (assembly/expfmt.ts) is tested against, its benchmark baseline, and
// what reads a new series' labels when the wasm scrape cache does not know it yet.
//
// Text 0.0.4: blanks are runs of spaces and tabs (not before a sample: 2.42 refuses that);
// `#` lines are comments unless `# HELP name`
// or `# TYPE name type`; a sample is `name[{labels}] value [timestamp]`, with blanks allowed
// around the labels' tokens and a missing `,` between labels tolerated; label values escape
// `\\`, `\"`, `\n` and may hold raw newlines; the timestamp is integer milliseconds; the body
// need not end with `\n` (Prometheus appends one).
// OpenMetrics 1.0: single spaces, no blanks inside braces, no raw newline in a label value,
// only `# HELP`, `# TYPE`, `# UNIT` and a final `# EOF` as comments, timestamps in (float)
// seconds, an optional exemplar ` # {labels} value [timestamp]` after a sample.
// Values are Go's ParseFloat less hex and `_` forms: decimals, `Inf`/`Infinity` with a sign,
// `NaN`; out-of-range decimals are errors. A metric name is `[a-zA-Z_:][a-zA-Z0-9_:]*`, a label
// name `[a-zA-Z_][a-zA-Z0-9_]*`; a series naming a label twice fails the scrape as Prometheus'
// head refuses it.

import { DECIMAL } from "./plaintext.ts";

/** Which parser: text 0.0.4 or OpenMetrics 1.0. */
export type ExpositionFormat = "text" | "openmetrics";

/** A series as exposed: its metric name and labels (unescaped, in exposition order). */
export interface ExposedSeries {
  name: string;
  labels: [string, string][];
}

/** One sample. */
export interface ExposedSample extends ExposedSeries {
  /** The series' bytes as exposed, from the name to its `}`: what the scrape cache is keyed by. */
  series: Uint8Array;
  value: number;
  /** The sample's own timestamp in milliseconds, or null. */
  timestampMs: number | null;
}

/** What a body came to: its samples up to the first error, and the error. */
export interface ExpositionResult {
  samples: ExposedSample[];
  error: string | null;
}

const LF = 0x0a, SPACE = 0x20, TAB = 0x09, HASH = 0x23, LBRACE = 0x7b, RBRACE = 0x7d;
const QUOTE = 0x22, BACKSLASH = 0x5c, EQUALS = 0x3d, COMMA = 0x2c;

const TEXT_TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const OM_TYPES = new Set([
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
  "unknown",
]);

const utf8 = new TextDecoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes as a string of one character each (latin1): names, tokens. TextDecoder is slower here. */
function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** UTF-8 bytes as a string; null when they are not well-formed. */
function utf8OrNull(b: Uint8Array): string | null {
  for (let i = 0; i < b.length; i++) {
    if (b[i] >= 0x80) {
      try {
        return strictUtf8.decode(b);
      } catch {
        return null;
      }
    }
  }
  return latin1(b);
}

/** The content type a Prometheus 2.42 scrape picks a parser by: OpenMetrics or text. */
export function formatOf(contentType: string | null): ExpositionFormat {
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return mediaType === "application/openmetrics-text" ? "openmetrics" : "text";
}

const isMetricStart = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
const isMetricChar = (c: number) => isMetricStart(c) || (c >= 0x30 && c <= 0x39);
const isLabelStart = (c: number) => isMetricStart(c) && c !== 0x3a;
const isLabelChar = (c: number) => isMetricChar(c) && c !== 0x3a;

/** A value token as Prometheus' parseFloat reads it; null when it is not one. */
export function parseExpositionValue(token: Uint8Array): number | null {
  const text = latin1(token);
  if (DECIMAL.test(text)) {
    const v = Number(text);
    return Number.isFinite(v) ? v : null;
  }
  const special = /^([+-]?)(inf|infinity)$/i.exec(text);
  if (special) return special[1] === "-" ? -Infinity : Infinity;
  return /^nan$/i.test(text) ? NaN : null;
}

/** A parse error at byte `at` of the body. */
class ExpositionError extends SyntaxError {
  readonly at: number;
  constructor(message: string, at: number) {
    super(message);
    this.at = at;
  }
}

/** The parser's cursor over one body. */
class Cursor {
  readonly b: Uint8Array;
  readonly om: boolean;
  /** Reads one `\n` past the end (a text body; Prometheus appends it). */
  readonly finalLf: boolean;
  p = 0;

  constructor(body: Uint8Array, om: boolean, finalLf: boolean) {
    this.b = body;
    this.om = om;
    this.finalLf = finalLf;
  }

  fail(msg: string): never {
    throw new ExpositionError(msg, this.p);
  }

  /** Byte at the cursor; -1 at the end (the text format reads an implicit final `\n`). */
  peek(): number {
    if (this.p < this.b.length) return this.b[this.p];
    return this.finalLf && this.p === this.b.length ? LF : -1;
  }

  blanks(): void {
    while (this.p < this.b.length && (this.b[this.p] === SPACE || this.b[this.p] === TAB)) this.p++;
  }

  /** Skips the separator between tokens: blanks (text) or exactly one space (OpenMetrics). */
  sep(what: string): void {
    if (this.om) {
      if (this.peek() !== SPACE) this.fail(`expected a space before ${what}`);
      this.p++;
    } else {
      this.blanks();
    }
  }

  /** A token up to a blank, `\n` (or, for `stopAtBrace`, `{`). */
  token(stopAtBrace: boolean): Uint8Array {
    const start = this.p;
    while (this.p < this.b.length) {
      const c = this.b[this.p];
      if (c === LF || c === SPACE || (!this.om && c === TAB) || (stopAtBrace && c === LBRACE)) {
        break;
      }
      this.p++;
    }
    return this.b.subarray(start, this.p);
  }

  metricName(): string {
    const start = this.p;
    if (!isMetricStart(this.peek())) this.fail("expected a metric name");
    while (this.p < this.b.length && isMetricChar(this.b[this.p])) this.p++;
    return latin1(this.b.subarray(start, this.p));
  }

  /** The labels after `{` up to and including `}`. */
  labels(): [string, string][] {
    const labels: [string, string][] = [];
    this.p++; // '{'
    if (!this.om) this.blanks();
    while (true) {
      const c = this.peek();
      if (c === RBRACE) {
        this.p++;
        return labels;
      }
      if (!isLabelStart(c)) this.fail("expected a label name");
      const start = this.p;
      while (this.p < this.b.length && isLabelChar(this.b[this.p])) this.p++;
      const name = latin1(this.b.subarray(start, this.p));
      if (!this.om) this.blanks();
      if (this.peek() !== EQUALS) this.fail("expected '=' after a label name");
      this.p++;
      if (!this.om) this.blanks();
      if (this.peek() !== QUOTE) this.fail("expected a quoted label value");
      labels.push([name, this.quoted()]);
      if (!this.om) this.blanks();
      if (this.peek() === COMMA) {
        this.p++;
        if (!this.om) this.blanks();
      } else if (this.om && this.peek() !== RBRACE) {
        this.fail("expected ',' or '}' after a label value");
      }
    }
  }

  /** A `"..."` label value, unescaped (`\\`, `\"`, `\n`; other escapes stay as written). */
  quoted(): string {
    const start = ++this.p;
    let escapes = false;
    while (true) {
      if (this.p >= this.b.length) this.fail("unterminated label value");
      const c = this.b[this.p];
      if (c === QUOTE) break;
      if (c === LF && this.om) this.fail("newline in a label value");
      if (c === BACKSLASH) {
        escapes = true;
        this.p++;
        if (this.p >= this.b.length) this.fail("unterminated label value");
        if (this.b[this.p] === LF && this.om) this.fail("newline in a label value");
      }
      this.p++;
    }
    const raw = this.b.subarray(start, this.p);
    this.p++;
    const text = utf8OrNull(raw);
    if (text === null) {
      this.p = start;
      this.fail("invalid UTF-8 label value");
    }
    if (!escapes) return text;
    return text!.replace(/\\(["\\n])/g, (_, c) => (c === "n" ? "\n" : c));
  }
}

/** Reads the series at the cursor: `name[{labels}]`, the cursor left after it. */
function readSeries(c: Cursor): ExposedSeries {
  const name = c.metricName();
  let labels: [string, string][] = [];
  if (!c.om) {
    const save = c.p;
    c.blanks();
    if (c.peek() !== LBRACE) c.p = save;
  }
  if (c.peek() === LBRACE) labels = c.labels();
  const seen = new Set<string>();
  for (const [k] of labels) {
    if (seen.has(k)) c.fail(`label name "${k}" is not unique`);
    seen.add(k);
  }
  return { name, labels };
}

/**
 * Reads one series span as exposed (`name`, `name{...}`): what the wasm scrape cache hands back
 * for a series it does not know. The span was cut by the same rules, so only its labels and
 * their escapes are read here.
 *
 * @throws {SyntaxError} when the span is not a series
 */
export function parseSeries(span: Uint8Array, format: ExpositionFormat): ExposedSeries {
  const c = new Cursor(span, format === "openmetrics", false);
  const series = readSeries(c);
  if (c.p !== span.length) c.fail("unexpected bytes after the series");
  return series;
}

/**
 * Parses a whole body. Samples before an error are returned with it (Prometheus counts them in
 * scrape_samples_scraped, then fails the scrape).
 *
 * @example
 * ```ts
 * const { samples } = parseExposition(new TextEncoder().encode('up{job="x"} 1\n'), "text");
 * samples[0].labels; // [["job", "x"]]
 * ```
 */
export function parseExposition(body: Uint8Array, format: ExpositionFormat): ExpositionResult {
  const om = format === "openmetrics";
  const c = new Cursor(body, om, !om);
  const samples: ExposedSample[] = [];
  try {
    if (om) parseOpenMetrics(c, samples);
    else parseText(c, samples);
  } catch (err) {
    if (!(err instanceof ExpositionError)) throw err;
    return { samples, error: describe(body, err) };
  }
  return { samples, error: null };
}

function describe(body: Uint8Array, err: ExpositionError): string {
  let line = 1;
  const end = Math.min(err.at, body.length);
  for (let i = 0; i < end; i++) if (body[i] === LF) line++;
  return `line ${line}: ${err.message}`;
}

function parseText(c: Cursor, samples: ExposedSample[]): void {
  while (c.p < c.b.length) {
    const lineStart = c.p;
    c.blanks();
    const ch = c.peek();
    if (ch === LF) {
      c.p++;
      continue;
    }
    if (ch === -1 || ch === 0) return; // promlex reads a NUL at a line's start as the end
    if (ch === HASH) {
      textComment(c);
      continue;
    }
    // Prometheus 2.42 keeps blanks before a sample in its metric name, which then is invalid
    if (c.p > lineStart) c.fail("expected a metric name at the start of the line");
    sample(c, samples);
  }
}

/** `#` lines of the text format: HELP and TYPE checked, anything else skipped. */
function textComment(c: Cursor): void {
  const start = c.p++;
  const afterHash = c.p;
  c.blanks();
  const keyword = c.p > afterHash ? latin1(c.b.subarray(c.p, c.p + 4)) : "";
  const after = c.b[c.p + 4];
  if ((keyword === "HELP" || keyword === "TYPE") && (after === SPACE || after === TAB)) {
    c.p += 4;
    c.blanks();
    if (!isMetricStart(c.peek())) c.fail(`expected a metric name after ${keyword}`);
    c.metricName();
    // the rest of the line, less the one character after the name (promlex sMeta2)
    const textStart = c.p;
    while (c.p < c.b.length && c.b[c.p] !== LF) c.p++;
    const text = latin1(c.b.subarray(Math.min(textStart + 1, c.p), c.p));
    if (keyword === "TYPE" && !TEXT_TYPES.has(text)) c.fail(`invalid metric type "${text}"`);
    if (c.p < c.b.length) c.p++;
    return;
  }
  c.p = start;
  while (c.p < c.b.length && c.b[c.p] !== LF) c.p++;
  if (c.p < c.b.length) c.p++;
}

function parseOpenMetrics(c: Cursor, samples: ExposedSample[]): void {
  while (true) {
    if (c.p >= c.b.length) c.fail("data does not end with # EOF");
    if (c.peek() === HASH) {
      if (omComment(c)) return;
      continue;
    }
    sample(c, samples);
  }
}

/** An OpenMetrics `#` line; true at `# EOF`. */
function omComment(c: Cursor): boolean {
  const rest = latin1(c.b.subarray(c.p, c.p + 7));
  if (rest.startsWith("# EOF")) {
    const end = c.p + 5;
    const tail = c.b.length - end;
    if (tail === 0 || (tail === 1 && c.b[end] === LF)) {
      c.p = c.b.length;
      return true;
    }
    c.p = end;
    c.fail("unexpected data after # EOF");
  }
  const keyword = rest.slice(2, 7);
  if (!["HELP ", "TYPE ", "UNIT "].includes(keyword) || !rest.startsWith("# ")) {
    c.fail("expected a valid start token");
  }
  c.p += 7;
  const name = c.metricName();
  if (c.peek() !== SPACE) c.fail(`expected text in ${keyword.trim()}`);
  const textStart = ++c.p;
  while (c.p < c.b.length && c.b[c.p] !== LF) c.p++;
  if (c.p >= c.b.length) c.fail("data does not end with # EOF");
  const text = latin1(c.b.subarray(textStart, c.p));
  c.p++;
  if (keyword === "TYPE " && !OM_TYPES.has(text)) c.fail(`invalid metric type "${text}"`);
  if (keyword === "UNIT " && text !== "" && !name.endsWith(`_${text}`)) {
    c.fail(`unit "${text}" not a suffix of metric "${name}"`);
  }
  if (keyword === "HELP ") {
    if (utf8OrNull(c.b.subarray(textStart, c.p - 1)) === null) {
      c.fail("help text is not valid UTF-8");
    }
  }
  return false;
}

/** One sample line; the cursor at its first byte (blanks skipped). */
function sample(c: Cursor, samples: ExposedSample[]): void {
  const start = c.p;
  if (c.peek() === LBRACE) c.fail("expected a metric name");
  const series = readSeries(c);
  const span = c.b.subarray(start, c.p);
  if (c.om) {
    c.sep("the value");
  } else {
    const before = c.p;
    c.blanks();
    // promlex reads the value right after `}` too, but a name must end at a blank
    if (c.p === before && c.b[c.p - 1] !== RBRACE) c.fail("expected a value after the metric");
  }
  const valueToken = c.token(!c.om);
  if (valueToken.length === 0) c.fail("expected a value after the metric");
  const value = parseExpositionValue(valueToken);
  if (value === null) c.fail(`bad value "${latin1(valueToken)}"`);
  let timestampMs: number | null = null;
  if (c.om) {
    if (c.peek() === SPACE) {
      c.p++;
      if (c.b[c.p] === HASH) {
        exemplar(c);
      } else {
        timestampMs = omTimestamp(c, c.token(false));
        if (c.peek() === SPACE) {
          c.p++;
          if (c.b[c.p] !== HASH) c.fail("expected next entry after timestamp");
          exemplar(c);
        }
      }
    }
    if (c.peek() !== LF) c.fail("expected next entry after the sample");
    c.p++;
  } else {
    c.blanks();
    if (c.peek() !== LF) {
      const token = c.token(true);
      if (!/^\d+$/.test(latin1(token))) c.fail("expected timestamp or new record");
      timestampMs = textTimestamp(c, token);
      c.blanks();
      if (c.peek() !== LF) c.fail("expected next entry after timestamp");
    }
    c.p++;
  }
  samples.push({ ...series, series: span, value: value!, timestampMs });
}

/** Integer milliseconds of the text format (int64; larger is an error). */
function textTimestamp(c: Cursor, token: Uint8Array): number {
  const text = latin1(token);
  if (BigInt(text) > 9223372036854775807n) c.fail(`timestamp "${text}" out of range`);
  return Number(text);
}

/** OpenMetrics seconds (a float) as milliseconds, truncated as Prometheus' int64(ts * 1000). */
function omTimestamp(c: Cursor, token: Uint8Array): number {
  const v = parseExpositionValue(token);
  if (v === null || !Number.isFinite(v)) c.fail(`invalid timestamp "${latin1(token)}"`);
  return Math.trunc(v! * 1000);
}

/** ` # {labels} value [timestamp]`: checked and left out (exemplars are not stored). */
function exemplar(c: Cursor): void {
  if (c.b[c.p + 1] !== SPACE || c.b[c.p + 2] !== LBRACE) c.fail("expected an exemplar");
  c.p += 2;
  c.labels();
  c.sep("the exemplar value");
  const value = c.token(false);
  if (parseExpositionValue(value) === null) c.fail("bad exemplar value");
  if (c.peek() === SPACE) {
    c.p++;
    omTimestamp(c, c.token(false));
  }
}

/** The label values of a series as text (for messages and tests). */
export function seriesText(s: ExposedSeries): string {
  const labels = s.labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
  return labels ? `${s.name}{${labels}}` : s.name;
}

/** Decodes bytes as UTF-8 (replacement characters for bad bytes): for log lines. */
export function bytesText(b: Uint8Array): string {
  return utf8.decode(b);
}
