// The series table of a remote: Graphite names that map to the same labels share one output
// series (one newest timestamp, one shard); excluded names are remembered as such; series a
// checkpoint no longer lists are forgotten only if they were introduced before it; a snapshot's
// rows load back with the newest timestamps.

import { assert, assertEquals } from "../_util/assert.ts";
import { NameMapper } from "../../src/remote/names.ts";
import { SeriesTable } from "../../src/remote/series.ts";

const utf8 = new TextEncoder();

/** Adds a reference as a Series record in segment `since` introduces it. */
function add(t: SeriesTable, ref: number, name: string, since: number) {
  const bytes = utf8.encode(`;;${name};`); // inside a larger buffer, as in a record
  t.add(ref, bytes, 2, bytes.length - 1, since);
}

function table() {
  return new SeriesTable(
    new NameMapper({ names: "sanitized", include: [], exclude: ["skip.*"], mapping: [] }),
  );
}

Deno.test("SeriesTable: names with the same labels share an output series; excluded ones map to null", () => {
  const t = table();
  add(t, 1, "a.b", 0);
  add(t, 2, "a_b", 0); // sanitizes to the same __name__
  add(t, 3, "a.c;x=1", 0);
  add(t, 4, "skip.me", 0);
  add(t, 1, "ignored.repeat", 3); // a repeated ref (a checkpoint lists it again) changes nothing
  assertEquals([t.size, t.outputs], [4, 2]);
  assert(t.lookup(1) === t.lookup(2));
  assert(t.lookup(1) !== t.lookup(3));
  assertEquals(t.lookup(4), null);
  assertEquals(t.lookup(99), undefined);
  assertEquals(t.lookup(1)!.hash, t.lookup(2)!.hash);
});

Deno.test("SeriesTable.forgetExcept() forgets only dead refs introduced up to the checkpoint", () => {
  const t = table();
  add(t, 1, "a.b", 3);
  add(t, 2, "a_b", 4);
  add(t, 3, "c.d", 5);
  add(t, 4, "e.f", 9); // introduced after checkpoint 6: not in it, but alive
  assertEquals(t.forgetExcept(new Set([2]), 6), 2); // refs 1 and 3
  assertEquals([t.size, t.outputs], [2, 2]);
  assert(t.lookup(2) !== undefined && t.lookup(4) !== undefined);
  assertEquals(t.lookup(1), undefined);
  t.forgetExcept(new Set(), 10);
  assertEquals([t.size, t.outputs], [0, 0]);
});

Deno.test("SeriesTable: rows() and load() carry the newest timestamp sent per output series", () => {
  const t = table();
  add(t, 1, "a.b", 0);
  add(t, 2, "a_b", 0);
  add(t, 3, "skip.me", 0);
  t.lookup(1)!.newest = 5000;
  const rows = t.rows();
  assertEquals(rows, [
    { ref: 1, name: utf8.encode("a.b"), newest: 5000 },
    { ref: 2, name: utf8.encode("a_b"), newest: 5000 },
    { ref: 3, name: utf8.encode("skip.me"), newest: -Infinity },
  ]);
  const u = table();
  u.load(rows, 7);
  assertEquals(u.lookup(2)!.newest, 5000);
  assertEquals(u.lookup(3), null);
  assertEquals(u.forgetExcept(new Set(), 6), 0); // loaded at segment 7: newer than checkpoint 6
});
