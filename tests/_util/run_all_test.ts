// The summary run_all.ts prints: Deno's and as-pect's counts, ignored tests as skipped, and the
// skipped tests grouped under their reason as requires.ts printed them.

import { assertEquals } from "./assert.ts";
import { listSkipped, parseAspectSummary, parseDenoSummary } from "./run_all.ts";

Deno.test("parseDenoSummary() reads passed, failed and ignored, with or without steps", () => {
  assertEquals(parseDenoSummary("ok | 5 passed (2 steps) | 0 failed | 3 ignored (1s)", 0), {
    passed: 5,
    failed: 0,
    skipped: 3,
  });
  assertEquals(parseDenoSummary("FAILED | 4 passed | 2 failed (1 step) (2s)", 1), {
    passed: 4,
    failed: 2,
    skipped: 0,
  });
  assertEquals(parseDenoSummary("error: Type checking failed", 1), {
    passed: 0,
    failed: 1,
    skipped: 0,
  });
});

Deno.test("parseAspectSummary() reads [Tests]: passed / total", () => {
  assertEquals(parseAspectSummary("[Tests]: 7 / 8", 1), { passed: 7, failed: 1, skipped: 0 });
});

Deno.test("listSkipped() groups the skipped tests under their reason", () => {
  const log = [
    "running 2 tests from ./tests/a_test.ts",
    'SKIPPED "a" (/usr/bin/prometheus not found (apt-get install prometheus))',
    'SKIPPED "b \\"quoted\\"" (whisper hidden by TESTS_HIDE)',
    'SKIPPED "c" (/usr/bin/prometheus not found (apt-get install prometheus))',
  ].join("\n");
  assertEquals(listSkipped(log), [
    "/usr/bin/prometheus not found (apt-get install prometheus)",
    "    a",
    "    c",
    "whisper hidden by TESTS_HIDE",
    '    b "quoted"',
  ]);
});
