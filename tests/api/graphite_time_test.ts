// Graphite's from/until forms read as graphite-web's parseATTime reads them (render/attime.py),
// one case per form, in the local time zone; and the forms it refuses.

import { assertEquals } from "../_util/assert.ts";
import assert from "node:assert/strict";
import { parseGraphiteTime } from "../../src/api/graphite_time.ts";
import { requires } from "../_util/requires.ts";

// Thursday 2027-01-14 08:00:00 UTC, read in the local zone as graphite-web reads its TIME_ZONE
const NOW = 1_800_000_000 - (1_800_000_000 % 3600);
const now = new Date(NOW * 1000);
const Y = now.getFullYear();
const M = now.getMonth() + 1;
const D = now.getDate();
const local = (y: number, mo: number, d: number, h = 0, mi = 0) =>
  new Date(y, mo - 1, d, h, mi).getTime() / 1000;
const todayAt = (h: number, mi = 0) => local(Y, M, D, h, mi);
const pad = (n: number) => String(n).padStart(2, "0");

const FORMS = [
  "now",
  "-5min",
  "-30s",
  "-1h",
  "-1d",
  "+1d",
  "-2w",
  "-1mon",
  "-1y",
  "-1d12h",
  "-1 Hours",
  "now-1h",
  String(NOW - 123),
  "19000101",
  "20240229",
  "20240229-1d",
  "04:05_20240229",
  "23:59_20231231",
  "today",
  "midnight",
  "noon",
  "teatime",
  "yesterday",
  "noon yesterday",
  "tomorrow",
  "9am",
  "3pm",
  "11:30pm",
  "06:15",
  "02/29/24",
  "12/31/1999",
  "jan 5",
  "monday",
];
const REFUSED = ["-5m", "-5", "next friday", "25:00_20240101", "20241301x", "feb", "12:61"];

Deno.test("parseGraphiteTime() reads each of graphite-web's forms", () => {
  const weekdayBack = (now.getDay() + 6) % 7; // days since Monday
  const cases: [string, number][] = [
    ["now", NOW],
    ["-5min", NOW - 300],
    ["-30s", NOW - 30],
    ["-1h", NOW - 3600],
    ["-1d", NOW - 86_400],
    ["+1d", NOW + 86_400],
    ["-2w", NOW - 14 * 86_400],
    ["-1mon", NOW - 30 * 86_400],
    ["-1y", NOW - 365 * 86_400],
    ["-1d12h", NOW - 86_400 - 43_200],
    ["-1 Hours", NOW - 3600],
    ["now-1h", NOW - 3600],
    [String(NOW - 123), NOW - 123],
    ["0", 0],
    ["19000101", 19_000_101], // not after 1900: unix seconds
    ["20240229", local(2024, 2, 29)],
    ["20240229-1d", local(2024, 2, 28)],
    ["04:05_20240229", local(2024, 2, 29, 4, 5)],
    ["23:59_20231231", local(2023, 12, 31, 23, 59)],
    ["today", todayAt(0)],
    ["midnight", todayAt(0)],
    ["noon", todayAt(12)],
    ["teatime", todayAt(16)],
    ["yesterday", todayAt(0) - 86_400 + dstShift(-1)],
    ["noon yesterday", todayAt(12) - 86_400 + dstShift(-1)],
    ["tomorrow", todayAt(0) + 86_400 + dstShift(1)],
    ["9am", todayAt(9)],
    ["3pm", todayAt(15)],
    ["11:30pm", todayAt(23, 30)],
    ["06:15", todayAt(6, 15)],
    ["02/29/24", local(2024, 2, 29)],
    ["12/31/1999", local(1999, 12, 31)],
    ["jan 5", local(Y, 1, 5)],
    ["monday", local(Y, M, D - weekdayBack)],
  ];
  for (const [text, expected] of cases) {
    assertEquals(parseGraphiteTime(text, NOW), expected, text);
  }
  assertEquals(parseGraphiteTime(`${pad(7)}:00_${Y}${pad(M)}${pad(D)}`, NOW), todayAt(7));
});

/** The seconds a day `days` away from today differs from 86,400 by (a DST change). */
function dstShift(days: number): number {
  return local(Y, M, D + days) - todayAt(0) - days * 86_400;
}

Deno.test("parseGraphiteTime() refuses what graphite-web refuses, naming the text", () => {
  for (const text of REFUSED) {
    assert.throws(
      () => parseGraphiteTime(text, NOW),
      (e: unknown) => e instanceof RangeError && e.message.includes(`"${text}"`),
      text,
    );
  }
});

Deno.test(requires("graphite-web", {
  name:
    "parseGraphiteTime() agrees with graphite-web's parseATTime on every form, refusals included",
  async fn() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const script = `
import json, sys, pytz
from datetime import datetime
from graphite.render.attime import parseATTime
tz = pytz.timezone(sys.argv[1])
now = datetime.fromtimestamp(int(sys.argv[2]), tz)
out = {}
for s in sys.argv[3:]:
    try:
        out[s] = int(parseATTime(s, tz, now).timestamp())
    except Exception:
        out[s] = None
print(json.dumps(out))`;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", script, zone, String(NOW), ...FORMS, ...REFUSED],
      env: { DJANGO_SETTINGS_MODULE: "graphite.settings" },
      stdout: "piped",
    }).output();
    assert.ok(out.success, "graphite-web's parseATTime ran");
    const theirs: Record<string, number | null> = JSON.parse(new TextDecoder().decode(out.stdout));
    for (const text of [...FORMS, ...REFUSED]) {
      let ours: number | null;
      try {
        ours = parseGraphiteTime(text, NOW);
      } catch {
        ours = null;
      }
      assertEquals(ours, theirs[text], text);
    }
  },
}));
