// Small assertion helpers over node:assert/strict (JSR's @std/assert is unreachable here).

import assert from "node:assert/strict";

/** Deep strict equality; `-0` and `0` differ, as Object.is says. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** Asserts that `fn` throws an error of `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: new (...args: never[]) => Error,
  includes?: string,
): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    if (includes !== undefined) assert.ok(err.message.includes(includes), err.message);
    return err;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

/** Like assertThrows for promises. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    if (includes !== undefined) assert.ok(err.message.includes(includes), err.message);
    return err;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

export { assert };
