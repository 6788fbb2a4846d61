// Plain English for an RRULE ("every 3rd Friday"), the same words as the server's
// functions/todo/language/describe.py; the browser tests compare the two on many rules.

import { partsIn } from "./zone.js";

const DAY_NAMES = { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday",
  FR: "Friday", SA: "Saturday", SU: "Sunday" };
const DAY_ORDER = Object.keys(DAY_NAMES);
const UNITS = { DAILY: "day", WEEKLY: "week", MONTHLY: "month", YEARLY: "year",
  HOURLY: "hour", MINUTELY: "minute", SECONDLY: "second" };
const SHORTCUTS = { daily: "FREQ=DAILY", weekly: "FREQ=WEEKLY", monthly: "FREQ=MONTHLY" };
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A short phrase for `rule`; `start` = {instant: Date, tz, allDay} adds the time of day
 * (none for an all-day start) and the zone UNTIL is read in. Throws for no RRULE. */
export function describeRrule(rule, start = null) {
  const parts = splitRule(rule);
  const unit = UNITS[parts.FREQ || ""];
  if (!unit) throw new Error(`not an RRULE with a known FREQ: ${rule}`);
  const interval = parts.INTERVAL ? int(parts.INTERVAL) : 1;
  return body(parts, unit, interval) + timeOf(parts, start) + end(parts, start);
}

function splitRule(rule) {
  let text = rule.trim();
  text = (SHORTCUTS[text.toLowerCase()] || text).toUpperCase();
  if (text.startsWith("RRULE:")) text = text.slice(6);
  const parts = {};
  for (const item of text.split(";").filter(Boolean)) {
    const at = item.indexOf("=");
    const [name, value] = at < 0 ? [item, ""] : [item.slice(0, at), item.slice(at + 1)];
    parts[name.trim()] = value.trim();
  }
  return parts;
}

function int(text) {
  const n = Number(text);
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isFinite(n)) throw new Error(`not a number: ${text}`);
  return n;
}

const list = (value) => (value || "").split(",").filter(Boolean);
const every = (unit, n) => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);
const dayName = (code) => DAY_NAMES[code] || code;

function body(parts, unit, interval) {
  const days = list(parts.BYDAY);
  const monthdays = list(parts.BYMONTHDAY).map(int);
  const months = list(parts.BYMONTH).map(int);
  if (unit === "week" && days.length) {
    const order = days.map((d) => {
      if (!DAY_ORDER.includes(d)) throw new Error(`not a weekday: ${d}`);
      return DAY_ORDER.indexOf(d);
    });
    const sorted = [...order].sort((a, b) => a - b).join(",");
    if (sorted === "0,1,2,3,4" && interval === 1) return "every weekday";
    const names = join(days.map(dayName));
    return interval === 1 ? `every ${names}` : `${every(unit, interval)} on ${names}`;
  }
  if (unit === "month" && days.length) {
    const nth = join(days.map(nthDay));
    return interval === 1 ? `every ${nth}` : `${every(unit, interval)} on the ${nth}`;
  }
  if (unit === "month" && monthdays.length) {
    return `${every(unit, interval)} on the ${join(monthdays.map(monthday))}`;
  }
  if (unit === "year" && months.length && monthdays.length) {
    const when = months.flatMap((m) => monthdays.map((d) => `${MONTHS[m - 1]} ${d}`));
    return `${every(unit, interval)} on ${join(when)}`;
  }
  if (unit === "day" && days.length) return `${every(unit, interval)} on ${join(days.map(dayName))}`;
  return every(unit, interval);
}

function nthDay(code) {
  const number = code.slice(0, -2);
  const day = dayName(code.slice(-2));
  if (!number || number === "+" || number === "-") return day;
  return `${ordinal(int(number))} ${day}`;
}

const monthday = (n) => (n > 0 ? ordinal(n) : `${ordinal(n)} day`);

function ordinal(n) {
  if (n === -1) return "last";
  if (n < 0) return `${ordinal(-n)} to last`;
  const teen = n % 100 >= 10 && n % 100 <= 20;
  const suffix = teen ? "th" : { 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th";
  return `${n}${suffix}`;
}

function timeOf(parts, start) {
  const hours = parts.BYHOUR;
  if (hours && !hours.includes(",")) {
    const minute = int((parts.BYMINUTE || "0").split(",")[0]);
    return ` at ${int(hours)}:${String(minute).padStart(2, "0")}`;
  }
  if (start && !start.allDay && start.instant) {
    const p = partsIn(start.instant, start.tz);
    return ` at ${p.hour}:${String(p.minute).padStart(2, "0")}`;
  }
  return "";
}

function end(parts, start) {
  if ("COUNT" in parts) {
    const count = int(parts.COUNT);
    return count === 1 ? ", once" : `, ${count} times`;
  }
  if (!parts.UNTIL) return "";
  const [y, m, d] = untilDay(parts.UNTIL, start);
  return ` until ${MONTHS[m - 1]} ${d}, ${y}`;
}

function untilDay(until, start) {
  const num = (a, b) => int(until.slice(a, b));
  if (!until.includes("T")) return [num(0, 4), num(4, 6), num(6, 8)];
  const wall = [num(0, 4), num(4, 6), num(6, 8), num(9, 11), num(11, 13), num(13, 15)];
  if (until.endsWith("Z") && start && !start.allDay && start.instant) {
    const p = partsIn(new Date(Date.UTC(wall[0], wall[1] - 1, ...wall.slice(2))), start.tz);
    return [p.year, p.month, p.day];
  }
  return wall.slice(0, 3);
}

function join(items) {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** A task's repeat in words, or "" (a rule the describer cannot read shows as itself). */
export function describeTaskRecurrence(task, tz) {
  if (!task.recurrence) return "";
  const start = task.due_date
    ? { instant: new Date(task.due_date), tz: task.timezone || tz, allDay: task.all_day }
    : null;
  try {
    return describeRrule(task.recurrence, start);
  } catch {
    return task.recurrence;
  }
}
