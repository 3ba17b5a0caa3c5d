// What the appender makes of the raw points a TS reference parser gives: each name checked and
// put in carbon's canonical order exactly as the wasm side does (plaintext.ts checkName), the
// refused ones counted by reason. Lets the reference parsers' tests compare with the same
// tables the wasm parsers are run against.

import { checkName, type RejectReason } from "../../src/protocol/plaintext.ts";
import { groupPoints } from "../_util/cache_dump.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Points and refusals, as a test collects them from a reference parser. */
export class Appended {
  points: [string, number, number][] = [];
  rejected: Partial<Record<RejectReason, number>> = {};

  point(name: string, value: number, timestamp: number): void {
    const checked = checkName(enc.encode(name));
    if ("reason" in checked) this.reject(checked.reason);
    else this.points.push([dec.decode(checked.name), value, timestamp]);
  }

  reject(reason: RejectReason, n = 1): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + n;
  }

  /** The points grouped by name, as dumpCache() gives them. */
  grouped(): Map<string, [number, number][]> {
    return groupPoints(this.points);
  }
}
