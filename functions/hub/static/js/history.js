// A task's history: its audit trail (GET /api/audit/<user>/task/<id>), oldest first,
// each event with who, when and what changed.

import { api, explain, query } from "./api.js";
import * as auth from "./auth.js";
import { $, h } from "./dom.js";
import { dueText, moment } from "./format.js";

const WHAT = {
  "task.created": "Created", "task.updated": "Changed", "task.completed": "Completed",
  "task.reopened": "Reopened", "task.deleted": "Deleted", "recurring.task.created": "Next repeat created",
};
const FIELDS = { title: "title", description: "notes", status: "status", priority: "priority", tags: "tags",
  due_date: "due", reminder_time: "reminder", recurrence: "repeat", repeat_from: "repeat counts from",
  timezone: "time zone" };
const state = { taskId: null, cursor: null, last: null, generation: 0 };

export function reset(taskId) {
  state.taskId = taskId;
  state.cursor = null;
  state.last = null;
  state.generation += 1;
  $("history-list").replaceChildren();
  $("history-more").hidden = true;
}

export async function load(more = false) {
  const generation = state.generation;
  const path = `/api/audit/${encodeURIComponent(auth.user())}/task/${state.taskId}`;
  try {
    const page = await api(path + query({ limit: 50, cursor: more ? state.cursor : null }));
    if (generation !== state.generation) return;
    for (const record of page.items) $("history-list").append(entry(record));
    state.cursor = page.next_cursor;
    $("history-more").hidden = !state.cursor;
    if (!page.items.length && !more) $("history-list").append(h("li", {}, "No history yet."));
  } catch (e) {
    $("history-list").append(h("li", { class: "error" }, explain(e)));
  }
}

function entry(record) {
  const before = state.last;
  state.last = record.payload;
  const changes = record.event_type === "task.updated" && before ? describeChanges(before, record.payload) : [];
  return h("li", { dataset: { event: record.event_type } },
    h("strong", {}, WHAT[record.event_type] || record.event_type), " by ", record.user_id, " · ",
    h("time", { datetime: record.occurred_at }, moment(record.occurred_at)),
    changes.length ? h("p", { class: "changes" }, changes.join("; ")) : null);
}

function describeChanges(before, after) {
  const out = [];
  for (const [field, label] of Object.entries(FIELDS)) {
    if (JSON.stringify(before[field]) === JSON.stringify(after[field])) continue;
    out.push(`${label}: ${show(field, before)} → ${show(field, after)}`);
  }
  return out;
}

function show(field, task) {
  const value = task[field];
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return "none";
  if (field === "due_date") return dueText(task);
  if (field === "reminder_time") return moment(value);
  if (field === "tags") return value.map((tag) => `#${tag}`).join(" ");
  if (field === "description") return `“${value.length > 40 ? `${value.slice(0, 40)}…` : value}”`;
  if (field === "title") return `“${value}”`;
  return String(value).replace("_", " ");
}
