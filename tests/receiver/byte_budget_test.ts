// The byte budget the pickle connections share: waiters in arrival order, woken by releases, a
// request larger than the whole budget served alone, and a close that ends every wait.

import { assert, assertEquals } from "../_util/assert.ts";
import { BudgetClosedError, ByteBudget } from "../../src/receiver/byte_budget.ts";

Deno.test("ByteBudget hands out bytes up to its limit and queues the rest in arrival order", async () => {
  const b = new ByteBudget(100);
  await b.acquire(60);
  const order: string[] = [];
  const second = b.acquire(50).then(() => order.push("50"));
  const third = b.acquire(10).then(() => order.push("10")); // fits, but waits its turn
  await Promise.resolve();
  assertEquals([b.used, b.waiting, b.waits], [60, 2, 2]);
  b.release(60);
  await Promise.all([second, third]);
  assertEquals(order, ["50", "10"]);
  assertEquals([b.used, b.peak, b.waiting], [60, 60, 0]);
});

Deno.test("ByteBudget serves a request larger than the limit alone, once nothing is held", async () => {
  const b = new ByteBudget(100);
  await b.acquire(30);
  let big = false;
  const pending = b.acquire(250).then(() => big = true);
  await Promise.resolve();
  assertEquals(big, false);
  b.release(30);
  await pending;
  assertEquals([b.used, b.peak], [250, 250]);
});

Deno.test("ByteBudget.close() ends every wait with BudgetClosedError and refuses new requests", async () => {
  const b = new ByteBudget(10);
  await b.acquire(10);
  const waiting = b.acquire(5).then(() => "granted", (e) => e);
  b.close();
  assert.ok(await waiting instanceof BudgetClosedError);
  assert.ok(await b.acquire(1).then(() => null, (e) => e) instanceof BudgetClosedError);
});
