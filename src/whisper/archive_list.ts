// Archive lists: parsing retention definitions ("10s:6h", legacy "60:1440") and the rules an
// archive list must follow, shared by `create` and the storage-schemas.conf parser.

import { MAX_U32 } from "./format.ts";

/** One archive to create: its precision and its number of points. */
export interface ArchiveSpec {
  /** Seconds covered by one point. */
  readonly secondsPerPoint: number;
  /** Number of points kept. */
  readonly points: number;
}

// whisper.py's units: any prefix of these names ("s", "sec", "m", "min", "h", "d", "w", "y"...),
// a superset of carbon's util.parseRetentionDef, which takes only s, m, h, d, w and y.
const UNITS: readonly [string, number][] = [
  ["seconds", 1],
  ["minutes", 60],
  ["hours", 3600],
  ["days", 86400],
  ["weeks", 86400 * 7],
  ["years", 86400 * 365],
];

function unitSeconds(unit: string): number | undefined {
  for (const [name, seconds] of UNITS) if (name.startsWith(unit)) return seconds;
  return undefined;
}

const DIGITS = /^[0-9]+$/;
const AMOUNT_AND_UNIT = /^([0-9]+)([a-z]+)$/;

/**
 * Parses one retention definition like whisper.py's `parseRetentionDef`, returning the archive
 * or, when the text is invalid, the problem as text (`retention "1x:1d": unknown unit "x"`).
 * A bare number of points is a count; a duration with a unit is divided by the precision.
 */
export function tryParseRetentionDef(definition: string): ArchiveSpec | string {
  const text = definition.trim();
  const colon = text.indexOf(":");
  if (colon < 0) return `retention "${text}": expected precision:duration`;
  const precisionText = text.slice(0, colon);
  const durationText = text.slice(colon + 1);
  let secondsPerPoint: number;
  if (DIGITS.test(precisionText)) {
    secondsPerPoint = Number(precisionText);
  } else {
    const match = AMOUNT_AND_UNIT.exec(precisionText);
    if (match === null) return `retention "${text}": invalid precision "${precisionText}"`;
    const unit = unitSeconds(match[2]);
    if (unit === undefined) return `retention "${text}": unknown unit "${match[2]}"`;
    secondsPerPoint = Number(match[1]) * unit;
  }
  let points: number;
  if (DIGITS.test(durationText)) {
    points = Number(durationText);
  } else {
    const match = AMOUNT_AND_UNIT.exec(durationText);
    if (match === null) return `retention "${text}": invalid duration "${durationText}"`;
    const unit = unitSeconds(match[2]);
    if (unit === undefined) return `retention "${text}": unknown unit "${match[2]}"`;
    if (secondsPerPoint === 0) return `retention "${text}": precision is 0`;
    points = Math.floor(Number(match[1]) * unit / secondsPerPoint);
  }
  return { secondsPerPoint, points };
}

/**
 * Parses one retention definition (`"10s:6h"`, `"1min:7d"`, legacy `"60:1440"`).
 *
 * @example
 * ```ts
 * import { parseRetentionDef } from "./archive_list.ts";
 * parseRetentionDef("10s:6h"); // { secondsPerPoint: 10, points: 2160 }
 * ```
 * @throws {SyntaxError} `Cannot parse retention "10x:6h": unknown unit "x"`
 */
export function parseRetentionDef(definition: string): ArchiveSpec {
  const result = tryParseRetentionDef(definition);
  if (typeof result === "string") throw new SyntaxError(`Cannot parse ${result}`);
  return result;
}

/** Parses a comma-separated list of retention definitions (`"10s:6h,1m:7d,10m:5y"`). */
export function parseRetentionDefs(definitions: string): ArchiveSpec[] {
  return definitions.split(",").map(parseRetentionDef);
}

function fmt(a: ArchiveSpec): string {
  return `(${a.secondsPerPoint}, ${a.points})`;
}

/**
 * Checks an archive list against whisper.py's `validateArchiveList` rules, after sorting it by
 * precision as whisper does. Returns the sorted copy, or the problem as text. Stricter than
 * whisper in one way: precisions and point counts must be integers from 1 to 2^32-1 (whisper
 * accepts 0 and then fails on the first update with a division by zero).
 */
export function checkArchiveList(
  archives: readonly ArchiveSpec[],
): { archives: ArchiveSpec[] } | { problem: string } {
  if (archives.length === 0) {
    return { problem: "You must specify at least one archive configuration" };
  }
  for (const a of archives) {
    for (const value of [a.secondsPerPoint, a.points]) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_U32) {
        return {
          problem: `Archive ${fmt(a)} must have a precision and a number of points ` +
            `that are integers from 1 to ${MAX_U32}`,
        };
      }
    }
    if (a.secondsPerPoint * a.points > MAX_U32) {
      return { problem: `Archive ${fmt(a)} has a retention above ${MAX_U32} seconds` };
    }
  }
  const sorted = archives.map((a) => ({ secondsPerPoint: a.secondsPerPoint, points: a.points }))
    .sort((a, b) => a.secondsPerPoint - b.secondsPerPoint);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const archive = sorted[i];
    const next = sorted[i + 1];
    if (!(archive.secondsPerPoint < next.secondsPerPoint)) {
      return {
        problem: "A Whisper database may not be configured having two archives with the same " +
          `precision (archive${i}: ${fmt(archive)}, archive${i + 1}: ${fmt(next)})`,
      };
    }
    if (next.secondsPerPoint % archive.secondsPerPoint !== 0) {
      return {
        problem: "Higher precision archives' precision must evenly divide all lower precision " +
          `archives' precision (archive${i}: ${archive.secondsPerPoint}, archive${i + 1}: ` +
          `${next.secondsPerPoint})`,
      };
    }
    const retention = archive.secondsPerPoint * archive.points;
    const nextRetention = next.secondsPerPoint * next.points;
    if (!(nextRetention > retention)) {
      return {
        problem: "Lower precision archives must cover larger time intervals than higher " +
          `precision archives (archive${i}: ${retention} seconds, archive${i + 1}: ` +
          `${nextRetention} seconds)`,
      };
    }
    const pointsPerConsolidation = Math.floor(next.secondsPerPoint / archive.secondsPerPoint);
    if (!(archive.points >= pointsPerConsolidation)) {
      return {
        problem: "Each archive must have at least enough points to consolidate to the next " +
          `archive (archive${i + 1} consolidates ${pointsPerConsolidation} of archive${i}'s ` +
          `points but it has only ${archive.points} total points)`,
      };
    }
  }
  return { archives: sorted };
}

/**
 * Validates an archive list with whisper's rules: at least one archive; sorted by precision, no
 * two with the same precision; each precision divides the next; each lower-precision archive
 * covers more time; each archive has enough points to consolidate into the next.
 * Returns a copy sorted by precision.
 *
 * @throws {RangeError} with whisper's wording, e.g. `Higher precision archives' precision must
 * evenly divide all lower precision archives' precision (archive0: 7, archive1: 60)`
 */
export function validateArchiveList(archives: readonly ArchiveSpec[]): ArchiveSpec[] {
  const result = checkArchiveList(archives);
  if ("problem" in result) throw new RangeError(result.problem);
  return result.archives;
}
