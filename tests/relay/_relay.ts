// A Relay in this process for tests: temporary queue directory, short timings, debug wasm.

import { Relay, type RelayOptions } from "../../src/relay/relay.ts";

/** Options for tests: small segments and buffers, fast reconnects, idle close after 200 ms. */
export function testOptions(dir: string, over: Partial<RelayOptions> = {}): RelayOptions {
  return {
    method: "jump_fnv1a_ch",
    replication: 1,
    destinations: [],
    allowedChars: "-_:#",
    onDown: "queue",
    dir,
    maxSize: 64 * 2 ** 20,
    segmentSize: 2 ** 20,
    syncInterval: 1000,
    bufferSize: 2 ** 20,
    resendBytes: 2 ** 20,
    connectTimeout: 1000,
    maxLineLen: 262_144,
    idleClose: 200,
    minBackoff: 20,
    maxBackoff: 200,
    ...over,
  };
}

/** Creates and starts a relay over a new temporary directory. */
export async function startRelay(
  over: Partial<RelayOptions>,
): Promise<{ relay: Relay; dir: string }> {
  const dir = over.dir ?? await Deno.makeTempDir({ prefix: "carbonado-relay-" });
  const relay = await Relay.create(testOptions(dir, over), { debug: true });
  relay.start();
  return { relay, dir };
}

const encoder = new TextEncoder();

/** Commits `text` (complete lines) through one appender; returns what the batch came to. */
export function feed(relay: Relay, text: string) {
  return relay.appender().commitPlain(encoder.encode(text));
}

/** `count` lines `<prefix>.<i> <i> 1700000000`, and the text of them. */
export function numbered(
  prefix: string,
  count: number,
  from = 0,
): { names: string[]; text: string } {
  const names = Array.from({ length: count }, (_, i) => `${prefix}.n${from + i}`);
  return { names, text: names.map((n, i) => `${n} ${from + i} 1700000000\n`).join("") };
}

/** One sample's value from a relay's stat(). */
export function relayStat(relay: Relay, name: string, destination?: string): number {
  let value = NaN;
  relay.stat((s) => {
    if (s.name === name && (destination === undefined || s.labels?.destination === destination)) {
      value = s.value;
    }
  });
  return value;
}
