// Wall times in an IANA time zone, with nothing but Intl: the parts of an instant in a
// zone, the instant of a wall time in a zone, and the days around them.

const partFormats = new Map();

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/** Whether `name` is a time zone this browser knows. */
export function validZone(name) {
  try {
    return Boolean(name) && Boolean(new Intl.DateTimeFormat("en-US", { timeZone: name }));
  } catch {
    return false;
  }
}

function partFormat(tz) {
  if (!partFormats.has(tz)) {
    partFormats.set(tz, new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }));
  }
  return partFormats.get(tz);
}

/** {year, month, day, hour, minute, second} of `instant` (a Date) on the clocks of `tz`. */
export function partsIn(instant, tz) {
  const parts = {};
  for (const { type, value } of partFormat(tz).formatToParts(instant)) {
    if (type !== "literal") parts[type] = Number(value);
  }
  return parts;
}

function offsetMs(instant, tz) {
  const p = partsIn(instant, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - (instant.getTime() - instant.getUTCMilliseconds());
}

/** The instant (Date) that shows `year-month-day hour:minute` on the clocks of `tz`.
 * A wall time in a spring-forward gap moves forward by the gap, as the server does. */
export function zonedInstant(year, month, day, hour, minute, tz) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - offsetMs(new Date(wall), tz);
  const second = wall - offsetMs(new Date(first), tz);
  return new Date(first === second ? first : Math.max(first, second));
}

/** "YYYY-MM-DD" of `instant` in `tz`. */
export function dayKey(instant, tz) {
  const p = partsIn(instant, tz);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "HH:MM" of `instant` in `tz`. */
export function timeOfDay(instant, tz) {
  const p = partsIn(instant, tz);
  return `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "YYYY-MM-DD" `days` after the day `key`. */
export function addDays(key, days) {
  const [y, m, d] = key.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** Midnight starting the day `key` in `tz`, as a Date. */
export function startOfDay(key, tz) {
  const [y, m, d] = key.split("-").map(Number);
  return zonedInstant(y, m, d, 0, 0, tz);
}

/** The instant of day `key` ("YYYY-MM-DD") at `time` ("HH:MM") in `tz`. */
export function instantAt(key, time, tz) {
  const [y, m, d] = key.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  return zonedInstant(y, m, d, hour, minute, tz);
}

/** 1 (Monday) to 7 (Sunday) for the day `key`. */
export function isoWeekday(key) {
  const [y, m, d] = key.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay() || 7;
}

export const pad = (n) => String(n).padStart(2, "0");
