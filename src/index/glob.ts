// Graphite find/render globs (`sys.host-*.cpu.{user,system}`), compiled once into one matcher per
// dot-separated segment. Semantics follow graphite-web (braces expanded, then Python's `fnmatch`
// per segment); the deviations and go-carbon's differences are listed on `compileGlob`.
// Matching is linear: literal segments are exact lookups, wildcards use a two-pointer matcher or
// an NFA run as a lazily built, bounded DFA, never a backtracking RegExp.

/** go-carbon's `max-globs` default: brace expansions allowed per pattern. */
export const DEFAULT_MAX_GLOBS = 100;
/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_CHARS = 16_384;
/** Longest run of pattern text between two dots, in UTF-16 code units. */
export const MAX_SEGMENT_CHARS = 8_192;
/** Most segments (dot-separated parts) in a pattern or in one of its expansions. */
export const MAX_SEGMENTS = 64;
/** Deepest `{}` nesting accepted. */
export const MAX_BRACE_DEPTH = 8;

/** Limits applied by `compileGlob`; each defaults to the constant of the same name. */
export interface GlobOptions {
  /** Brace expansions allowed (go-carbon `max-globs`, default 100). */
  maxGlobs?: number;
  /**
   * When true, a pattern whose brace expansion exceeds `maxGlobs` is rejected (go-carbon
   * `fail-on-max-globs`). When false (the default), its segments are matched by an automaton
   * without expanding them, so the answer stays complete.
   */
  failOnMaxGlobs?: boolean;
  maxPatternChars?: number;
  maxSegmentChars?: number;
  maxSegments?: number;
  maxBraceDepth?: number;
}

/** How one segment of a pattern is matched. */
export interface SegmentMatcher {
  /**
   * `literal`: one exact name; `set`: a few exact names (expanded braces); `all`: any name
   * (`*`); `pattern`: wildcards, tested with `test()`.
   */
  readonly kind: "literal" | "set" | "all" | "pattern";
  /** For `literal` and `set`: the exact names, unique and sorted; empty otherwise. */
  readonly values: readonly string[];
  /** True when `segment` (one path segment, without dots) matches. */
  test(segment: string): boolean;
}

/** A pattern compiled by `compileGlob`. */
export interface CompiledGlob {
  /** The pattern as given. */
  readonly pattern: string;
  /**
   * The paths to walk: one entry per expansion of braces that contain dots (usually one), each a
   * matcher per segment. Empty when the pattern can match nothing (e.g. `a.{}.b`).
   */
  readonly alternatives: readonly (readonly SegmentMatcher[])[];
  /** How many patterns full brace expansion would produce (go-carbon's max-globs count). */
  readonly expansions: number;
  /** True when the pattern has no wildcard and no braces: it names at most one path. */
  readonly isExact: boolean;
}

/**
 * True when `pattern` contains glob syntax (`*`, `?`, `[` or `{`), as graphite-web's
 * `is_pattern` decides.
 */
export function hasGlobSyntax(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/**
 * Compiles a Graphite glob. Per dot-separated segment: `*` (any run, never crossing a dot), `?`
 * (one character), `[abc]`, `[a-z]`, `[!abc]` (Python fnmatch classes), `{a,b,c}` alternatives
 * (nested, empty ones allowed: `{a,}`, `{}`), `\x` for a literal `x`; anything else is literal.
 *
 * Where graphite-web and go-carbon differ, this follows graphite-web except:
 * - `[^abc]` negates like `[!abc]` (fnmatch takes `^` literally; go-carbon negates only with `^`).
 * - Braces may contain dots (`{a.b,c}.d`), expanded into separate paths as go-carbon does;
 *   graphite-web splits on dots first and matches such braces literally, i.e. nothing.
 * - A backslash makes the next character literal; graphite-web deletes backslashes, go-carbon
 *   keeps them as ordinary characters.
 * - `**` is the same as `*` (go-carbon); graphite-web's finder treats a `**` segment as "any
 *   depth".
 * Shared with graphite-web: unmatched `{`, `}`, `[` are literal; `?` and classes count Unicode
 * code points (go-carbon counts bytes); matching is case-sensitive.
 *
 * @throws {RangeError} when the pattern is empty, too long, has an empty segment (`a..b`), a
 * control character or an unpaired surrogate, braces nested deeper than `maxBraceDepth`, too
 * many segments, more dotted brace expansions than `maxGlobs`, or (with `failOnMaxGlobs`) more
 * brace expansions than `maxGlobs`.
 *
 * @example
 * ```ts
 * const glob = compileGlob("sys.*.cpu.{user,system}");
 * glob.alternatives[0].map((m) => m.kind); // ["literal", "all", "literal", "set"]
 * ```
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): CompiledGlob {
  const limits = {
    maxGlobs: options.maxGlobs ?? DEFAULT_MAX_GLOBS,
    failOnMaxGlobs: options.failOnMaxGlobs ?? false,
    maxPatternChars: options.maxPatternChars ?? MAX_PATTERN_CHARS,
    maxSegmentChars: options.maxSegmentChars ?? MAX_SEGMENT_CHARS,
    maxSegments: options.maxSegments ?? MAX_SEGMENTS,
    maxBraceDepth: options.maxBraceDepth ?? MAX_BRACE_DEPTH,
  };
  const fail = (why: string): never => {
    // Quoted as JSON: control characters and lone surrogates come out escaped.
    const shown = JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}...` : pattern);
    throw new RangeError(`Invalid glob pattern ${shown}: ${why}`);
  };

  checkText(pattern, limits, fail);
  const pairs = pairBraces(pattern, limits.maxBraceDepth, fail);
  const items = new Parser(pattern, pairs).seq(0, pattern.length);
  checkTopLevelDots(items, fail);

  const expansions = countExpansions(items);
  if (limits.failOnMaxGlobs && expansions > limits.maxGlobs) {
    fail(`${formatCount(expansions)} brace expansions exceed max-globs (${limits.maxGlobs})`);
  }

  const alternatives: SegmentMatcher[][] = [];
  for (const segments of splitPath(items, limits.maxGlobs, fail)) {
    if (segments.length > limits.maxSegments) {
      fail(`${segments.length} segments exceed the limit of ${limits.maxSegments}`);
    }
    const matchers: SegmentMatcher[] = [];
    for (const segment of segments) {
      const matcher = compileSegment(segment, limits.maxGlobs);
      if (matcher === null) break;
      matchers.push(matcher);
    }
    if (matchers.length === segments.length) alternatives.push(matchers);
  }
  const isExact = !hasGlobSyntaxItems(items);
  return { pattern, alternatives, expansions, isExact };
}

/** True when the full metric `name` matches the compiled glob. */
export function matchGlob(glob: CompiledGlob, name: string): boolean {
  const parts = name.split(".");
  outer: for (const matchers of glob.alternatives) {
    if (matchers.length !== parts.length) continue;
    for (let i = 0; i < parts.length; i++) {
      if (!matchers[i].test(parts[i])) continue outer;
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Item =
  | { readonly t: "lit"; readonly s: string }
  | { readonly t: "any" }
  | { readonly t: "star" }
  | { readonly t: "class"; readonly negate: boolean; readonly ranges: readonly number[] }
  | { readonly t: "alt"; readonly options: readonly Item[][] }
  | { readonly t: "dot" };

const ANY: Item = { t: "any" };
const STAR: Item = { t: "star" };
const DOT: Item = { t: "dot" };

type Fail = (why: string) => never;

/** Length limits, control characters and unpaired surrogates, before any parsing. */
function checkText(
  p: string,
  limits: { maxPatternChars: number; maxSegmentChars: number },
  fail: Fail,
): void {
  if (p.length === 0) fail("empty pattern");
  if (p.length > limits.maxPatternChars) {
    fail(`${p.length} characters exceed the limit of ${limits.maxPatternChars}`);
  }
  let run = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x2e) {
      run = 0;
      continue;
    }
    if (++run > limits.maxSegmentChars) {
      fail(`a segment is longer than ${limits.maxSegmentChars} characters`);
    }
    if (c < 0x20 || c === 0x7f) {
      fail(`control character U+${c.toString(16).toUpperCase().padStart(4, "0")} at ${i}`);
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = p.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) fail(`unpaired surrogate at ${i}`);
      i++;
      run++;
    }
  }
}

/**
 * Index of the `]` closing the class opened at `open`, or -1 when the class is unclosed (then the
 * `[` is literal, as in fnmatch). A class never spans a dot: graphite-web splits on dots first.
 */
function classEnd(p: string, open: number): number {
  let j = open + 1;
  if (p[j] === "!" || p[j] === "^") j++;
  if (p[j] === "]") j++;
  while (j < p.length && p[j] !== "]") {
    if (p[j] === ".") return -1;
    j++;
  }
  return j < p.length ? j : -1;
}

/**
 * Pairs each `{` with its `}` (escapes and classes skipped); unmatched braces stay literal, as in
 * graphite-web. Returns, for each index of a paired `{`, the index of its `}`; -1 elsewhere.
 */
function pairBraces(p: string, maxDepth: number, fail: Fail): Int32Array {
  const pairs = new Int32Array(p.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") i++;
    else if (c === "[") {
      const end = classEnd(p, i);
      if (end >= 0) i = end;
    } else if (c === "{") {
      stack.push(i);
    } else if (c === "}" && stack.length > 0) {
      pairs[stack.pop()!] = i;
    }
  }
  // Depth of the pairs that survived (unmatched `{` are literal and do not nest).
  let depth = 0;
  const closes: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (closes.length > 0 && closes[closes.length - 1] === i) {
      closes.pop();
      depth--;
    }
    if (pairs[i] >= 0) {
      closes.push(pairs[i]);
      if (++depth > maxDepth) fail(`braces nested deeper than ${maxDepth}`);
    }
  }
  return pairs;
}

/** Recursive-descent parser over the pattern text; recursion depth is bounded by brace depth. */
class Parser {
  #p: string;
  #pairs: Int32Array;

  constructor(p: string, pairs: Int32Array) {
    this.#p = p;
    this.#pairs = pairs;
  }

  /** Parses `p[start, end)`; commas at this level are literal. */
  seq(start: number, end: number): Item[] {
    const p = this.#p;
    const items: Item[] = [];
    let lit = "";
    const flush = () => {
      if (lit !== "") items.push({ t: "lit", s: lit });
      lit = "";
    };
    for (let i = start; i < end; i++) {
      const c = p[i];
      if (c === "\\" && i + 1 < end) {
        i++;
        lit += p[i];
        if (isHighSurrogate(p.charCodeAt(i)) && i + 1 < end) lit += p[++i];
      } else if (c === "*") {
        flush();
        if (items.at(-1) !== STAR) items.push(STAR);
      } else if (c === "?") {
        flush();
        items.push(ANY);
      } else if (c === ".") {
        flush();
        items.push(DOT);
      } else if (c === "[" && classEnd(p, i) >= 0) {
        flush();
        const close = classEnd(p, i);
        items.push(parseClass(p, i + 1, close));
        i = close;
      } else if (c === "{" && this.#pairs[i] >= 0) {
        flush();
        const close = this.#pairs[i];
        items.push({ t: "alt", options: this.#options(i + 1, close) });
        i = close;
      } else {
        lit += c;
      }
    }
    flush();
    return items;
  }

  /** Splits `p[start, end)` at top-level commas and parses each alternative. */
  #options(start: number, end: number): Item[][] {
    const p = this.#p;
    const options: Item[][] = [];
    let from = start;
    for (let i = start; i < end; i++) {
      const c = p[i];
      if (c === "\\") i++;
      else if (c === "[") {
        const close = classEnd(p, i);
        if (close >= 0) i = close;
      } else if (c === "{" && this.#pairs[i] >= 0) {
        i = this.#pairs[i];
      } else if (c === ",") {
        options.push(this.seq(from, i));
        from = i + 1;
      }
    }
    options.push(this.seq(from, end));
    return options;
  }
}

/**
 * Parses a class body `p[start, close)` as Python's fnmatch does: a leading `!` (or `^`) negates,
 * a `]` first is a member, `x-y` is a range (empty when x > y), a `-` first or last is literal.
 */
function parseClass(p: string, start: number, close: number): Item {
  let i = start;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const members: number[] = [];
  while (i < close) {
    const lo = p.codePointAt(i)!;
    i += lo > 0xffff ? 2 : 1;
    if (p[i] === "-" && i + 1 < close) {
      const hi = p.codePointAt(i + 1)!;
      i += hi > 0xffff ? 3 : 2;
      if (lo <= hi) members.push(lo, hi);
      continue;
    }
    members.push(lo, lo);
  }
  return { t: "class", negate, ranges: members };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Rejects `..`, a leading or a trailing dot outside braces. */
function checkTopLevelDots(items: Item[], fail: Fail): void {
  for (let i = 0; i < items.length; i++) {
    if (items[i] !== DOT) continue;
    if (i === 0 || i === items.length - 1 || items[i - 1] === DOT) {
      fail(
        `empty segment (dot at position ${i === 0 ? "start" : i === items.length - 1 ? "end" : i})`,
      );
    }
  }
}

function countExpansions(items: readonly Item[]): number {
  let n = 1;
  for (const it of items) {
    if (it.t !== "alt") continue;
    let sum = 0;
    for (const o of it.options) sum += countExpansions(o);
    n *= sum;
  }
  return n;
}

function containsDot(items: readonly Item[]): boolean {
  for (const it of items) {
    if (it === DOT) return true;
    if (it.t === "alt" && it.options.some(containsDot)) return true;
  }
  return false;
}

function hasGlobSyntaxItems(items: readonly Item[]): boolean {
  return items.some((it) => it.t !== "lit" && it.t !== "dot");
}

/**
 * Splits the tree at dots into paths of segments. Alternatives that contain a dot are expanded
 * (each becomes its own path); the others stay inside their segment for the automaton.
 */
function splitPath(items: readonly Item[], maxGlobs: number, fail: Fail): Item[][][] {
  let paths: Item[][][] = [[[]]];
  for (const it of items) {
    if (it === DOT) {
      for (const path of paths) path.push([]);
    } else if (it.t === "alt" && containsDot([it])) {
      const tails: Item[][][] = [];
      for (const o of it.options) tails.push(...splitPath(o, maxGlobs, fail));
      const next: Item[][][] = [];
      for (const path of paths) {
        for (const tail of tails) {
          const joined = path.map((segment) => segment.slice());
          joined[joined.length - 1].push(...tail[0]);
          for (let k = 1; k < tail.length; k++) joined.push(tail[k].slice());
          next.push(joined);
        }
        if (next.length > maxGlobs) {
          fail(`braces containing dots expand to more than max-globs (${maxGlobs}) paths`);
        }
      }
      paths = next;
    } else {
      for (const path of paths) path[path.length - 1].push(it);
    }
  }
  return paths;
}

// ---------------------------------------------------------------------------------------------
// Segment matchers

/** Merges adjacent literals and inlines single-option alternatives; `[]` when nothing is left. */
function simplify(items: readonly Item[]): Item[] {
  const out: Item[] = [];
  const push = (it: Item) => {
    const last = out.at(-1);
    if (it.t === "lit" && last?.t === "lit") out[out.length - 1] = { t: "lit", s: last.s + it.s };
    else if (it === STAR && last === STAR) return;
    else out.push(it);
  };
  for (const it of items) {
    if (it.t === "alt") {
      const options = it.options.map(simplify);
      if (options.length === 1) options[0].forEach(push);
      else push({ t: "alt", options });
    } else {
      push(it);
    }
  }
  return out;
}

function hasWildcard(items: readonly Item[]): boolean {
  return items.some((it) =>
    it.t === "star" || it.t === "any" || it.t === "class" ||
    (it.t === "alt" && it.options.some(hasWildcard))
  );
}

/** Every string a wildcard-free sequence expands to. */
function expandLiterals(items: readonly Item[]): string[] {
  let out = [""];
  for (const it of items) {
    if (it.t === "lit") out = out.map((s) => s + it.s);
    else if (it.t === "alt") {
      const tails = it.options.flatMap(expandLiterals);
      out = out.flatMap((s) => tails.map((t) => s + t));
    }
  }
  return out;
}

/** Compiles one segment; null when it can only match the empty string (no name has one). */
function compileSegment(raw: readonly Item[], maxGlobs: number): SegmentMatcher | null {
  const items = simplify(raw);
  if (items.length === 0) return null;
  if (items.length === 1 && items[0].t === "lit") return literalMatcher(items[0].s);
  if (items.length === 1 && items[0] === STAR) return ALL_MATCHER;
  const wild = hasWildcard(items);
  if (!wild && countExpansions(items) <= maxGlobs) {
    const values = [...new Set(expandLiterals(items))].filter((s) => s !== "").sort(
      compareCodePoints,
    );
    if (values.length === 0) return null;
    return values.length === 1 ? literalMatcher(values[0]) : setMatcher(values);
  }
  const prefix = requiredAffix(items, 1);
  // One item gives both affixes: they may overlap, so only the prefix is used.
  const suffix = items.length > 1 ? requiredAffix(items, -1) : "";
  if (items.some((it) => it.t === "alt")) return withAffixes(nfaMatcher(items), prefix, suffix);
  return fastShapeMatcher(items) ?? withAffixes(simpleMatcher(items), prefix, suffix);
}

/**
 * A literal every match must start with (`end` 1) or end with (`end` -1): a cheap test that
 * rejects most names before the matcher runs (`host-42{1,2}?` needs "host-42").
 */
function requiredAffix(items: readonly Item[], end: 1 | -1): string {
  const it = end === 1 ? items[0] : items[items.length - 1];
  if (it === undefined) return "";
  if (it.t === "lit") return it.s;
  if (it.t !== "alt") return "";
  const affixes = it.options.map((o) => requiredAffix(o, end));
  let common = affixes[0];
  for (const a of affixes) {
    let n = 0;
    const max = Math.min(a.length, common.length);
    if (end === 1) {
      while (n < max && a[n] === common[n]) n++;
      common = common.slice(0, n);
    } else {
      while (n < max && a[a.length - 1 - n] === common[common.length - 1 - n]) n++;
      common = common.slice(common.length - n);
    }
  }
  // Do not split a surrogate pair.
  if (end === 1 && isHighSurrogate(common.charCodeAt(common.length - 1))) {
    common = common.slice(0, -1);
  }
  if (end === -1 && isLowSurrogate(common.charCodeAt(0))) common = common.slice(1);
  return common;
}

function withAffixes(m: SegmentMatcher, prefix: string, suffix: string): SegmentMatcher {
  if (prefix === "" && suffix === "") return m;
  const min = prefix.length + suffix.length;
  return patternMatcher((s) =>
    s.length >= min && s.startsWith(prefix) && s.endsWith(suffix) && m.test(s)
  );
}

const NO_VALUES: readonly string[] = Object.freeze([]);

const ALL_MATCHER: SegmentMatcher = {
  kind: "all",
  values: NO_VALUES,
  test: (s) => s.length > 0,
};

function literalMatcher(value: string): SegmentMatcher {
  return { kind: "literal", values: [value], test: (s) => s === value };
}

function setMatcher(values: string[]): SegmentMatcher {
  const set = new Set(values);
  return { kind: "set", values, test: (s) => set.has(s) };
}

/** Orders strings by Unicode code point, as Python and Go sort (UTF-16 order differs). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after U+E000..U+FFFF in code point order.
    if (x >= 0xd800) x += x <= 0xdfff ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y <= 0xdfff ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

function classHas(item: { negate: boolean; ranges: readonly number[] }, cp: number): boolean {
  const r = item.ranges;
  let found = false;
  for (let k = 0; k < r.length; k += 2) {
    if (cp >= r[k] && cp <= r[k + 1]) {
      found = true;
      break;
    }
  }
  return found !== item.negate;
}

/**
 * A segment of literals, `?`, classes and `*` (no braces): greedy two-pointer matching that
 * backtracks only to the last star, O(pattern x name) at worst.
 */
function simpleMatcher(items: Item[]): SegmentMatcher {
  const steps = items;
  return patternMatcher((s) => {
    let i = 0;
    let pos = 0;
    let starItem = -1;
    let starPos = 0;
    for (;;) {
      if (i < steps.length) {
        const it = steps[i];
        if (it === STAR) {
          starItem = i++;
          starPos = pos;
          continue;
        }
        const next = stepItem(it, s, pos);
        if (next >= 0) {
          i++;
          pos = next;
          continue;
        }
      } else if (pos === s.length) {
        return true;
      }
      if (starItem < 0 || starPos >= s.length) return false;
      starPos += isHighSurrogate(s.charCodeAt(starPos)) ? 2 : 1;
      pos = starPos;
      i = starItem + 1;
    }
  });
}

/** The common shapes `prefix*`, `*suffix`, `*infix*`, `prefix*suffix` as string tests. */
function fastShapeMatcher(items: Item[]): SegmentMatcher | null {
  if (items.length === 2 && items[1] === STAR && items[0].t === "lit") {
    const prefix = items[0].s;
    return patternMatcher((s) => s.startsWith(prefix));
  }
  if (items.length === 2 && items[0] === STAR && items[1].t === "lit") {
    const suffix = items[1].s;
    return patternMatcher((s) => s.endsWith(suffix));
  }
  if (items.length === 3 && items[0] === STAR && items[2] === STAR && items[1].t === "lit") {
    const infix = items[1].s;
    return patternMatcher((s) => s.includes(infix));
  }
  if (items.length === 3 && items[1] === STAR && items[0].t === "lit" && items[2].t === "lit") {
    const prefix = items[0].s;
    const suffix = items[2].s;
    const min = prefix.length + suffix.length;
    return patternMatcher((s) => s.length >= min && s.startsWith(prefix) && s.endsWith(suffix));
  }
  return null;
}

/** Matches one non-star item at `pos`; returns the position after it, or -1. */
function stepItem(it: Item, s: string, pos: number): number {
  if (pos >= s.length) return -1;
  if (it.t === "lit") return s.startsWith(it.s, pos) ? pos + it.s.length : -1;
  const cp = s.codePointAt(pos)!;
  const next = pos + (cp > 0xffff ? 2 : 1);
  if (it.t === "any") return next;
  if (it.t === "class") return classHas(it, cp) ? next : -1;
  return -1;
}

function patternMatcher(test: (s: string) => boolean): SegmentMatcher {
  return { kind: "pattern", values: NO_VALUES, test };
}

// ---------------------------------------------------------------------------------------------
// Thompson NFA for segments with braces that are not expanded: time O(states x name length),
// states <= 2 x pattern length.

const OP_CHAR = 0;
const OP_ANY = 1;
const OP_CLASS = 2;
const OP_SPLIT = 3;
const OP_MATCH = 4;

function nfaMatcher(items: Item[]): SegmentMatcher {
  const op: number[] = [];
  const arg: number[] = [];
  const next: number[] = [];
  const split: number[][] = [];
  const classes: Extract<Item, { t: "class" }>[] = [];
  const add = (o: number, a: number, n: number, s: number[] = []): number => {
    op.push(o);
    arg.push(a);
    next.push(n);
    split.push(s);
    return op.length - 1;
  };
  const build = (seq: readonly Item[], cont: number): number => {
    let cur = cont;
    for (let k = seq.length - 1; k >= 0; k--) {
      const it = seq[k];
      if (it.t === "lit") {
        const cps = [...it.s].map((ch) => ch.codePointAt(0)!);
        for (let c = cps.length - 1; c >= 0; c--) cur = add(OP_CHAR, cps[c], cur);
      } else if (it.t === "any") {
        cur = add(OP_ANY, 0, cur);
      } else if (it.t === "class") {
        classes.push(it);
        cur = add(OP_CLASS, classes.length - 1, cur);
      } else if (it.t === "star") {
        const loop = add(OP_SPLIT, 0, -1);
        const any = add(OP_ANY, 0, loop);
        split[loop] = [any, cur];
        cur = loop;
      } else if (it.t === "alt") {
        const starts = it.options.map((o) => build(o, cur));
        cur = add(OP_SPLIT, 0, -1, starts);
      }
    }
    return cur;
  };
  const start = build(items, add(OP_MATCH, 0, -1));
  const mark = new Uint32Array(op.length);
  let gen = 0;
  const stack: number[] = [];

  /** The split-closure of `from` (or of the successors of `from` on `cp`), sorted. */
  const closure = (from: readonly number[], cp: number): number[] => {
    if (++gen === 0xffffffff) {
      mark.fill(0);
      gen = 1;
    }
    const list: number[] = [];
    for (const x of from) {
      const o = op[x];
      if (cp < 0) stack.push(x);
      else if (
        (o === OP_CHAR && arg[x] === cp) || o === OP_ANY ||
        (o === OP_CLASS && classHas(classes[arg[x]], cp))
      ) stack.push(next[x]);
      while (stack.length > 0) {
        const y = stack.pop()!;
        if (mark[y] === gen) continue;
        mark[y] = gen;
        if (op[y] !== OP_SPLIT) list.push(y);
        else for (const z of split[y]) stack.push(z);
      }
    }
    return list.sort((p, q) => p - q);
  };

  // DFA states are built lazily, one per distinct set of NFA states, and cached within a budget
  // of NFA state entries; past it, steps are computed without caching (linear, just slower).
  const cache = new Map<string, DfaState>();
  let budget = DFA_CACHE_ENTRIES;
  const state = (list: number[]): DfaState => {
    const key = list.join(",");
    let d = cache.get(key);
    if (d === undefined) {
      const cached = budget >= list.length;
      d = { list, accept: list.some((x) => op[x] === OP_MATCH), next: new Map(), cached };
      if (cached) {
        budget -= list.length + 1;
        cache.set(key, d);
      }
    }
    return d;
  };
  const first = state(closure([start], -1));

  return patternMatcher((s) => {
    let d = first;
    for (let i = 0; i < s.length;) {
      const cp = s.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      let n = d.next.get(cp);
      if (n === undefined) {
        n = state(closure(d.list, cp));
        if (n.cached && d.cached) d.next.set(cp, n);
      }
      if (n.list.length === 0) return false;
      d = n;
    }
    return d.accept;
  });
}

/** NFA state entries cached in DFA states per automaton: bounds memory on hostile patterns. */
const DFA_CACHE_ENTRIES = 262_144;

interface DfaState {
  readonly list: number[];
  readonly accept: boolean;
  readonly next: Map<number, DfaState>;
  readonly cached: boolean;
}

function formatCount(n: number): string {
  return Number.isFinite(n) && n < 1e15 ? String(n) : n.toExponential(2);
}
