// Retention definitions and archive-list validation against whisper.py's parseRetentionDef and
// validateArchiveList.

import assert from "node:assert/strict";
import {
  checkArchiveList,
  parseRetentionDef,
  parseRetentionDefs,
  validateArchiveList,
} from "../../src/whisper/archive_list.ts";
import { oracleTest } from "../_util/whisper_recording.ts";

const DEFINITIONS = [
  "60:1440",
  "1s:60s",
  "10s:6h",
  "1m:7d",
  "10m:5y",
  "1min:1d",
  "1h:1w",
  "5sec:1minutes",
  "1y:10y",
  "60:1d",
  "7:100s",
  " 10s:6h ",
  "1d:1y",
  "10x:1d",
  "10s",
  "s:10",
  "10S:1d",
  "10s:6h:1",
  "10s:-1",
  "1.5s:10",
  "10s:1q",
  ":",
];

oracleTest(
  "parseRetentionDef() accepts and rejects what whisper.parseRetentionDef does",
  async (oracle) => {
    for (const definition of DEFINITIONS) {
      const expected = await oracle.parseRetentionDef(definition);
      if (typeof expected === "string") {
        assert.throws(() => parseRetentionDef(definition), SyntaxError, definition);
      } else {
        const { secondsPerPoint, points } = parseRetentionDef(definition);
        assert.deepEqual([secondsPerPoint, points], expected, definition);
      }
    }
  },
);

Deno.test("parseRetentionDef() names the definition and the problem", () => {
  const cases: [string, string][] = [
    ["10x:1d", 'Cannot parse retention "10x:1d": unknown unit "x"'],
    ["10s", 'Cannot parse retention "10s": expected precision:duration'],
    ["s:10", 'Cannot parse retention "s:10": invalid precision "s"'],
    ["10s:1.5d", 'Cannot parse retention "10s:1.5d": invalid duration "1.5d"'],
  ];
  for (const [definition, message] of cases) {
    assert.throws(() => parseRetentionDef(definition), { name: "SyntaxError", message });
  }
  assert.deepEqual(parseRetentionDefs("10s:6h,1m:7d"), [
    { secondsPerPoint: 10, points: 2160 },
    { secondsPerPoint: 60, points: 10080 },
  ]);
});

const LISTS: [number, number][][] = [
  [[60, 1440]],
  [[1, 60], [10, 60], [60, 60]],
  [[60, 60], [10, 60], [1, 60]],
  [[10, 2160], [60, 10080], [600, 262800]],
  [[60, 10], [60, 20]],
  [[10, 60], [15, 100]],
  [[10, 60], [60, 10]],
  [[10, 60], [60, 5]],
  [[10, 3], [60, 100]],
  [[10, 6], [60, 100]],
  [[1, 10], [2, 20], [4, 40], [8, 80], [16, 160]],
  [[1, 10], [2, 20], [4, 40], [12, 10]],
];

oracleTest(
  "validateArchiveList() gives whisper's verdict and message for each list",
  async (oracle) => {
    for (const list of LISTS) {
      const expected = await oracle.validate(list);
      const archives = list.map(([secondsPerPoint, points]) => ({ secondsPerPoint, points }));
      const result = checkArchiveList(archives);
      if (expected === null) {
        assert.ok("archives" in result, JSON.stringify(list));
        assert.deepEqual(
          validateArchiveList(archives).map((a) => a.secondsPerPoint),
          list.map(([s]) => s).sort((a, b) => a - b),
        );
      } else {
        assert.ok("problem" in result, JSON.stringify(list));
        assert.equal(`InvalidConfiguration: ${result.problem}`, expected);
        assert.throws(() => validateArchiveList(archives), RangeError);
      }
    }
    assert.equal(
      await oracle.validate([]),
      "InvalidConfiguration: You must specify at least one archive configuration!",
    );
    assert.throws(() => validateArchiveList([]), {
      name: "RangeError",
      message: "You must specify at least one archive configuration",
    });
  },
);
