// storage-aggregation.conf: carbon's example file, first match wins, whisper's defaults for
// missing keys and unmatched metrics, and errors naming the file, the line and the problem.

import assert from "node:assert/strict";
import {
  DEFAULT_AGGREGATION,
  parseStorageAggregation,
} from "../../src/storage/storage_aggregation.ts";

const CARBON_EXAMPLE = `# Aggregation methods for whisper files. Entries are scanned in order,
# and first match wins. This file is scanned for changes every 60 seconds

[min]
pattern = \\.min$
xFilesFactor = 0.1
aggregationMethod = min

[max]
pattern = \\.max$
xFilesFactor = 0.1
aggregationMethod = max

[sum]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[default_average]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
`;

Deno.test("parseStorageAggregation() reads carbon's example file and the first matching section wins", () => {
  const rules = parseStorageAggregation(CARBON_EXAMPLE, "storage-aggregation.conf");
  const cases: [string, string, number, string][] = [
    ["app.latency.min", "min", 0.1, "min"],
    ["app.latency.max", "max", 0.1, "max"],
    ["app.requests.count", "sum", 0, "sum"],
    ["app.count.rate", "default_average", 0.5, "average"],
  ];
  for (const [metric, name, xFilesFactor, aggregationMethod] of cases) {
    const match = rules.match(metric);
    assert.deepEqual([match.name, match.xFilesFactor, match.aggregationMethod], [
      name,
      xFilesFactor,
      aggregationMethod,
    ]);
  }
});

Deno.test("parseStorageAggregation() fills keys a section leaves out with whisper's defaults", () => {
  const rules = parseStorageAggregation(
    "[only_method]\npattern = ^a\naggregationMethod = last\n[only_xff]\npattern = ^b\nxfilesfactor = .25\n[alias]\npattern = ^c\naggregationMethod = avg\n",
    "agg.conf",
  );
  const pick = (m: string) => {
    const { xFilesFactor, aggregationMethod } = rules.match(m);
    return [xFilesFactor, aggregationMethod];
  };
  assert.deepEqual(pick("a.x"), [0.5, "last"]);
  assert.deepEqual(pick("b.x"), [0.25, "average"]);
  assert.deepEqual(pick("c.x"), [0.5, "average"]);
  assert.equal(rules.match("d.x"), DEFAULT_AGGREGATION);
});

Deno.test("parseStorageAggregation() accepts each of whisper's eight methods", () => {
  const methods = ["average", "sum", "last", "max", "min", "avg_zero", "absmax", "absmin"];
  const text = methods.map((m) => `[${m}]\npattern = ^${m}$\naggregationMethod = ${m}\n`).join("");
  const rules = parseStorageAggregation(text, "agg.conf");
  for (const m of methods) assert.equal(rules.match(m).aggregationMethod, m);
});

Deno.test("parseStorageAggregation() names the file, line and problem of each error", () => {
  const cases: [string, string][] = [
    ["[a]\npattern = .*\nxFilesFactor = 2\n", 'line 3: xFilesFactor "2" is not between 0 and 1'],
    ["[a]\npattern = .*\nxFilesFactor = half\n", 'line 3: xFilesFactor "half" is not a number'],
    [
      "[a]\npattern = .*\n\naggregationMethod = median\n",
      'line 4: aggregationMethod "median" is not one of average, sum, last, max, min, avg_zero, absmax, absmin',
    ],
    ["\n[a]\nxFilesFactor = 0\n", "line 2: section [a] has no pattern"],
    ["[a]\npattern = [\n", 'line 2: pattern "[" is invalid'],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseStorageAggregation(text, "conf/storage-aggregation.conf"),
      (error: Error) => {
        assert.ok(error instanceof SyntaxError);
        assert.ok(
          error.message.startsWith(`Cannot parse conf/storage-aggregation.conf at ${problem}`),
          `${error.message}\n  expected: ${problem}`,
        );
        return true;
      },
    );
  }
});
