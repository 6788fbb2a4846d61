// The editor's fields: a task into the form, and the form back into the fields that
// changed. Wall times (due, reminder) are read in the task's time zone.

import { $ } from "./dom.js";
import { dayZone, userZone } from "./format.js";
import { describeRrule } from "./rrule.js";
import { dayKey, instantAt, timeOfDay, validZone } from "./zone.js";

const PRESETS = ["daily", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "weekly", "FREQ=WEEKLY;INTERVAL=2", "monthly", "FREQ=YEARLY"];
const ALL_DAY_TIME = "12:00"; // any time of the day: the server keeps an all-day due at its end

/** The values the form shows for `task` (strings, as the inputs hold them). */
export function formValues(task) {
  const tz = task.timezone || userZone();
  const due = task.due_date ? new Date(task.due_date) : null;
  const reminder = task.reminder_time ? new Date(task.reminder_time) : null;
  const preset = PRESETS.find((p) => p.toLowerCase() === (task.recurrence || "").toLowerCase());
  return {
    title: task.title, description: task.description || "", status: task.status, priority: task.priority,
    tags: task.tags.join(", "),
    due_date: due ? dayKey(due, task.all_day ? dayZone(task) : tz) : "",
    due_time: due && !task.all_day ? timeOfDay(due, tz) : "",
    reminder: reminder ? `${dayKey(reminder, tz)}T${timeOfDay(reminder, tz)}` : "",
    repeat: task.recurrence ? preset ?? "custom" : "",
    rrule: task.recurrence && !preset ? task.recurrence : "",
    repeat_from: task.repeat_from || "due",
    timezone: task.timezone || "",
  };
}

export function fill(task) {
  const form = $("editor-form");
  for (const [name, value] of Object.entries(formValues(task))) form.elements[name].value = value;
  syncRepeat();
}

const read = () => Object.fromEntries(
  [...$("editor-form").elements].filter((el) => el.name).map((el) => [el.name, el.value]));

/** The task fields the user changed, as the API takes them. */
export function changes(task) {
  const before = formValues(task);
  const now = read();
  const changed = (...names) => names.some((name) => before[name] !== now[name]);
  const tz = zoneOf(now, task);
  const body = {};
  if (changed("title")) body.title = now.title.trim();
  if (changed("description")) body.description = now.description;
  if (changed("status")) body.status = now.status;
  if (changed("priority")) body.priority = now.priority;
  if (changed("tags")) body.tags = parseTags(now.tags);
  if (changed("timezone")) body.timezone = now.timezone.trim() || null;
  if (changed("due_date", "due_time", "timezone")) Object.assign(body, due(now, tz));
  if (changed("reminder", "timezone")) {
    const [day, time] = now.reminder.split("T");
    body.reminder_time = now.reminder ? instantAt(day, time, tz).toISOString() : null;
  }
  if (changed("repeat", "rrule")) body.recurrence = recurrence(now);
  if (changed("repeat_from")) body.repeat_from = now.repeat_from;
  if ((body.due_date || body.recurrence) && !task.timezone && !("timezone" in body)) body.timezone = tz;
  return body;
}

function zoneOf(now, task) {
  const named = now.timezone.trim();
  return validZone(named) ? named : task.timezone || userZone();
}

function due(now, tz) {
  if (!now.due_date) return { due_date: null, all_day: false };
  const allDay = !now.due_time;
  return { due_date: instantAt(now.due_date, allDay ? ALL_DAY_TIME : now.due_time, tz).toISOString(), all_day: allDay };
}

function recurrence(now) {
  if (!now.repeat) return null;
  return now.repeat === "custom" ? now.rrule.trim() || null : now.repeat;
}

export function parseTags(text) {
  const tags = text.split(",").map((tag) => tag.trim().replace(/^#/, "")).filter(Boolean);
  return [...new Set(tags)];
}

/** Show the custom rule field when needed, and the repeat in words. */
export function syncRepeat() {
  const now = read();
  $("f-rrule-field").hidden = now.repeat !== "custom";
  $("f-repeat-from-field").hidden = !now.repeat;
  const out = $("f-repeat-text");
  const rule = recurrence(now);
  out.classList.remove("invalid");
  if (!rule) {
    out.textContent = now.repeat === "custom" ? "Write a rule such as FREQ=MONTHLY;BYDAY=+3FR." : "";
    return;
  }
  const tz = zoneOf(now, {});
  const start = now.due_date
    ? { instant: instantAt(now.due_date, now.due_time || ALL_DAY_TIME, tz), tz, allDay: !now.due_time }
    : null;
  try {
    out.textContent = `Repeats ${describeRrule(rule, start)}`;
  } catch {
    out.textContent = "This rule cannot be read; check it.";
    out.classList.add("invalid");
  }
}
