// The tag index and graphite-web's TagDB API over it: expressions, empty-value semantics,
// regex anchoring, autocomplete, the JSON bytes graphite-web writes, and the series log.

import { assert, assertEquals, assertThrows } from "../_util/assert.ts";
import { TagExprError } from "../../src/tags/tag_expr.ts";
import { TagIndex } from "../../src/tags/tag_index.ts";
import { TagDb } from "../../src/tags/tag_db.ts";
import { pyJson, tagsApi } from "../../src/tags/tagdb_api.ts";
import { SERIES_LOG_FILE } from "../../src/tags/series_log.ts";

const SERIES = [
  "cpu.load;dc=east;host=a",
  "cpu.load;dc=east;host=b",
  "cpu.load;dc=west;host=c",
  "mem.free;dc=east;host=a;role=db",
  "disk.used;host=a;mount=/var",
];

function index(): TagIndex {
  const idx = new TagIndex();
  for (const s of SERIES) idx.add(s);
  return idx;
}

Deno.test("TagIndex.findSeries() answers each expression form as graphite-web", () => {
  const idx = index();
  assertEquals(idx.findSeries(["dc=east"]), [
    "cpu.load;dc=east;host=a",
    "cpu.load;dc=east;host=b",
    "mem.free;dc=east;host=a;role=db",
  ]);
  assertEquals(idx.findSeries(["dc=east", "host!=a"]), ["cpu.load;dc=east;host=b"]);
  assertEquals(idx.findSeries(["name=~cpu", "dc!=~e"]), ["cpu.load;dc=west;host=c"]);
  // =~ matches from the start only
  assertEquals(idx.findSeries(["name=~load"]), []);
  assertEquals(idx.findSeries(["name=~.*load"]).length, 3);
  // a tag spec matching "" matches series without the tag
  assertEquals(idx.findSeries(["host=a", "role="]), [
    "cpu.load;dc=east;host=a",
    "disk.used;host=a;mount=/var",
  ]);
  assertEquals(idx.findSeries(["role!="]), ["mem.free;dc=east;host=a;role=db"]);
  assertEquals(idx.findSeries(["dc=north"]), []);
  assertEquals(idx.findSeries(["nosuchtag=x"]), []);
});

Deno.test("TagIndex.findSeries() refuses queries that select nothing or do not parse", () => {
  const idx = index();
  assertThrows(
    () => idx.findSeries(["dc!=east"]),
    TagExprError,
    "At least one tagspec must not match the empty string",
  );
  assertThrows(() => idx.findSeries(["dc"]), TagExprError, "Invalid tagspec dc");
  assertThrows(() => idx.findSeries(["name=~("]), TagExprError, "Invalid regular expression");
});

Deno.test("TagIndex autocompletes tags and values with prefix and limit", () => {
  const idx = index();
  assertEquals(idx.autoCompleteTags([]), ["dc", "host", "mount", "name", "role"]);
  assertEquals(idx.autoCompleteTags([], "h"), ["host"]);
  assertEquals(idx.autoCompleteTags(["dc=east"]), ["host", "name", "role"]);
  assertEquals(idx.autoCompleteTags([], "", 2), ["dc", "host"]);
  assertEquals(idx.autoCompleteValues([], "host"), ["a", "b", "c"]);
  assertEquals(idx.autoCompleteValues(["dc=east"], "host"), ["a", "b"]);
  assertEquals(idx.autoCompleteValues([], "name", "cpu"), ["cpu.load"]);
  assertEquals(idx.getTag("dc"), {
    tag: "dc",
    values: [{ value: "east", count: 3 }, { value: "west", count: 1 }],
  });
  assertEquals(idx.getTag("nope"), null);
  assertEquals(idx.listTags("^(h|m)"), [{ tag: "host" }, { tag: "mount" }]);
});

Deno.test("TagIndex.delete() removes a series from every tag", () => {
  const idx = index();
  assert.ok(idx.delete("mem.free;role=db;host=a;dc=east"));
  assertEquals(idx.autoCompleteTags([]), ["dc", "host", "mount", "name"]);
  assertEquals(idx.size, SERIES.length - 1);
});

Deno.test("pyJson() writes what Python's json.dumps writes", () => {
  assertEquals(pyJson(["a", "b"]), '["a", "b"]');
  assertEquals(
    pyJson({ tag: "é", values: [{ value: "😀", count: 1 }] }),
    '{"tag": "\\u00e9", "values": [{"value": "\\ud83d\\ude00", "count": 1}]}',
  );
  assertEquals(pyJson(true), "true");
  assertEquals(pyJson(null), "null");
});

const req = (
  db: TagDb,
  method: string,
  path: string,
  params: Record<string, string | string[]>,
) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) p.append(k, x);
  return tagsApi(db, method, path, p);
};

Deno.test("tagsApi() answers graphite-web's routes, methods and errors", async () => {
  const db = new TagDb({ dataDir: null });
  let res = req(db, "POST", "/tags/tagMultiSeries", { path: ["b;y=2;x=1", "a;k=v"] });
  assertEquals(await res.text(), '["b;x=1;y=2", "a;k=v"]');
  res = req(db, "POST", "/tags/tagSeries", { path: "c;z=3" });
  assertEquals(await res.text(), '"c;z=3"');
  res = req(db, "GET", "/tags/findSeries", { expr: ["x=1"] });
  assertEquals(await res.text(), '["b;x=1;y=2"]');
  res = req(db, "POST", "/tags/findSeries", { "expr[]": ["k=v"] });
  assertEquals(await res.text(), '["a;k=v"]');
  res = req(db, "GET", "/tags/findSeries", {});
  assertEquals([res.status, await res.text()], [400, '{"error": "no tag expressions specified"}']);
  res = req(db, "GET", "/tags/findSeries", { expr: "x!=1" });
  assertEquals(res.status, 400);
  res = req(db, "GET", "/tags/tagSeries", { path: "a;b=c" });
  assertEquals(res.status, 405);
  res = req(db, "GET", "/tags", {});
  assertEquals(
    await res.text(),
    '[{"tag": "k"}, {"tag": "name"}, {"tag": "x"}, {"tag": "y"}, {"tag": "z"}]',
  );
  res = req(db, "GET", "/tags/x", {});
  assertEquals(await res.text(), '{"tag": "x", "values": [{"value": "1", "count": 1}]}');
  res = req(db, "POST", "/tags/autoComplete/tags", { tagPrefix: "", limit: "2", expr: [] });
  assertEquals(await res.text(), '["k", "name"]');
  res = req(db, "GET", "/tags/autoComplete/values", { tag: "name", valuePrefix: "b" });
  assertEquals(await res.text(), '["b"]');
  res = req(db, "POST", "/tags/delSeries", { path: "b;x=1;y=2" });
  assertEquals(await res.text(), "true");
  res = req(db, "GET", "/tags/findSeries", { expr: "x=1" });
  assertEquals(await res.text(), "[]");
  res = req(db, "POST", "/tags/tagSeries", { path: "a;b" });
  assertEquals(res.status, 400);
});

Deno.test("TagDb keeps registered and created series in its log across restarts", () => {
  const dir = Deno.makeTempDirSync();
  const db = new TagDb({ dataDir: dir });
  db.start();
  db.register("a;k=v;j=w");
  db.fileCreated("b;x=1");
  db.fileCreated("c;k="); // kept raw for invalid tags: a file, no tags
  db.register("gone;k=v");
  db.delete("gone;k=v");
  db.stop();
  // a crash tore the last record
  Deno.writeTextFileSync(`${dir}/_tagged/${SERIES_LOG_FILE}`, "+torn;k=", { append: true });
  const again = new TagDb({ dataDir: dir });
  again.start();
  assertEquals([...again.index.names()].sort(), ["a;j=w;k=v", "b;x=1"]);
  again.stop();
  const text = Deno.readTextFileSync(`${dir}/_tagged/${SERIES_LOG_FILE}`);
  assertEquals(text, "carbonado tagged series v1\n+a;j=w;k=v\n+b;x=1\n");
});
