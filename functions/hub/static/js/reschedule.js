// The reschedule dialog: today, tomorrow, next week, no date, or a day picked; a timed
// task keeps its time of day.

import { $ } from "./dom.js";
import { dueDay, taskZone, userZone } from "./format.js";
import { addDays, dayKey, instantAt, isoWeekday, timeOfDay } from "./zone.js";

let choose = null;

export function init() {
  const dialog = $("reschedule");
  dialog.querySelector("[data-dismiss]").addEventListener("click", () => dialog.close());
  for (const button of dialog.querySelectorAll("[data-day]")) {
    button.addEventListener("click", () => pick(button.dataset.day));
  }
  $("reschedule-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("reschedule-date").value) pick($("reschedule-date").value);
    else $("reschedule-date").focus();
  });
  dialog.addEventListener("close", () => { choose = null; });
}

/** Ask for a new due day for `task`; calls `then({due_date, all_day, timezone})`. */
export function ask(task, then) {
  choose = (day) => then(dueOn(task, day));
  $("reschedule-title").textContent = `Reschedule “${task.title}”`;
  $("reschedule-date").value = dueDay(task) || "";
  $("reschedule").showModal();
}

function pick(choice) {
  const today = dayKey(new Date(), userZone());
  const days = {
    today, tomorrow: addDays(today, 1), "next-week": addDays(today, 8 - isoWeekday(today)), none: null,
  };
  const day = choice in days ? days[choice] : choice;
  const then = choose;
  $("reschedule").close();
  then?.(day);
}

function dueOn(task, day) {
  const tz = taskZone(task);
  if (!day) return { due_date: null, all_day: false };
  const timed = task.due_date && !task.all_day;
  const time = timed ? timeOfDay(new Date(task.due_date), tz) : "12:00";
  return { due_date: instantAt(day, time, tz).toISOString(), all_day: !timed, timezone: tz };
}
