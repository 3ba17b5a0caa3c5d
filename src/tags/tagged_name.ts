// Tagged names as carbon 1.1.7 stores them, in plain TypeScript: the reference the wasm
// canonicalizer (assembly/tags.ts) is tested against, and what the query side uses for names
// that arrive over HTTP (tagSeries, seriesByTag) and the migration of literal tagged files.
// carbon: lib/carbon/util.py TaggedSeries.parse(...).path; graphite-web: graphite/tags/utils.py.
//
// `path;k=v;...` or `path{k="v",...}` -> the path without its leading `~`, then the `;k=v`
// strings sorted by their UTF-8 bytes (Python sorts by code point: the same order), the last
// of duplicate keys kept, an explicit `name` tag dropped. A name that breaks carbon's rules
// (empty path or key, a key holding `; ! ^ =`, an empty value, a value holding `;` or
// starting with `~`) is kept as it came.

const SEMICOLON = 0x3b, EQUALS = 0x3d, TILDE = 0x7e, LBRACE = 0x7b, RBRACE = 0x7d;
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a, BANG = 0x21, CARET = 0x5e;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/** One tag as parsed: its `k=v` bytes and the key's length. */
interface Tag {
  text: Uint8Array;
  keyLen: number;
  order: number;
}

/** True when the bytes are well-formed UTF-8 (no overlongs, no surrogates), as Python decodes. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b >= 0x80) {
      try {
        strict.decode(bytes);
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** True when the name has tags to order or a leading `~` to strip. */
export function hasTagSyntax(name: Uint8Array): boolean {
  return name[0] === TILDE || name.includes(SEMICOLON) || name.includes(LBRACE);
}

/**
 * The canonical form of a name, or null when carbon would keep it as it came (invalid tags).
 *
 * @example
 * ```ts
 * const enc = new TextEncoder();
 * canonicalBytes(enc.encode("cpu;host=a;dc=east")); // "cpu;dc=east;host=a"
 * ```
 */
export function canonicalBytes(name: Uint8Array): Uint8Array | null {
  const n = name.length;
  if (n >= 2 && name[n - 1] === RBRACE && name[n - 2] === QUOTE) {
    const brace = name.indexOf(LBRACE);
    if (brace >= 0) return openMetrics(name, brace);
  }
  return carbonTags(name);
}

function carbonTags(name: Uint8Array): Uint8Array | null {
  const semi = name.indexOf(SEMICOLON);
  const pathLen = semi < 0 ? name.length : semi;
  if (pathLen === 0) return null;
  const tags: Tag[] = [];
  let p = pathLen;
  while (p < name.length) {
    const seg = p + 1;
    let end = name.indexOf(SEMICOLON, seg);
    if (end < 0) end = name.length;
    const eq = name.subarray(seg, end).indexOf(EQUALS);
    if (eq <= 0) return null;
    const tag = checkTag(name.slice(seg, end), eq, tags.length);
    if (tag === null) return null;
    tags.push(tag);
    p = end;
  }
  return finish(name.subarray(0, pathLen), tags);
}

function openMetrics(name: Uint8Array, brace: number): Uint8Array | null {
  const end = name.length - 1;
  if (brace === 0 || name.subarray(brace + 1, end).includes(LBRACE)) return null;
  const tags: Tag[] = [];
  let p = brace + 1;
  while (p < end) {
    const key = p;
    while (p < end && name[p] !== EQUALS) p++;
    if (p === key || p + 1 >= end || name[p + 1] !== QUOTE) return null;
    const keyBytes = name.subarray(key, p);
    p += 2;
    const value = p;
    while (p < end) {
      const c = name[p];
      if (c === BACKSLASH) {
        if (p + 1 >= end || (name[p + 1] !== QUOTE && name[p + 1] !== BACKSLASH)) break;
        p += 2;
      } else if (c === QUOTE) {
        break;
      } else {
        p++;
      }
    }
    if (p === value || p >= end || name[p] !== QUOTE) return null;
    const raw = name.subarray(value, p);
    const unescaped = unescape(unescape(raw, QUOTE), BACKSLASH);
    p++;
    if (p < end) {
      if (name[p] === COMMA) p++;
      else if (name[p] === COLON && p + 1 < end && name[p + 1] === COMMA) p += 2;
      else return null;
    }
    const text = new Uint8Array(keyBytes.length + 1 + unescaped.length);
    text.set(keyBytes);
    text[keyBytes.length] = EQUALS;
    text.set(unescaped, keyBytes.length + 1);
    const tag = checkTag(text, keyBytes.length, tags.length);
    if (tag === null) return null;
    tags.push(tag);
  }
  return finish(name.subarray(0, brace), tags);
}

/** Python's `s.replace('\\' + c, c)`: left to right, without overlaps. */
function unescape(bytes: Uint8Array, c: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === BACKSLASH && bytes[i + 1] === c) {
      out.push(c);
      i++;
    } else {
      out.push(bytes[i]);
    }
  }
  return Uint8Array.from(out);
}

function checkTag(text: Uint8Array, keyLen: number, order: number): Tag | null {
  for (let i = 0; i < keyLen; i++) {
    const c = text[i];
    if (c === SEMICOLON || c === BANG || c === CARET || c === EQUALS) return null;
  }
  const value = text.subarray(keyLen + 1);
  if (value.length === 0 || value[0] === TILDE || value.includes(SEMICOLON)) return null;
  return { text, keyLen, order };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function finish(path: Uint8Array, tags: Tag[]): Uint8Array | null {
  let start = 0;
  while (start < path.length && path[start] === TILDE) start++;
  if (start === path.length) return null;
  const byKey = new Map<string, Tag>();
  for (const tag of tags) byKey.set(decoder.decode(tag.text.subarray(0, tag.keyLen)), tag);
  byKey.delete("name");
  const kept = [...byKey.values()].sort((a, b) => compareBytes(a.text, b.text));
  const out = new Uint8Array(
    path.length - start + kept.reduce((sum, t) => sum + 1 + t.text.length, 0),
  );
  out.set(path.subarray(start));
  let w = path.length - start;
  for (const t of kept) {
    out[w++] = SEMICOLON;
    out.set(t.text, w);
    w += t.text.length;
  }
  return out;
}

/** The canonical form of a name given as a string; the name itself when its tags are invalid. */
export function canonicalName(name: string): string {
  const bytes = encoder.encode(name);
  if (!hasTagSyntax(bytes)) return name;
  const canon = canonicalBytes(bytes);
  return canon === null ? name : decoder.decode(canon);
}

/** A canonical tagged name split up: the path (graphite-web's `name` tag) and the tags. */
export interface ParsedSeries {
  /** The path before the first `;`. */
  path: string;
  /** Tag values by key, `name` (the path) included, as graphite-web's TaggedSeries.tags. */
  tags: Map<string, string>;
}

/**
 * Splits a name in canonical form into its path and tags, or returns null when it does not
 * parse (graphite-web's TaggedSeries.parse would raise): a name kept raw for invalid tags.
 */
export function parseSeries(name: string): ParsedSeries | null {
  const canon = canonicalBytes(encoder.encode(name));
  if (canon === null) return null;
  const text = decoder.decode(canon);
  const parts = text.split(";");
  const tags = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    tags.set(part.slice(0, eq), part.slice(eq + 1));
  }
  tags.set("name", parts[0]);
  return { path: parts[0], tags };
}
