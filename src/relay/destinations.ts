// The relay's members as carbon-c-relay reads and orders them: `host[:port][=instance]`, the
// jump hash's bucket order (members with an instance first, sorted by it, numerically when both
// are integers; the rest in config order: peers.md E.3) and the rings of fnv1a_ch and carbon_ch
// (100 positions per member, sorted by position then host then port or instance, a run of equal
// positions carrying its first entry's member: peers.md E.4). carbon-c-relay sorts with glibc's
// qsort, a merge sort for arrays this small; mergeSort() below is that procedure, so that even
// comparisons that are not a consistent order (numeric against string instances) come out the
// same.

import type { RingEntry, RouteMethod } from "../wasm/router.ts";

/** A member of the cluster. */
export interface Destination {
  host: string;
  port: number;
  /** The `=instance` part, or null. */
  instance: string | null;
  /** `host:port`: the destination's name in logs, metrics and its queue directory. */
  address: string;
  /** Position in the config list. */
  index: number;
}

/** carbon-c-relay's port when a member gives none. */
export const DEFAULT_PORT = 2003;

/**
 * Parses one `host[:port][=instance]` member (`[v6]:port` for IPv6).
 *
 * @throws {RangeError} naming `key` when the member cannot be read
 */
export function parseDestination(spec: string, index: number, key: string): Destination {
  const bad = (why: string) =>
    new RangeError(
      `Invalid ${key}: "${spec}" ${why}; expected "host:port" or "host:port=instance"`,
    );
  const eq = spec.indexOf("=");
  const hostPort = eq < 0 ? spec : spec.slice(0, eq);
  const instance = eq < 0 ? null : spec.slice(eq + 1);
  if (instance === "") throw bad("has an empty instance");
  const m = /^(?:\[([^\]]+)\]|([^:\[\]\s]+))(?::(\d{1,5}))?$/.exec(hostPort);
  if (!m) throw bad("is not a host and port");
  const host = m[1] ?? m[2];
  const port = m[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw bad("has a port out of range");
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, instance, address, index };
}

/**
 * Parses the member list.
 *
 * @throws {RangeError} naming `key` for an empty list, a bad member or the same host:port twice
 */
export function parseDestinations(specs: readonly string[], key: string): Destination[] {
  if (specs.length === 0) throw new RangeError(`Invalid ${key}: the list is empty`);
  const out = specs.map((s, i) => parseDestination(s.trim(), i, key));
  const seen = new Set<string>();
  for (const d of out) {
    if (seen.has(d.address)) {
      throw new RangeError(`Invalid ${key}: ${d.address} is listed twice`);
    }
    seen.add(d.address);
  }
  return out;
}

const utf8 = new TextEncoder();

/** C's strcmp over the UTF-8 bytes. */
export function strcmp(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/** C's strtol(s, &end, 10) when it reads the whole string, or null (as a 64-bit integer). */
function wholeStrtol(s: string): bigint | null {
  if (s === "") return 0n; // no digits: end points at the start, which is the terminator
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return null;
  const v = BigInt(m[1]);
  const max = (1n << 63n) - 1n;
  return v > max ? max : v < -max - 1n ? -max - 1n : v;
}

/** glibc's merge sort (msort.c): split in halves, merge taking the left one unless cmp > 0. */
export function mergeSort<T>(items: readonly T[], cmp: (a: T, b: T) => number): T[] {
  if (items.length <= 1) return [...items];
  const half = Math.floor(items.length / 2);
  const left = mergeSort(items.slice(0, half), cmp);
  const right = mergeSort(items.slice(half), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    out.push(cmp(left[i], right[j]) <= 0 ? left[i++] : right[j++]);
  }
  return out.concat(left.slice(i), right.slice(j));
}

/** carbon-c-relay's entrycmp_jump_fnv1a, the insertion order standing for `pos`. */
function jumpCompare(l: Destination, r: Destination): number {
  if (l.instance === null && r.instance === null) return l.index - r.index;
  if (l.instance === null) return 1;
  if (r.instance === null) return -1;
  const vl = wholeStrtol(l.instance);
  if (vl !== null) {
    const vr = wholeStrtol(r.instance);
    if (vr !== null) return Number(BigInt.asIntN(32, BigInt.asIntN(64, vl - vr)));
  }
  return strcmp(l.instance, r.instance);
}

/** jump_fnv1a_ch's buckets: the member (config index) of each bucket. */
export function jumpOrder(dests: readonly Destination[]): number[] {
  return mergeSort(dests, jumpCompare).map((d) => d.index);
}

/** The string carbon-c-relay hashes for ring position `i` of a member. */
export function ringKey(method: "fnv1a_ch" | "carbon_ch", d: Destination, i: number): string {
  if (method === "carbon_ch") {
    // Python's str((server, instance)) as Graphite's carbon hashes it
    return `('${d.host}', ${d.instance === null ? "None" : `'${d.instance}'`}):${i}`;
  }
  return d.instance === null ? `${i}-${d.host}:${d.port}` : `${i}-${d.instance}`;
}

/**
 * The ring of fnv1a_ch or carbon_ch: `replicas` positions per member, sorted as carbon-c-relay
 * sorts them, equal positions taking the member of the first of their run.
 */
export function buildRing(
  method: "fnv1a_ch" | "carbon_ch",
  dests: readonly Destination[],
  replicas: number,
  position: (key: string) => number,
): RingEntry[] {
  const entries: { pos: number; d: Destination }[] = [];
  for (const d of dests) {
    for (let i = 0; i < replicas; i++) entries.push({ pos: position(ringKey(method, d, i)), d });
  }
  const sorted = mergeSort(entries, (l, r) => {
    if (l.pos !== r.pos) return l.pos - r.pos;
    const byHost = strcmp(l.d.host, r.d.host);
    if (byHost !== 0) return byHost;
    if (method === "fnv1a_ch") return l.d.port - r.d.port;
    if (l.d.instance === null && r.d.instance === null) return 0;
    if (l.d.instance === null) return 1;
    if (r.d.instance === null) return -1;
    return strcmp(l.d.instance, r.d.instance);
  });
  const ring = sorted.map((e) => ({ pos: e.pos, member: e.d.index }));
  for (let i = 1; i < ring.length; i++) {
    if (ring[i].pos === ring[i - 1].pos) ring[i].member = ring[i - 1].member;
  }
  return ring;
}

/** Routing set up for a member list: what WasmRouter needs besides the method. */
export function routingTables(
  method: RouteMethod,
  dests: readonly Destination[],
  replicas: number,
  position: (method: "fnv1a_ch" | "carbon_ch", key: string) => number,
): { order: number[] } | { ring: RingEntry[] } {
  if (method === "jump_fnv1a_ch") return { order: jumpOrder(dests) };
  return { ring: buildRing(method, dests, replicas, (key) => position(method, key)) };
}
