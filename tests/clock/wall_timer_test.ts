// atWallTime: deadlines due together run in one wakeup and none before its time, a cancelled
// one never runs, and nothing is left armed once every deadline has run or been cancelled (the
// ops sanitizer checks it).

import { assert, assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { atWallTime } from "../../src/clock/wall_timer.ts";

Deno.test("deadlines at the same moment run in one wakeup, in the order set, none before its time", async () => {
  const at = Date.now() + 30;
  const runs: [string, number, number][] = [];
  // each callback records the wakeup it ran in (microtasks run only between wakeups) and when
  let turn = 0;
  const mark = (name: string) => () => {
    runs.push([name, turn, Date.now()]);
    queueMicrotask(() => turn++);
  };
  atWallTime(at, mark("a"));
  atWallTime(at + 15, mark("late"));
  atWallTime(at - 10, mark("early"));
  atWallTime(at, mark("b"));
  await waitFor(() => runs.length === 4);
  assertEquals(runs.map(([name]) => name), ["early", "a", "b", "late"]);
  assertEquals(runs[1][1], runs[2][1], `a and b in one wakeup: ${runs}`);
  const due = [at - 10, at, at, at + 15];
  runs.forEach(([name, , ranAt], i) =>
    assert(ranAt >= due[i], `${name} ran at ${ranAt} < ${due[i]}`)
  );
});

Deno.test("a cancelled deadline does not run; cancelling the last leaves no timer", async () => {
  const ran: string[] = [];
  const gone = atWallTime(Date.now() + 20, () => ran.push("gone"));
  const kept = atWallTime(Date.now() + 40, () => ran.push("kept"));
  gone.cancel();
  gone.cancel(); // twice is harmless
  await waitFor(() => ran.length === 1);
  assertEquals(ran, ["kept"]);
  kept.cancel(); // after it ran: harmless
  atWallTime(Date.now() + 60_000, () => ran.push("never")).cancel();
});

Deno.test("a deadline set from a callback, already due, runs in a wakeup of its own", async () => {
  const ran: string[] = [];
  atWallTime(Date.now() + 10, () => {
    ran.push("first");
    atWallTime(Date.now() - 5, () => ran.push("second"));
  });
  await waitFor(() => ran.length === 2);
  assertEquals(ran, ["first", "second"]);
});
