// One task in a list: complete or reopen, its title (opens the editor), what is known
// about it, and reschedule and delete.

import { h, icon } from "./dom.js";
import { dueText, isOverdue, moment, userZone } from "./format.js";
import { describeTaskRecurrence } from "./rrule.js";

const PRIORITY = { high: "High priority", low: "Low priority" };
const STATUS = { in_progress: "In progress" };

/** The <li> of `task`; buttons carry data-action (complete, reopen, edit, reschedule, delete). */
export function renderRow(task) {
  const done = task.status === "complete";
  const name = `“${task.title}”`;
  const metaId = `meta-${task.id}`;
  return h("li", {
    class: "task", dataset: { taskId: task.id, status: task.status, priority: task.priority, version: task.version },
  },
  h("button", {
    type: "button", class: "check", dataset: { action: done ? "reopen" : "complete" },
    "aria-label": done ? `Reopen ${name}` : `Complete ${name}`,
  }, icon("check")),
  h("div", { class: "body" },
    h("button", { type: "button", class: "title", dataset: { action: "edit" }, "aria-describedby": metaId },
      task.title),
    h("p", { class: "meta", id: metaId }, ...meta(task))),
  h("div", { class: "row-actions" },
    done ? null : h("button", {
      type: "button", class: "icon-button", dataset: { action: "reschedule" }, "aria-label": `Reschedule ${name}`,
      title: "Reschedule",
    }, icon("calendar")),
    h("button", {
      type: "button", class: "icon-button", dataset: { action: "delete" }, "aria-label": `Delete ${name}`,
      title: "Delete",
    }, icon("trash"))));
}

function meta(task) {
  const items = [];
  if (task.status === "complete" && task.completed_at) {
    items.push(h("span", { class: "done" }, `Done ${moment(task.completed_at)}`));
  } else if (task.due_date) {
    const late = isOverdue(task);
    items.push(h("time", { datetime: task.due_date, class: late ? "due overdue" : "due" },
      late ? `Overdue · ${dueText(task)}` : dueText(task)));
  }
  if (STATUS[task.status]) items.push(h("span", { class: "badge" }, STATUS[task.status]));
  if (task.recurrence) items.push(h("span", { class: "repeat" }, describeTaskRecurrence(task, userZone())));
  if (task.reminder_time && task.status !== "complete") {
    items.push(h("span", { class: "reminder" }, `Reminder ${moment(task.reminder_time)}`));
  }
  if (PRIORITY[task.priority]) {
    items.push(h("span", { class: `priority priority-${task.priority}` }, PRIORITY[task.priority]));
  }
  for (const tag of task.tags) items.push(h("span", { class: "tag" }, `#${tag}`));
  if (task.description) items.push(h("span", { class: "has-notes" }, "Notes"));
  return items;
}
