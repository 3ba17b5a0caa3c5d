// The daemon's own path helpers: joining, the last component, and absolute resolution as
// node:path's resolve() does it for the paths the config can hold.

import { assertEquals } from "../_util/assert.ts";
import { baseName, joinPath, resolvePath } from "../../src/storage/path.ts";

Deno.test("joinPath() puts one separator between a directory and its names", () => {
  assertEquals(joinPath("wal", "00000001"), "wal/00000001");
  assertEquals(
    joinPath("/data/wal/", "checkpoint.1", "00000000"),
    "/data/wal/checkpoint.1/00000000",
  );
});

Deno.test("baseName() is the last component", () => {
  assertEquals(baseName("/data/wal/00000003"), "00000003");
  assertEquals(baseName("checkpoint.7"), "checkpoint.7");
});

Deno.test("resolvePath() makes a path absolute and drops ., .. and repeated separators", () => {
  assertEquals(resolvePath("/data//wal/./x/../y/"), "/data/wal/y");
  assertEquals(resolvePath("/.."), "/");
  assertEquals(resolvePath("wal"), `${Deno.cwd()}/wal`);
  assertEquals(resolvePath("./a/../../b"), resolvePath(`${Deno.cwd()}/../b`));
});
