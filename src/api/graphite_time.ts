// Graphite's time specifications for render's `from` and `until`, read as graphite-web's
// parseATTime (render/attime.py) reads them, in the daemon's local time zone (graphite-web uses
// its TIME_ZONE setting): unix seconds; `HH:MM_YYYYMMDD`; `YYYYMMDD`; a reference (`now`,
// `today`, `yesterday`, `tomorrow`, `midnight`, `noon`, `teatime`, `HH:MM`, `9am`, `MM/DD/YY`,
// `jan 5`, `monday`) followed by offsets (`-5min`, `-1h`, `+2d`, `-1w`, `-1mon` = 30 days,
// `-1y` = 365 days, several in a row: `-1d12h`). Case, `_`, `,` and spaces are ignored.

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_SECONDS = 86_400;

/**
 * The unix time `text` names, with `now` (unix seconds) as the reference.
 *
 * @throws {RangeError} when `text` is not a time graphite-web would read
 *
 * @example
 * ```ts
 * parseGraphiteTime("-1h", 1_700_000_000); // 1_699_996_400
 * parseGraphiteTime("1700000000", 0);       // 1_700_000_000
 * ```
 */
export function parseGraphiteTime(text: string, now: number): number {
  const s = text.trim().toLowerCase().replace(/[_, ]/g, "");
  if (/^\d+$/.test(s)) {
    const yyyymmdd = s.length === 8 && Number(s.slice(0, 4)) > 1900 &&
      Number(s.slice(4, 6)) < 13 && Number(s.slice(6)) < 32;
    if (!yyyymmdd) return Number(s);
  } else if (s.includes(":") && s.length === 13) {
    // HH:MM_YYYYMMDD with the underscore gone
    const m = /^(\d\d):(\d\d)(\d{4})(\d\d)(\d\d)$/.exec(s);
    if (m === null) bad(text, "expected HH:MM_YYYYMMDD");
    const [, hh, mm, y, mo, d] = m.map(Number);
    if (hh > 23 || mm > 59 || mo < 1 || mo > 12 || d < 1 || d > 31) bad(text, "no such time");
    return seconds(new Date(y, mo - 1, d, hh, mm));
  }
  let ref = s;
  let offset = "";
  const plus = s.indexOf("+");
  const minus = s.indexOf("-");
  if (plus >= 0) [ref, offset] = [s.slice(0, plus), s.slice(plus)];
  else if (minus >= 0) [ref, offset] = [s.slice(0, minus), s.slice(minus)];
  return reference(ref, now, text) + parseOffset(offset, text);
}

/** A time offset such as `-5min` or `+1d12h`, in seconds (graphite-web's parseTimeOffset). */
function parseOffset(offset: string, text: string): number {
  if (offset === "") return 0;
  let sign = 1;
  let rest = offset;
  if (rest[0] === "+" || rest[0] === "-") {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  let total = 0;
  while (rest !== "") {
    const m = /^(\d+)([a-z]*)/.exec(rest);
    if (m === null) bad(text, `offset "${offset}" is not a number and a unit`);
    total += Number(m[1]) * unitSeconds(m[2], text);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Seconds in a unit, by graphite-web's prefixes (`min` is minutes, `mon` months of 30 days). */
function unitSeconds(unit: string, text: string): number {
  if (unit.startsWith("s")) return 1;
  if (unit.startsWith("min")) return 60;
  if (unit.startsWith("h")) return 3600;
  if (unit.startsWith("d")) return DAY_SECONDS;
  if (unit.startsWith("w")) return 7 * DAY_SECONDS;
  if (unit.startsWith("mon")) return 30 * DAY_SECONDS;
  if (unit.startsWith("y")) return 365 * DAY_SECONDS;
  bad(text, `offset unit "${unit}" is not s, min, h, d, w, mon or y`);
}

/** A time reference (graphite-web's parseTimeReference), at the start of its minute. */
function reference(ref: string, now: number, text: string): number {
  if (ref === "" || ref === "now") return now;
  let hour = 0;
  let minute = 0;
  let rest = ref;
  const colon = rest.indexOf(":");
  if (colon > 0 && colon < 3) {
    hour = Number(rest.slice(0, colon));
    minute = Number(rest.slice(colon + 1, colon + 3));
    rest = rest.slice(colon + 3);
    if (rest.startsWith("am")) rest = rest.slice(2);
    else if (rest.startsWith("pm")) {
      hour = (hour + 12) % 24;
      rest = rest.slice(2);
    }
  }
  const am = rest.indexOf("am");
  if (am > 0 && am < 3) {
    hour = Number(rest.slice(0, am));
    rest = rest.slice(am + 2);
  }
  const pm = rest.indexOf("pm");
  if (pm > 0 && pm < 3) {
    hour = (Number(rest.slice(0, pm)) + 12) % 24;
    rest = rest.slice(pm + 2);
  }
  if (rest.startsWith("noon")) [hour, minute, rest] = [12, 0, rest.slice(4)];
  else if (rest.startsWith("midnight")) [hour, minute, rest] = [0, 0, rest.slice(8)];
  else if (rest.startsWith("teatime")) [hour, minute, rest] = [16, 0, rest.slice(7)];
  if (!Number.isInteger(hour) || !Number.isInteger(minute) || hour > 23 || minute > 59) {
    bad(text, "no such time of day");
  }
  const d = new Date(now * 1000);
  d.setHours(hour, minute, 0, 0);
  if (rest === "yesterday") d.setDate(d.getDate() - 1);
  else if (rest === "tomorrow") d.setDate(d.getDate() + 1);
  else if (rest === "today" || rest === "") {
    // the day of now
  } else if (/^\d+\/\d+\/\d+$/.test(rest)) {
    const [m, day, yy] = rest.split("/").map(Number);
    let y = yy < 1900 ? yy + 1900 : yy;
    if (y < 1970) y += 100;
    setDay(d, y, m, day, text);
  } else if (/^\d{8}$/.test(rest)) {
    setDay(d, Number(rest.slice(0, 4)), Number(rest.slice(4, 6)), Number(rest.slice(6)), text);
  } else if (MONTHS.includes(rest.slice(0, 3))) {
    const day = /(\d{1,2})$/.exec(rest);
    if (day === null) bad(text, "a day of the month is needed after the month's name");
    setDay(d, d.getFullYear(), MONTHS.indexOf(rest.slice(0, 3)) + 1, Number(day[1]), text);
  } else if (WEEKDAYS.includes(rest.slice(0, 3))) {
    const today = (d.getDay() + 6) % 7; // Monday is 0, as Python's weekday()
    let back = today - WEEKDAYS.indexOf(rest.slice(0, 3));
    if (back < 0) back += 7;
    d.setDate(d.getDate() - back);
  } else {
    bad(text, `unknown day reference "${ref}"`);
  }
  return seconds(d);
}

/** Sets the date of `d`, refusing days that do not exist. */
function setDay(d: Date, year: number, month: number, day: number, text: string): void {
  if (month < 1 || month > 12 || day < 1 || day > 31) bad(text, "no such date");
  d.setFullYear(year, month - 1, day);
  if (d.getMonth() !== month - 1) bad(text, "no such date");
}

function seconds(d: Date): number {
  const t = d.getTime();
  if (Number.isNaN(t)) throw new RangeError("Cannot parse time: no such date");
  return Math.floor(t / 1000);
}

function bad(text: string, why: string): never {
  throw new RangeError(`Cannot parse time "${text}": ${why}`);
}
