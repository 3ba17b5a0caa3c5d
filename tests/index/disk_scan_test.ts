// Tests for the data directory scan and the DiskIndex component, over real temporary trees.

import assert from "node:assert/strict";
import { configureLogging } from "../../src/log/logger.ts";
import {
  DiskIndex,
  MAX_SCAN_DEPTH,
  scanDataDir,
  type ScanStats,
} from "../../src/index/disk_scan.ts";
import { skipUnless } from "../_util/requires.ts";

configureLogging({ level: "error", sink: () => {} });

/** Creates `files` (relative paths; a trailing "/" makes an empty directory) under a temp dir. */
async function tree(files: readonly string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "carbonado_scan_" });
  for (const f of files) {
    const path = `${root}/${f}`;
    if (f.endsWith("/")) {
      await Deno.mkdir(path, { recursive: true });
    } else {
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, new Uint8Array(0));
    }
  }
  return root;
}

async function scan(root: string, options?: Parameters<typeof scanDataDir>[2]) {
  const names: string[] = [];
  const stats = await scanDataDir(root, (n) => names.push(n), options);
  return { names: names.sort(), stats };
}

function counters(stats: ScanStats): Omit<ScanStats, "durationMs"> {
  const { durationMs: _, ...rest } = stats;
  return rest;
}

Deno.test("scanDataDir() turns every .wsp file into a metric name and skips the rest", async () => {
  const root = await tree([
    "a/b/c.wsp",
    "a/b/d.wsp",
    "a/b.wsp",
    "a/empty/",
    "a/deeper/still/empty/",
    "a/notes.txt",
    "a/c.wsp.tmp",
    "a/.hidden.wsp",
    "a/f.g.wsp",
    "a/dir.with.dot/x.wsp",
    "a/.wsp",
    ".snapshot/x.wsp",
    "_tagged/abc/def/0123abcd.wsp",
    "top.wsp",
    "caf\u00e9/\u65e5\u672c/p99.wsp",
    "n/1/2/3/4/5/6/7/8/9/10/leaf.wsp",
  ]);
  try {
    const { names, stats } = await scan(root);
    assert.deepEqual(names, [
      "a.b",
      "a.b.c",
      "a.b.d",
      "caf\u00e9.\u65e5\u672c.p99",
      "n.1.2.3.4.5.6.7.8.9.10.leaf",
      "top",
    ]);
    assert.deepEqual(counters(stats), {
      files: 6,
      dirs: 20,
      ignored: 8,
      unreadable: 0,
      symlinkLoops: 0,
      tooDeep: 0,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() indexes _tagged/ when asked to", async () => {
  const root = await tree(["_tagged/abc/def/0123abcd.wsp", "a.wsp"]);
  try {
    const { names } = await scan(root, { skipTagged: false });
    assert.deepEqual(names, ["_tagged.abc.def.0123abcd", "a"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() follows symlinks but not symlink loops", async () => {
  const root = await tree(["a/b/c.wsp", "other/x.wsp"]);
  try {
    await Deno.symlink("..", `${root}/a/up`); // a/up -> root: a loop
    await Deno.symlink(".", `${root}/a/b/self`); // a/b/self -> a/b: a loop
    await Deno.symlink("../other", `${root}/a/other`); // not a loop: walked under a second name
    await Deno.symlink("b/c.wsp", `${root}/a/alias.wsp`);
    await Deno.symlink("missing.wsp", `${root}/a/broken.wsp`);
    const { names, stats } = await scan(root);
    assert.deepEqual(names, ["a.alias", "a.b.c", "a.other.x", "other.x"]);
    assert.deepEqual(
      [stats.symlinkLoops, stats.unreadable, stats.files],
      [2, 1, 4],
    );
    const plain = await scan(root, { followSymlinks: false });
    assert.deepEqual(plain.names, ["a.b.c", "other.x"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() finds a symlinked data directory itself", async () => {
  const root = await tree(["real/a/b.wsp"]);
  try {
    await Deno.symlink(`${root}/real`, `${root}/link`);
    const { names } = await scan(`${root}/link/`);
    assert.deepEqual(names, ["a.b"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() treats a missing data directory as empty", async () => {
  const root = await Deno.makeTempDir({ prefix: "carbonado_scan_" });
  try {
    const { names, stats } = await scan(`${root}/not-created-yet`);
    assert.deepEqual([names, stats.files, stats.dirs, stats.unreadable], [[], 0, 0, 0]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test(skipUnless(Deno.uid() === 0 ? "root reads a mode-000 directory anyway" : null, {
  name: "scanDataDir() counts an unreadable directory and scans the others",
  fn: async () => {
    const root = await tree(["locked/x.wsp", "open/y.wsp"]);
    try {
      await Deno.chmod(`${root}/locked`, 0o000);
      const { names, stats } = await scan(root);
      assert.deepEqual([names, stats.unreadable], [["open.y"], 1]);
    } finally {
      await Deno.chmod(`${root}/locked`, 0o755);
      await Deno.remove(root, { recursive: true });
    }
  },
}));

Deno.test("scanDataDir() counts a directory it cannot open (path too long) and goes on", async () => {
  // 20 levels of 250-byte names pass PATH_MAX (4096). Made with short names, then renamed
  // bottom-up so that every rename still uses a short path.
  const levels = 20;
  const short = Array.from({ length: levels }, (_, i) => `s${i}`);
  const root = await tree(["ok.wsp", `${short.join("/")}/deep.wsp`]);
  try {
    for (let k = levels; k >= 1; k--) {
      const parent = [root, ...short.slice(0, k - 1)].join("/");
      await Deno.rename(`${parent}/${short[k - 1]}`, `${parent}/${"x".repeat(250)}`);
    }
    const { names, stats } = await scan(root);
    assert.deepEqual(names, ["ok"]);
    assert.equal(stats.unreadable, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() stops walking below MAX_SCAN_DEPTH", async () => {
  const deep = Array.from({ length: MAX_SCAN_DEPTH + 1 }, (_, i) => `d${i}`).join("/");
  const root = await tree([`${deep}/x.wsp`, "ok.wsp"]);
  try {
    const { names, stats } = await scan(root);
    assert.deepEqual([names, stats.tooDeep], [["ok"], 1]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("scanDataDir() rejects with the abort reason when its signal is aborted", async () => {
  const root = await tree(["a/b.wsp"]);
  try {
    const abort = new AbortController();
    abort.abort(new RangeError("stop now"));
    await assert.rejects(scan(root, { signal: abort.signal }), /stop now/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("DiskIndex scans at start, then takes new names one at a time", async () => {
  const root = await tree(["sys/h1/cpu.wsp", "sys/h2/cpu.wsp"]);
  const index = new DiskIndex(root);
  try {
    assert.equal(index.ready, false);
    index.start();
    await index.whenReady();
    assert.equal(index.ready, true);
    assert.deepEqual(index.trie.expand("sys.*.cpu").names, ["sys.h1.cpu", "sys.h2.cpu"]);
    index.add("sys.h3.cpu");
    assert.deepEqual(index.trie.expand("sys.*.cpu").names.length, 3);
    assert.equal(index.delete("sys.h1.cpu"), true);
    assert.deepEqual(index.trie.expand("sys.*.cpu").names, ["sys.h2.cpu", "sys.h3.cpu"]);
    const sent = new Map<string, number>();
    index.stat((s) => sent.set(s.name, s.value));
    assert.equal(sent.get("carbonado_index_metrics"), 2);
    assert.equal(sent.get("carbonado_index_scans_total"), 1);
  } finally {
    await index.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("DiskIndex.rescan() drops deleted files, keeps a name added since once, then drops it", async () => {
  const root = await tree(["a/old.wsp", "a/kept.wsp"]);
  const index = new DiskIndex(root);
  try {
    index.start();
    await index.whenReady();
    index.add("a.cache_only");
    await Deno.remove(`${root}/a/old.wsp`);
    await Deno.writeFile(`${root}/a/new.wsp`, new Uint8Array(0));
    const before = index.trie;
    const stats = await index.rescan();
    assert.equal(stats?.files, 2);
    assert.notEqual(index.trie, before, "the rebuilt trie is swapped in");
    assert.deepEqual(index.trie.expand("a.*").names, ["a.cache_only", "a.kept", "a.new"]);
    // Still not on disk at the next rescan: gone, as a file another tool removed
    await index.rescan();
    assert.deepEqual(index.trie.expand("a.*").names, ["a.kept", "a.new"]);
  } finally {
    await index.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("DiskIndex.stop() during the first scan leaves no timer or scan behind", async () => {
  const files = Array.from({ length: 200 }, (_, i) => `d${i % 20}/m${i}.wsp`);
  const root = await tree(files);
  const index = new DiskIndex(root, { scanIntervalMs: 3_600_000 });
  try {
    index.start();
    await index.stop();
    await index.whenReady();
    assert.equal(await index.rescan(), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("DiskIndex with a scan interval rescans on demand and leaves no timer after stop()", async () => {
  const root = await tree(["a.wsp"]);
  const index = new DiskIndex(root, { scanIntervalMs: 3_600_000 });
  try {
    index.start();
    await index.whenReady();
    assert.deepEqual(index.trie.expand("*").names, ["a"]);
    await Deno.writeFile(`${root}/b.wsp`, new Uint8Array(0));
    await index.rescan();
    assert.deepEqual(index.trie.expand("*").names, ["a", "b"]);
  } finally {
    await index.stop();
    await Deno.remove(root, { recursive: true });
  }
});
