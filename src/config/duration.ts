// Go duration strings ("1m0s", "100ms", "1h30m", "1.5h"), parsed and printed as Go's `time`
// package does, so go-carbon config values read the same here. Carbonado holds durations as
// milliseconds in a plain number (fractional below 1 ms).

const NS_PER_MS = 1_000_000n;

/** Nanoseconds per unit, as `time.ParseDuration` accepts them (both micro signs included). */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's `time.Duration` is an int64 of nanoseconds; larger values are an overflow there too. */
const MAX_DURATION_NS = (1n << 63n) - 1n;

/**
 * Parses a Go duration string into milliseconds, accepting exactly what Go's
 * `time.ParseDuration` accepts: an optional sign, then one or more decimal numbers each followed
 * by a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`); a bare `"0"` is the only unitless value.
 *
 * @example
 * ```ts
 * parseDuration("1m0s"); // 60000
 * parseDuration("1.5h"); // 5400000
 * parseDuration("100us"); // 0.1
 * ```
 * @throws {SyntaxError} with Go's reason (`missing unit`, `unknown unit "x"`, ...)
 */
export function parseDuration(text: string): number {
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw new SyntaxError(`Invalid duration "${text}"`);
  let totalNs = 0n;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [number, whole, fraction] = m;
    if (whole === "" && (fraction ?? "") === "") {
      throw new SyntaxError(`Invalid duration "${text}"`);
    }
    s = s.slice(number.length);
    const unitMatch = /^[^\d.]*/.exec(s)!;
    const unit = unitMatch[0];
    if (unit === "") throw new SyntaxError(`Invalid duration "${text}": missing unit`);
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined) {
      throw new SyntaxError(`Invalid duration "${text}": unknown unit "${unit}"`);
    }
    s = s.slice(unit.length);
    let ns = BigInt(whole === "" ? "0" : whole) * unitNs;
    if (fraction) ns += BigInt(fraction) * unitNs / 10n ** BigInt(fraction.length);
    totalNs += ns;
    if (totalNs > MAX_DURATION_NS) {
      throw new RangeError(`Invalid duration "${text}": exceeds Go's maximum of 2562047h47m16s`);
    }
  }
  const ms = nsToMs(totalNs);
  return negative ? -ms : ms;
}

/**
 * Formats milliseconds the way Go's `Duration.String()` does, so a printed value reads back to
 * the same number: `60000` → `"1m0s"`, `100` → `"100ms"`, `0` → `"0s"`, `5400000` → `"1h30m0s"`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`Cannot format duration ${ms}`);
  let ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  if (ns < 0n) ns = -ns;
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${decimal(ns, 1_000n)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${decimal(ns, 1_000_000n)}ms`;
  const hours = ns / UNIT_NS.h;
  ns %= UNIT_NS.h;
  const minutes = ns / UNIT_NS.m;
  ns %= UNIT_NS.m;
  const seconds = decimal(ns, UNIT_NS.s);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

/** `value / unit` written in decimal without trailing zeros: (1500n, 1000n) → "1.5". */
function decimal(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return `${whole}`;
  const digits = unit.toString().length - 1;
  return `${whole}.${rest.toString().padStart(digits, "0").replace(/0+$/, "")}`;
}

/** Exact for every whole millisecond; finer values keep the nanoseconds as a fraction. */
function nsToMs(ns: bigint): number {
  return Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;
}
