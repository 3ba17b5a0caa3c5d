// file_sd: JSON and YAML files, wildcards, changes found by polling, a broken file keeping its
// targets, a deleted file dropping them.

import { assertEquals } from "../_util/assert.ts";
import { expandPaths, FileDiscovery } from "../../src/scrape/discovery.ts";

Deno.test("FileDiscovery reads, notices changes and removals, and keeps a broken file's targets", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.json`, '[{"targets": ["a:1"], "labels": {"env": "p"}}]');
    await Deno.writeTextFile(`${dir}/b.yml`, "- targets: [b:2]\n");
    await Deno.writeTextFile(`${dir}/ignored.txt`, "x");
    let changes = 0;
    const d = new FileDiscovery([{
      files: [`${dir}/*.json`, `${dir}/b.yml`],
      refreshInterval: 300_000,
    }], () => changes++);
    assertEquals(d.poll(true), true);
    const targets = () =>
      d.groups().map((g) => [g.targets, g.labels.get("__meta_filepath"), g.labels.get("env")]);
    assertEquals(targets(), [[["a:1"], `${dir}/a.json`, "p"], [
      ["b:2"],
      `${dir}/b.yml`,
      undefined,
    ]]);
    assertEquals(d.poll(), false);
    await Deno.writeTextFile(`${dir}/a.json`, '[{"targets": ["a:1", "a:2"]}]');
    assertEquals(d.poll(), true);
    assertEquals(targets()[0][0], ["a:1", "a:2"]);
    await Deno.writeTextFile(`${dir}/a.json`, "[not json");
    assertEquals(d.poll(), false);
    assertEquals(d.readErrors, 1);
    assertEquals(targets()[0][0], ["a:1", "a:2"]);
    await Deno.remove(`${dir}/b.yml`);
    assertEquals(d.poll(), true);
    assertEquals(targets().length, 1);
    assertEquals(changes, 0); // onChange runs from the timer only
    d.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("expandPaths() matches a wildcard in the last segment only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["t1.json", "t2.json", "x.yml"]) await Deno.writeTextFile(`${dir}/${f}`, "[]");
    assertEquals(expandPaths([`${dir}/t*.json`, `${dir}/x.yml`, `${dir}/none/*.json`]), [
      `${dir}/t1.json`,
      `${dir}/t2.json`,
      `${dir}/x.yml`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
