// storage-schemas.conf: carbon's example file, first match wins, go-carbon priorities, the
// default schema, and errors naming the file, the line and the problem.

import assert from "node:assert/strict";
import { DEFAULT_SCHEMA, parseStorageSchemas } from "../../src/storage/storage_schemas.ts";

const CARBON_EXAMPLE = `# Schema definitions for Whisper files. Entries are scanned in order,
# and first match wins. This file is scanned for changes every 60 seconds.

[carbon]
pattern = ^carbon\\.
retentions = 60:90d

[collectd]
Pattern = ^collectd\\.
retentions = 10s:6h,1min:7d,10min:5y

[legacy]
pattern: ^legacy\\.
retentions = 60:1440, 3600:8760

[default_1min_for_1day]
pattern = .*
retentions = 60s:1d
`;

Deno.test("parseStorageSchemas() reads carbon's example file and the first matching section wins", () => {
  const schemas = parseStorageSchemas(CARBON_EXAMPLE, "storage-schemas.conf");
  const cases: [string, string, [number, number][]][] = [
    ["carbon.agents.host.cpuUsage", "carbon", [[60, 129600]]],
    ["collectd.host.load", "collectd", [[10, 2160], [60, 10080], [600, 262800]]],
    ["legacy.thing", "legacy", [[60, 1440], [3600, 8760]]],
    ["app.carbon.x", "default_1min_for_1day", [[60, 1440]]],
  ];
  for (const [metric, name, retentions] of cases) {
    const match = schemas.match(metric);
    assert.equal(match.name, name, metric);
    assert.deepEqual(
      match.retentions.map((a) => [a.secondsPerPoint, a.points]),
      retentions,
      metric,
    );
  }
});

Deno.test("parseStorageSchemas() tries higher priorities first, ties in file order", () => {
  const text = `
[low]
pattern = ^a
retentions = 1m:1d
[high]
pattern = ^a\\.b
retentions = 10s:1d
priority = 10
[tie_first]
pattern = ^a\\.b\\.c
retentions = 1s:1h
priority = 10
[negative]
pattern = .
retentions = 1h:1y
priority = -1
`;
  const schemas = parseStorageSchemas(text, "schemas.conf");
  assert.deepEqual(schemas.schemas.map((s) => s.name), ["high", "tie_first", "low", "negative"]);
  assert.equal(schemas.match("a.b.c").name, "high");
  assert.equal(schemas.match("a.x").name, "low");
  assert.equal(schemas.match("zzz").name, "negative");
});

Deno.test("parseStorageSchemas() sorts retentions by precision and falls back to carbon's default", () => {
  const schemas = parseStorageSchemas(
    "[x]\npattern = ^x$\nretentions = 1h:1y, 1m:1w ,10s:1d\n",
    "s.conf",
  );
  assert.deepEqual(schemas.match("x").retentions, [
    { secondsPerPoint: 10, points: 8640 },
    { secondsPerPoint: 60, points: 10080 },
    { secondsPerPoint: 3600, points: 8760 },
  ]);
  assert.equal(schemas.match("y"), DEFAULT_SCHEMA);
  assert.deepEqual(DEFAULT_SCHEMA.retentions, [{ secondsPerPoint: 60, points: 10080 }]);
});

Deno.test("parseStorageSchemas() names the file, line and problem of each error", () => {
  const cases: [string, string][] = [
    [
      "[a]\npattern = .*\n\nretentions = 10s:1d,1x:1y\n",
      'line 4: retention "1x:1y": unknown unit "x"',
    ],
    ["[a]\npattern = .*\nretentions = 60\n", 'line 3: retention "60": expected precision:duration'],
    ["# c\n[nopattern]\nretentions = 60:10\n", "line 2: section [nopattern] has no pattern"],
    ["[a]\npattern = .*\n", "line 1: section [a] has no retentions"],
    ["[a]\npattern = (\nretentions = 60:10\n", 'line 2: pattern "(" is invalid'],
    [
      "[a]\npattern = .*\nretentions = 10s:1h,7s:1d\n",
      'line 3: retentions "10s:1h,7s:1d": Higher precision archives\' precision must evenly ' +
      "divide all lower precision archives' precision (archive0: 7, archive1: 10)",
    ],
    [
      "[a]\npattern = .*\nretentions = 10s:1d,1m:1h\n",
      'line 3: retentions "10s:1d,1m:1h": Lower precision archives must cover larger time',
    ],
    ["[a]\npattern = .*\nretentions = 60:10\npriority = high\n", 'line 4: priority "high"'],
    ["pattern = .*\n", 'line 1: "pattern = .*" is outside any [section]'],
    ["[a\npattern = .*\n", 'line 1: section header "[a" has no closing bracket'],
    [
      "[a]\npattern = x\npattern = y\n",
      'line 3: key "pattern" repeats in section [a] (first at line 2)',
    ],
    ["[a]\njust words\n", 'line 2: expected key = value, found "just words"'],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseStorageSchemas(text, "/etc/carbon/storage-schemas.conf"),
      (error: Error) => {
        assert.ok(error instanceof SyntaxError);
        assert.ok(
          error.message.startsWith(`Cannot parse /etc/carbon/storage-schemas.conf at ${problem}`),
          `${error.message}\n  expected: ${problem}`,
        );
        return true;
      },
    );
  }
});
