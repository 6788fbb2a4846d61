// The views, each a set of the API's filters (the server filters, sorts and pages), and
// the same rules applied to one changed task, to place a live update in the open list.

import { dueDay, userZone } from "./format.js";
import { addDays, dayKey, startOfDay } from "./zone.js";

export const VIEWS = {
  today: { title: "Today", sort: "due", status: "open", empty: "Nothing due today." },
  upcoming: { title: "Upcoming", sort: "due", status: "open", grouped: true, empty: "Nothing coming up." },
  overdue: { title: "Overdue", sort: "due", status: "open", empty: "Nothing overdue." },
  all: { title: "All", sort: "created", status: "open", empty: "No open tasks." },
  completed: { title: "Completed", sort: "completed", status: "complete", empty: "Nothing completed yet." },
};

/** The API filters of `view` with `filters` ({q, tag, priority}) at `now`. */
export function filtersOf(name, filters, now = new Date()) {
  const view = VIEWS[name];
  const today = dayKey(now, userZone());
  const window = {
    today: { due_from: startOfDay(today, userZone()), due_before: startOfDay(addDays(today, 1), userZone()) },
    upcoming: { due_from: startOfDay(today, userZone()) },
    overdue: { due_before: now },
  }[name] || {};
  const iso = Object.fromEntries(Object.entries(window).map(([k, v]) => [k, v.toISOString()]));
  return { status: view.status, sort: view.sort, ...iso, ...clean(filters) };
}

function clean({ q, tag, priority }) {
  return { q: q?.trim() || undefined, tag: tag?.trim() || undefined, priority: priority || undefined };
}

/** Whether `task` belongs in a list loaded with `params` (filtersOf's result). */
export function matches(task, params) {
  if (params.status === "open" ? task.status === "complete" : task.status !== params.status) return false;
  if (params.priority && task.priority !== params.priority) return false;
  if (params.tag && !task.tags.includes(params.tag)) return false;
  if (params.q) {
    const q = params.q.toLowerCase();
    if (!`${task.title}\n${task.description}`.toLowerCase().includes(q)) return false;
  }
  const key = { created: "created_at", due: "due_date", completed: "completed_at" }[params.sort];
  if (!task[key]) return false;
  const due = task.due_date ? Date.parse(task.due_date) : null;
  if (params.due_from && !(due !== null && due >= Date.parse(params.due_from))) return false;
  if (params.due_before && !(due !== null && due < Date.parse(params.due_before))) return false;
  return true;
}

/** The list's order for `sort`, as the API sorts: by the moment, then by id. */
export function comparator(sort) {
  const key = { created: "created_at", due: "due_date", completed: "completed_at" }[sort];
  const sign = sort === "completed" ? -1 : 1;
  return (a, b) => {
    const diff = Date.parse(a[key]) - Date.parse(b[key]);
    if (diff) return sign * diff;
    return sign * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  };
}

/** [{key, tasks}] by due day for a grouped view, else one group. */
export function groups(name, tasks) {
  if (!VIEWS[name].grouped) return [{ key: "all", tasks }];
  const byDay = new Map();
  for (const task of tasks) {
    const key = dueDay(task) || "none";
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(task);
  }
  return [...byDay].map(([key, list]) => ({ key, tasks: list }));
}
