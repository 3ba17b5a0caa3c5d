// Benchmarks of the metric name index over 1M names: finds of the usual shapes against a
// scan-everything baseline, adding names, and heap bytes per name (shown in the bench names).
// Run: deno bench --v8-flags=--expose-gc tests/bench/find_bench.ts  (the flag makes the memory
// figures exact; without it they include garbage).

import { compileGlob } from "../../src/index/glob.ts";
import { NameTrie } from "../../src/index/name_trie.ts";

const HOSTS = 10_000;
const CPUS = 100;

/** `sys.host-NNNN.cpu.NN.user`: 10,000 hosts x 100 CPUs = 1M names. */
function* hostNames(): Generator<string> {
  for (let h = 0; h < HOSTS; h++) {
    const host = `sys.host-${String(h).padStart(4, "0")}.cpu.`;
    for (let c = 0; c < CPUS; c++) yield `${host}${String(c).padStart(2, "0")}.user`;
  }
}

/** 1M names whose fourth segment is unique (a UUID): the worst case for sharing. */
function* uniqueNames(): Generator<string> {
  for (let i = 0; i < HOSTS * CPUS; i++) {
    yield `stats.timers.app-${i % 100}.${crypto.randomUUID()}.mean`;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap bytes per name retained by what `build` returns, after a full GC when available. */
function bytesPerName<T>(count: number, build: () => T): { value: T; label: string } {
  gc?.();
  gc?.();
  const before = Deno.memoryUsage().heapUsed;
  const value = build();
  gc?.();
  gc?.();
  const per = (Deno.memoryUsage().heapUsed - before) / count;
  return { value, label: `${per.toFixed(0)} B/name${gc ? "" : ", no --expose-gc"}` };
}

function trieOf(names: Iterable<string>): NameTrie {
  const trie = new NameTrie();
  for (const n of names) trie.add(n);
  return trie;
}

const COUNT = HOSTS * CPUS;
const hosts = bytesPerName(COUNT, () => trieOf(hostNames()));
const trie = hosts.value;
// Measured, then dropped: only its label is kept.
const uniqueLabel = bytesPerName(COUNT, () => trieOf(uniqueNames())).label;
const flat = bytesPerName(COUNT, () => new Set(hostNames()));
/** The names as one array, so that the add benchmarks time the index, not string building. */
const names = [...hostNames()];

/** Baseline: what an index without structure does, a RegExp over every name. */
function scanAll(set: Set<string>, re: RegExp): string[] {
  const out: string[] = [];
  for (const n of set) if (re.test(n)) out.push(n);
  return out;
}

Deno.bench({
  name: `NameTrie memory: sys.host-NNNN.cpu.NN.user (${hosts.label})`,
  group: "memory",
  n: 1,
  warmup: 0,
  fn: () => {},
});
Deno.bench({
  name: `NameTrie memory: stats.timers.app-N.<uuid>.mean (${uniqueLabel})`,
  group: "memory",
  n: 1,
  warmup: 0,
  fn: () => {},
});
Deno.bench({
  name: `Set<string> of the same sys.* names (${flat.label})`,
  group: "memory",
  n: 1,
  warmup: 0,
  fn: () => {},
});

Deno.bench({
  name: "find a.*.c: sys.*.cpu.07.user (10,000 matches)",
  group: "find a.*.c",
  fn: () => {
    trie.find("sys.*.cpu.07.user");
  },
});
Deno.bench({
  name: "baseline: RegExp over all 1M names",
  group: "find a.*.c",
  baseline: true,
  fn: () => {
    scanAll(flat.value, /^sys\.[^.]*\.cpu\.07\.user$/);
  },
});

Deno.bench({
  name: "find a.b.*: sys.host-4242.cpu.* (100 matches)",
  group: "find a.b.*",
  fn: () => {
    trie.find("sys.host-4242.cpu.*");
  },
});
const compiled = compileGlob("sys.host-4242.cpu.*");
Deno.bench({
  name: "find a.b.* with the glob compiled once",
  group: "find a.b.*",
  fn: () => {
    trie.find(compiled);
  },
});
Deno.bench({
  name: "baseline: RegExp over all 1M names",
  group: "find a.b.*",
  baseline: true,
  fn: () => {
    scanAll(flat.value, /^sys\.host-4242\.cpu\.[^.]*$/);
  },
});

Deno.bench({
  name: "find braces: sys.host-42{1,2,3}?.cpu.{00,01,02}.user (90 matches)",
  group: "find braces",
  fn: () => {
    trie.find("sys.host-42{1,2,3}?.cpu.{00,01,02}.user");
  },
});
Deno.bench({
  name: "find braces, literal lists: sys.host-{0001,0500,9999}.cpu.{00,99}.user",
  group: "find braces",
  fn: () => {
    trie.find("sys.host-{0001,0500,9999}.cpu.{00,99}.user");
  },
});
Deno.bench({
  name: "find 256 braces, past max-globs so unexpanded: sys.host-{0,1,2,3}x4.cpu.00.user",
  group: "find braces",
  fn: () => {
    trie.find(`sys.host-${"{0,1,2,3}".repeat(4)}.cpu.00.user`);
  },
});
Deno.bench({
  name: "baseline: RegExp over all 1M names",
  group: "find braces",
  baseline: true,
  fn: () => {
    scanAll(flat.value, /^sys\.host-42[123][^.]\.cpu\.(00|01|02)\.user$/);
  },
});

Deno.bench({
  name: "expand sys.host-00*.cpu.*.user (10,000 names)",
  group: "expand",
  fn: () => {
    trie.expand("sys.host-00*.cpu.*.user");
  },
});
Deno.bench({
  name: "find *.*.*.*.nope (walks every node, no match)",
  group: "expand",
  fn: () => {
    trie.find("*.*.*.*.nope");
  },
});

Deno.bench({
  name: "NameTrie.add() x 1M sys.host-NNNN.cpu.NN.user",
  group: "add 1M",
  n: 5,
  warmup: 1,
  fn: () => {
    trieOf(names);
  },
});
Deno.bench({
  name: "baseline: Set<string>.add() x 1M",
  group: "add 1M",
  baseline: true,
  n: 5,
  warmup: 1,
  fn: () => {
    new Set(names);
  },
});
