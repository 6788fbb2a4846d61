// The open view's list: its first page from the API, more pages by cursor, and every
// live change placed where the server would have put it (or left for "Load more").

import { api, query } from "./api.js";
import { $, h } from "./dom.js";
import { dayHeading, isOverdue } from "./format.js";
import { renderRow } from "./row.js";
import * as store from "./store.js";
import { VIEWS, comparator, filtersOf, groups, matches } from "./views.js";

const PAGE = 50;
const state = { view: "today", filters: {}, params: null, ids: [], cursor: null, generation: 0 };
let ingesting = false;

export const current = () => ({ view: state.view, filters: { ...state.filters }, params: state.params });

export function init(onAction) {
  store.onChange((id) => !ingesting && state.params && place(id));
  $("list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const row = button?.closest("li.task");
    if (row) onAction(button.dataset.action, row.dataset.taskId, button);
  });
}

/** Load the first page of `view` with `filters` (the current ones by default). */
export async function load(view = state.view, filters = state.filters) {
  const generation = ++state.generation;
  Object.assign(state, { view, filters, params: filtersOf(view, filters) });
  $("view-title").textContent = VIEWS[view].title;
  document.title = `${VIEWS[view].title} · todomesh`;
  $("list").setAttribute("aria-busy", "true");
  try {
    const page = await api(`/api/tasks${query({ ...state.params, limit: PAGE })}`);
    if (generation !== state.generation) return;
    state.ids = page.items.map((task) => task.id);
    state.cursor = page.next_cursor;
    ingest(page.items);
    render();
  } finally {
    if (generation === state.generation) $("list").setAttribute("aria-busy", "false");
  }
}

/** The next page of the open view. */
export async function more() {
  if (!state.cursor) return;
  const generation = state.generation;
  const page = await api(`/api/tasks${query({ ...state.params, limit: PAGE, cursor: state.cursor })}`);
  if (generation !== state.generation) return;
  const known = new Set(state.ids);
  const fresh = page.items.filter((task) => !known.has(task.id));
  state.ids.push(...fresh.map((task) => task.id));
  state.cursor = page.next_cursor;
  ingest(page.items);
  render();
  if (fresh.length) document.querySelector(`li[data-task-id="${fresh[0].id}"] .title`)?.focus();
}

function ingest(tasks) {
  ingesting = true;
  try {
    tasks.forEach(store.upsert);
  } finally {
    ingesting = false;
  }
}

/** Put the changed task `id` where it belongs in the list, or take it out. */
function place(id) {
  if (id === null) return render();
  const task = store.effective(id);
  const index = state.ids.indexOf(id);
  if (index >= 0) state.ids.splice(index, 1);
  if (task && matches(task, state.params)) {
    const order = comparator(state.params.sort);
    let at = state.ids.findIndex((other) => {
      const shown = store.effective(other);
      return shown && order(task, shown) < 0;
    });
    if (at < 0 && state.cursor && index < 0) return render(); // comes with "Load more"
    if (at < 0) at = state.ids.length;
    state.ids.splice(at, 0, id);
  }
  return render();
}

/** Bring the DOM in line with the list, keeping rows (and focus) that did not change. */
export function render() {
  const list = $("list");
  const tasks = state.ids.map(store.effective).filter(Boolean);
  const grouped = Boolean(VIEWS[state.view].grouped);
  const sections = new Map([...list.children].map((section) => [section.dataset.key, section]));
  let previous = null;
  for (const group of groups(state.view, tasks)) {
    const key = `${grouped ? "day" : "flat"}:${group.key}`;
    const section = sections.get(key) || newSection(key);
    sections.delete(key);
    const heading = section.querySelector("h3");
    heading.hidden = !grouped;
    heading.textContent = grouped ? (group.key === "none" ? "No date" : dayHeading(group.key)) : VIEWS[state.view].title;
    placeAfter(list, section, previous);
    previous = section;
    syncRows(section.querySelector("ul"), group.tasks);
  }
  for (const stale of sections.values()) stale.remove();
  $("empty").textContent = VIEWS[state.view].empty;
  $("empty").hidden = tasks.length > 0;
  $("more").hidden = !state.cursor;
}

function newSection(key) {
  const id = `group-${key.replace(/[^a-z0-9-]/gi, "-")}`;
  return h("section", { class: "group", dataset: { key } },
    h("h3", { id, class: "group-title" }),
    h("ul", { class: "tasks", role: "list", "aria-labelledby": id }));
}

function syncRows(ul, tasks) {
  const existing = new Map([...ul.children].map((li) => [li.dataset.taskId, li]));
  let previous = null;
  for (const task of tasks) {
    let row = existing.get(task.id);
    existing.delete(task.id);
    const signature = `${task.version}:${task.status}:${isOverdue(task)}:${task.completed_at}`;
    if (!row || row.dataset.signature !== signature) {
      const fresh = renderRow(task);
      fresh.dataset.signature = signature;
      const focused = row?.contains(document.activeElement) ? document.activeElement.dataset.action : null;
      row?.replaceWith(fresh);
      row = fresh;
      if (focused) row.querySelector(`[data-action="${focused}"]`)?.focus();
    }
    placeAfter(ul, row, previous);
    previous = row;
  }
  for (const stale of existing.values()) stale.remove();
}

function placeAfter(parent, el, previous) {
  const wanted = previous ? previous.nextSibling : parent.firstChild;
  if (wanted !== el) parent.insertBefore(el, wanted);
}
