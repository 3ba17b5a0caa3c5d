// The metric name index: a trie of dot-separated segments holding every known metric name.
// A node may be both a branch and a leaf, as in Graphite (`a.b` and `a.b.c` both exist).
// Memory is kept low by interning segment strings (one `"user"` for a million `...cpu.N.user`)
// and by storing a leaf without children as its bare (interned) segment string, not an object.

import { compareCodePoints, type CompiledGlob, compileGlob, type GlobOptions } from "./glob.ts";

/** go-carbon's `max-metrics-globbed` default: matches a find may return. */
export const DEFAULT_MAX_RESULTS = 10_000_000;
/** Children kept in a sorted array (binary search) before switching to a Map. */
const ARRAY_MAX_CHILDREN = 1024;
/**
 * Below this many children an insert copies to an exact-size array instead of growing one with
 * `splice` (which leaves up to 50% slack): more short-lived garbage while building, less memory.
 */
const EXACT_ARRAY_MAX_CHILDREN = 128;
/** V8 shares the text of substrings this long with their source; such keys get copied. */
const SLICED_STRING_MIN_CHARS = 13;

/** One match of a find: a path, and whether it is a metric (leaf) or a branch. */
export interface FindMatch {
  /** The dotted path, e.g. `sys.host-1.cpu`. */
  readonly path: string;
  /** True for a metric, false for a branch; a path that is both yields two matches. */
  readonly isLeaf: boolean;
}

/** Options of `NameTrie.find` and `NameTrie.expand`. */
export interface FindOptions {
  /** Stop after this many matches and set `limitReached` (default `DEFAULT_MAX_RESULTS`). */
  maxResults?: number;
}

/** What `NameTrie.find` returns. */
export interface FindResult {
  /** Matches sorted by path (code point order), a branch before a leaf of the same path. */
  readonly matches: FindMatch[];
  /** True when more than `maxResults` matches exist; `matches` then holds an unsorted subset. */
  readonly limitReached: boolean;
  /** Trie nodes looked at (go-carbon's "lookups"), for logs and stats. */
  readonly visited: number;
}

/** What `NameTrie.expand` returns. */
export interface ExpandResult {
  /** Metric names, sorted (code point order). */
  readonly names: string[];
  /** True when more than `maxResults` names exist; `names` then holds an unsorted subset. */
  readonly limitReached: boolean;
  /** Trie nodes looked at. */
  readonly visited: number;
}

/** Counters of a `NameTrie`. */
export interface TrieStats {
  /** Metric names (leaves). */
  metrics: number;
  /** Branch nodes (paths that have children). */
  branches: number;
  /** Distinct segment strings interned. */
  segments: number;
}

/**
 * A child: a bare segment string is a metric without children; a `Branch` has children, and is
 * also a metric when it is a `LeafBranch`. Two fields per node object (40 bytes in V8 without
 * pointer compression), the leaf flag carried by the class.
 */
type Child = string | Branch;
/**
 * Children: none, one, a sorted array of name/child pairs (`[name0, child0, name1, ...]`, so a
 * binary search reads the array and the shared interned names, not every child object), or a
 * Map for wide levels.
 */
type Kids = null | Child | Pairs | Map<string, Child>;
type Pairs = (string | Branch)[];

class Branch {
  readonly seg: string;
  kids: Kids;

  constructor(seg: string, kids: Kids) {
    this.seg = seg;
    this.kids = kids;
  }
}

class LeafBranch extends Branch {}

function nameOf(c: Child): string {
  return typeof c === "string" ? c : c.seg;
}

function isLeaf(c: Child): boolean {
  return typeof c === "string" || c instanceof LeafBranch;
}

function isSingle(k: Kids): k is Child {
  return typeof k === "string" || k instanceof Branch;
}

/** Binary search in sorted pairs: the pair index of `seg`, or `-(insertion pair index) - 1`. */
function search(pairs: Pairs, seg: string): number {
  let lo = 0;
  let hi = (pairs.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const name = pairs[mid << 1] as string;
    if (name === seg) return mid;
    if (name < seg) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function getChild(node: Branch, seg: string): Child | undefined {
  const k = node.kids;
  if (k === null) return undefined;
  if (typeof k === "string") return k === seg ? k : undefined;
  if (k instanceof Branch) return k.seg === seg ? k : undefined;
  if (Array.isArray(k)) {
    const i = search(k, seg);
    return i >= 0 ? k[(i << 1) + 1] : undefined;
  }
  return k.get(seg);
}

/** Adds `child`, or replaces the child of the same name. */
function putChild(node: Branch, child: Child): void {
  const seg = nameOf(child);
  const k = node.kids;
  if (k === null) {
    node.kids = child;
  } else if (isSingle(k)) {
    const other = nameOf(k);
    node.kids = other === seg
      ? child
      : other < seg
      ? [other, k, seg, child]
      : [seg, child, other, k];
  } else if (Array.isArray(k)) {
    const i = search(k, seg);
    const n = k.length >> 1;
    if (i >= 0) {
      k[(i << 1) + 1] = child;
    } else if (n < EXACT_ARRAY_MAX_CHILDREN) {
      node.kids = k.toSpliced((-i - 1) << 1, 0, seg, child);
    } else if (n < ARRAY_MAX_CHILDREN) {
      k.splice((-i - 1) << 1, 0, seg, child);
    } else {
      const map = new Map<string, Child>();
      for (let j = 0; j < k.length; j += 2) map.set(k[j] as string, k[j + 1]);
      map.set(seg, child);
      node.kids = map;
    }
  } else {
    k.set(seg, child);
  }
}

function removeChild(node: Branch, seg: string): void {
  const k = node.kids;
  if (k === null) return;
  if (isSingle(k)) {
    if (nameOf(k) === seg) node.kids = null;
  } else if (Array.isArray(k)) {
    const i = search(k, seg);
    if (i < 0) return;
    if (k.length === 4) node.kids = k[((1 - i) << 1) + 1];
    else if (k.length >> 1 <= EXACT_ARRAY_MAX_CHILDREN) node.kids = k.toSpliced(i << 1, 2);
    else k.splice(i << 1, 2);
  } else {
    k.delete(seg);
    if (k.size === 0) node.kids = null;
  }
}

/** Calls `fn` for each child until it returns false; returns false when stopped. */
function eachChild(node: Branch, fn: (c: Child) => boolean): boolean {
  const k = node.kids;
  if (k === null) return true;
  if (isSingle(k)) return fn(k);
  if (Array.isArray(k)) {
    for (let i = 1; i < k.length; i += 2) if (!fn(k[i])) return false;
    return true;
  }
  for (const c of k.values()) if (!fn(c)) return false;
  return true;
}

function childCount(node: Branch): number {
  const k = node.kids;
  if (k === null) return 0;
  if (isSingle(k)) return 1;
  return Array.isArray(k) ? k.length >> 1 : k.size;
}

/** Splits a metric name into segments; throws on an empty name or an empty segment. */
function splitName(name: string): string[] {
  const parts = name.split(".");
  for (const p of parts) {
    if (p === "") {
      const shown = name.length > 60 ? `${name.slice(0, 60)}...` : name;
      throw new RangeError(`Invalid metric name "${shown}": empty segment`);
    }
  }
  return parts;
}

/** Code point order is only needed when a path holds a character at or above U+D800. */
const NEEDS_CODE_POINT_ORDER = /[\ud800-\uffff]/;

function comparePaths(paths: readonly string[]): (a: string, b: string) => number {
  if (paths.some((p) => NEEDS_CODE_POINT_ORDER.test(p))) return compareCodePoints;
  return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The set of known metric names, organised by segment for Graphite finds.
 *
 * @example
 * ```ts
 * const trie = new NameTrie();
 * trie.add("sys.host-1.cpu.user");
 * trie.add("sys.host-2.cpu.user");
 * trie.find("sys.*").matches; // [{ path: "sys.host-1", isLeaf: false }, { path: "sys.host-2", ... }]
 * trie.expand("sys.*.cpu.user").names; // ["sys.host-1.cpu.user", "sys.host-2.cpu.user"]
 * ```
 */
export class NameTrie {
  #root = new Branch("", null);
  #intern = new Map<string, string>();
  #metrics = 0;
  #branches = 0;
  #globOptions: GlobOptions;

  /** `globOptions` apply to patterns given as strings (max-globs, fail-on-max-globs, limits). */
  constructor(globOptions: GlobOptions = {}) {
    this.#globOptions = globOptions;
  }

  /** Number of metric names (leaves). */
  get size(): number {
    return this.#metrics;
  }

  /** Counters: metrics, branches, interned segments. */
  stats(): TrieStats {
    return { metrics: this.#metrics, branches: this.#branches, segments: this.#intern.size };
  }

  /**
   * Adds a metric name; returns true when it was not known yet.
   * @throws {RangeError} when the name is empty or has an empty segment (`a..b`, `.a`, `a.`)
   */
  add(name: string): boolean {
    const parts = splitName(name);
    let node = this.#root;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) {
      const c = getChild(node, parts[i]);
      if (c instanceof Branch) {
        node = c;
        continue;
      }
      // A new branch, or a bare leaf that gets its first child.
      const next = c === undefined
        ? new Branch(this.#interned(parts[i]), null)
        : new LeafBranch(c, null);
      putChild(node, next);
      this.#branches++;
      node = next;
    }
    const c = getChild(node, parts[last]);
    if (c === undefined) putChild(node, this.#interned(parts[last]));
    else if (typeof c === "string" || c instanceof LeafBranch) return false;
    else putChild(node, new LeafBranch(c.seg, c.kids));
    this.#metrics++;
    return true;
  }

  /** True when `name` is a known metric (a leaf). */
  has(name: string): boolean {
    const c = this.#lookup(name);
    return c !== undefined && isLeaf(c);
  }

  /** True when `name` is a branch: some known metric starts with `name + "."`. */
  hasBranch(name: string): boolean {
    const c = this.#lookup(name);
    return c instanceof Branch;
  }

  /**
   * Removes a metric name; returns true when it was known. Branches left without children are
   * removed too. Interned segment strings are kept.
   */
  delete(name: string): boolean {
    const parts = name.split(".");
    const path: Branch[] = [this.#root];
    for (let i = 0; i < parts.length - 1; i++) {
      const c = getChild(path[i], parts[i]);
      if (!(c instanceof Branch)) return false;
      path.push(c);
    }
    const parent = path[path.length - 1];
    const c = getChild(parent, parts[parts.length - 1]);
    if (c === undefined || !isLeaf(c)) return false;
    this.#metrics--;
    if (c instanceof Branch) {
      // Still a branch: only the leaf flag goes.
      putChild(parent, new Branch(c.seg, c.kids));
      return true;
    }
    removeChild(parent, c);
    // Prune branches left without children; a leaf branch becomes a bare string again.
    for (let i = path.length - 1; i > 0; i--) {
      const node = path[i];
      if (node.kids !== null) break;
      this.#branches--;
      if (node instanceof LeafBranch) {
        putChild(path[i - 1], node.seg);
        break;
      }
      removeChild(path[i - 1], node.seg);
    }
    return true;
  }

  /**
   * Finds the branches and metrics matching a Graphite glob, as `/metrics/find` answers.
   * Literal segments are direct lookups; wildcard segments scan the children of that level.
   * When more than `maxResults` matches exist the walk stops and `limitReached` is set: the
   * caller answers with an error rather than a silently truncated list.
   *
   * @throws {RangeError} for a pattern `compileGlob` rejects
   */
  find(pattern: string | CompiledGlob, options: FindOptions = {}): FindResult {
    const { out, limitReached, visited } = this.#walk(pattern, false, options);
    if (!limitReached) {
      const cmp = comparePaths(out.map((m) => m.path));
      out.sort((a, b) => cmp(a.path, b.path) || Number(a.isLeaf) - Number(b.isLeaf));
    }
    return { matches: out, limitReached, visited };
  }

  /**
   * The metric names (leaves only) matching a glob, as `/render` needs them.
   *
   * @throws {RangeError} for a pattern `compileGlob` rejects
   */
  expand(pattern: string | CompiledGlob, options: FindOptions = {}): ExpandResult {
    const { out, limitReached, visited } = this.#walk(pattern, true, options);
    const names = out.map((m) => m.path);
    if (!limitReached) names.sort(comparePaths(names));
    return { names, limitReached, visited };
  }

  /** Every metric name, in no particular order (for `/metrics/list`). */
  *names(): Generator<string> {
    const stack: [Branch, string][] = [[this.#root, ""]];
    while (stack.length > 0) {
      const [node, prefix] = stack.pop()!;
      const found: string[] = [];
      eachChild(node, (c) => {
        const path = prefix === "" ? nameOf(c) : `${prefix}.${nameOf(c)}`;
        if (isLeaf(c)) found.push(path);
        if (c instanceof Branch) stack.push([c, path]);
        return true;
      });
      yield* found;
    }
  }

  #lookup(name: string): Child | undefined {
    const parts = name.split(".");
    let node = this.#root;
    for (let i = 0; i < parts.length - 1; i++) {
      const c = getChild(node, parts[i]);
      if (c === undefined || typeof c === "string") return undefined;
      node = c;
    }
    return getChild(node, parts[parts.length - 1]);
  }

  #interned(seg: string): string {
    const known = this.#intern.get(seg);
    if (known !== undefined) return known;
    // A long substring would keep the whole name it was cut from alive: store a fresh copy.
    const own = seg.length >= SLICED_STRING_MIN_CHARS ? JSON.parse(JSON.stringify(seg)) : seg;
    this.#intern.set(own, own);
    return own;
  }

  #walk(
    pattern: string | CompiledGlob,
    leavesOnly: boolean,
    options: FindOptions,
  ): { out: FindMatch[]; limitReached: boolean; visited: number } {
    const glob = typeof pattern === "string" ? compileGlob(pattern, this.#globOptions) : pattern;
    const max = options.maxResults ?? DEFAULT_MAX_RESULTS;
    const out: FindMatch[] = [];
    // Dotted braces give several paths to walk; their matches may overlap.
    const seen = glob.alternatives.length > 1 ? new Set<string>() : null;
    let limitReached = false;
    let visited = 0;

    const emit = (path: string, isLeaf: boolean): boolean => {
      if (seen !== null) {
        const key = isLeaf ? `L${path}` : `B${path}`;
        if (seen.has(key)) return true;
        seen.add(key);
      }
      if (out.length >= max) {
        limitReached = true;
        return false;
      }
      out.push({ path, isLeaf });
      return true;
    };

    for (const matchers of glob.alternatives) {
      const lastDepth = matchers.length - 1;
      // The segments of the current path; joined only for a match, never per visited node.
      const parts: string[] = new Array(matchers.length).fill("");
      const visit = (c: Child, depth: number, name: string): boolean => {
        visited++;
        parts[depth] = name;
        if (depth < lastDepth) return typeof c === "string" || walk(c, depth + 1);
        if (typeof c === "string") return emit(parts.join("."), true);
        const path = parts.join(".");
        if (!leavesOnly && !emit(path, false)) return false;
        return c instanceof LeafBranch ? emit(path, true) : true;
      };
      const walk = (node: Branch, depth: number): boolean => {
        const m = matchers[depth];
        const k = node.kids;
        if (m.kind === "literal" || (m.kind === "set" && m.values.length <= childCount(node))) {
          for (const v of m.values) {
            const c = getChild(node, v);
            if (c !== undefined && !visit(c, depth, v)) return false;
          }
          return true;
        }
        const all = m.kind === "all";
        if (k === null) return true;
        if (isSingle(k)) {
          const name = nameOf(k);
          if (all || m.test(name)) return visit(k, depth, name);
          visited++;
          return true;
        }
        if (Array.isArray(k)) {
          for (let i = 0; i < k.length; i += 2) {
            const name = k[i] as string;
            if (all || m.test(name)) {
              if (!visit(k[i + 1], depth, name)) return false;
            } else {
              visited++;
            }
          }
          return true;
        }
        for (const [name, c] of k) {
          if (all || m.test(name)) {
            if (!visit(c, depth, name)) return false;
          } else {
            visited++;
          }
        }
        return true;
      };
      if (!walk(this.#root, 0)) break;
    }
    return { out, limitReached, visited };
  }
}
