// Reads back the Whisper files carbonado wrote, for tests of the writers (persister, daemon):
// with Graphite's whisper.py where it is installed, with carbonado's own reader elsewhere (which
// tests/whisper/ checks against whisper.py, live or from its recording).

import { fetch, type FetchResult, info } from "../../src/whisper/whisper_file.ts";
import { missing } from "./requires.ts";
import { f64ToHex, type OracleFetch, WhisperOracle } from "./whisper_oracle.ts";

/** Our fetch result with values as hex, comparable to the oracle's. */
export function fetchAsHex(result: FetchResult | null): OracleFetch | null {
  if (result === null) return null;
  return {
    fromTime: result.fromTime,
    untilTime: result.untilTime,
    step: result.step,
    values: result.values.map((v) => (v === null ? null : f64ToHex(v))),
  };
}

/** The reading half of {@linkcode WhisperOracle}. Always `await close()` it. */
export type WhisperReader = Pick<WhisperOracle, "fetch" | "info" | "close">;

/** carbonado's reader with whisper.py's answers' shape. */
const OWN_READER: WhisperReader = {
  fetch(path, from, until, now, archive) {
    return Promise.resolve(
      fetchAsHex(fetch(path, from, { untilTime: until, now, secondsPerPoint: archive })),
    );
  },
  info(path) {
    const { fileSize: _, ...header } = info(path);
    return Promise.resolve(header as unknown as Record<string, unknown>);
  },
  close: () => Promise.resolve(),
};

/** whisper.py where installed, carbonado's own reader elsewhere. */
export function openWhisperReader(): WhisperReader {
  return missing("whisper") === null ? new WhisperOracle() : OWN_READER;
}
