// The log's committed end in shared memory: what is published is read back whole, and a waiter
// is woken by the next publish, by its timeout, or by its abort signal.

import { assertEquals } from "../_util/assert.ts";
import { LogEndReader, LogEndWriter, sharedLogEnd } from "../../src/remote/log_end.ts";

Deno.test("LogEndReader reads what LogEndWriter published and wakes on the next publish", async () => {
  const sab = sharedLogEnd();
  const writer = new LogEndWriter(sab);
  const reader = new LogEndReader(sab);
  assertEquals(reader.end(), { segment: 0, offset: 0 });
  writer.publish(7, 123_456);
  assertEquals(reader.end(), { segment: 7, offset: 123_456 });
  const never = new AbortController();
  const woken = reader.changed(60_000, never.signal);
  writer.publish(8, 0);
  await woken; // would take a minute without the notify
  assertEquals(reader.end(), { segment: 8, offset: 0 });
  const start = Date.now();
  await reader.changed(10, never.signal); // nothing published: the timeout
  const abort = new AbortController();
  const aborted = reader.changed(60_000, abort.signal);
  abort.abort();
  await aborted;
  writer.publish(8, 1); // lets the pending wait end before the test does
  assertEquals(Date.now() - start < 60_000, true);
});
