// The INI reader of carbon's config files.

import assert from "node:assert/strict";
import { parseIni } from "../../src/storage/ini.ts";

Deno.test("parseIni() lower-cases keys, strips one pair of quotes and skips comments", () => {
  const sections = parseIni(
    "; comment\n[S]\n  Key = 'a=b'  \nother: \"x\"\n# more\nempty =\n",
    "f.conf",
  );
  assert.equal(sections.length, 1);
  assert.equal(sections[0].name, "S");
  assert.deepEqual([...sections[0].entries.entries()], [
    ["key", { value: "a=b", line: 3 }],
    ["other", { value: "x", line: 4 }],
    ["empty", { value: "", line: 6 }],
  ]);
});
