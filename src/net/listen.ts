// Binding a configured listen address, so that a busy port or a bad address fails the start
// with the config key named: `Cannot listen on tcp.listen ":2003": Address already in use`.

import { parseListen } from "../config/config.ts";

/** Parses `addr` and calls `bind` with it; errors name the key and the address. */
export function listenOn<T>(
  addr: string,
  key: string,
  bind: (where: { hostname: string; port: number }) => T,
): T {
  const where = parseListen(addr, key);
  try {
    return bind(where);
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const Class = err.constructor as ErrorConstructor;
    throw new Class(`Cannot listen on ${key} "${addr}": ${err.message}`, { cause: err });
  }
}
