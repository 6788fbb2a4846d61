// Dates and times for people: in the user's time zone and the browser's locale (Intl).

import { addDays, dayKey } from "./zone.js";

let zone = "UTC";
const cache = new Map();

export function setZone(tz) {
  zone = tz;
  cache.clear();
}

export const userZone = () => zone;

function fmt(options, tz = zone) {
  const key = JSON.stringify([options, tz]);
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat(undefined, { ...options, timeZone: tz }));
  return cache.get(key);
}

const DAY = { weekday: "short", day: "numeric", month: "short" };
const TIME = { hour: "numeric", minute: "2-digit" };
const RELATIVE = new Set(["Today", "Tomorrow", "Yesterday"]);

/** The zone a task's wall times (due, reminder) are written in. */
export const taskZone = (task) => task.timezone || zone;

/** The zone an all-day due is a day of: the task's own, else UTC (as the server keeps it). */
export const dayZone = (task) => task.timezone || "UTC";

/** "YYYY-MM-DD" of a task's due day: an all-day one in its day's zone, else the user's. */
export function dueDay(task) {
  if (!task.due_date) return null;
  return dayKey(new Date(task.due_date), task.all_day ? dayZone(task) : zone);
}

/** "Today", "Tomorrow", "Yesterday" or "Thu 3 Dec" (with the year when not this year). */
export function dayLabel(key, now = new Date()) {
  const today = dayKey(now, zone);
  const named = { [today]: "Today", [addDays(today, 1)]: "Tomorrow", [addDays(today, -1)]: "Yesterday" };
  if (named[key]) return named[key];
  const [y, m, d] = key.split("-").map(Number);
  const options = y === Number(today.slice(0, 4)) ? DAY : { ...DAY, year: "numeric" };
  return fmt(options, "UTC").format(new Date(Date.UTC(y, m - 1, d)));
}

/** A long heading for a day: "Thursday 3 December". */
export function dayHeading(key, now = new Date()) {
  const [y, m, d] = key.split("-").map(Number);
  const long = fmt({ weekday: "long", day: "numeric", month: "long" }, "UTC");
  const text = long.format(new Date(Date.UTC(y, m - 1, d)));
  const label = dayLabel(key, now);
  return RELATIVE.has(label) ? `${label}, ${text}` : text;
}

export const time = (iso) => fmt(TIME).format(new Date(iso));

/** "Today 17:00", "Thu 3 Dec" (all day), "Tomorrow 9:00". */
export function dueText(task, now = new Date()) {
  if (!task.due_date) return "";
  const day = dayLabel(dueDay(task), now);
  return task.all_day ? day : `${day} ${time(task.due_date)}`;
}

/** "Thu 3 Dec 17:00" for any instant (a reminder, an audit entry). */
export function moment(iso, now = new Date()) {
  return `${dayLabel(dayKey(new Date(iso), zone), now)} ${time(iso)}`;
}

/** The due of a reminder's task: as the task says it (a day, or a time) when it is known. */
export function reminderDue(note, task) {
  return task?.due_date === note.due_date ? dueText(task) : moment(note.due_date);
}

export function isOverdue(task, now = new Date()) {
  return Boolean(task.due_date) && task.status !== "complete" && new Date(task.due_date) < now;
}
