// The inbox: in-app reminders, newest first, paged; each can be marked read or unread.
// The unread count sits on the Inbox button. Reading is no event the hub sends, so this
// browser's other tabs hear of it on a BroadcastChannel, and other devices when their
// page is looked at again.

import { api, explain, query } from "./api.js";
import { $, h } from "./dom.js";
import { moment, reminderDue } from "./format.js";
import * as store from "./store.js";
import { error } from "./toasts.js";

const state = { items: new Map(), cursor: null, loaded: false, generation: 0 };
const tabs = "BroadcastChannel" in window ? new BroadcastChannel("todomesh-inbox") : null;
let openTask = () => {};

export function init({ open }) {
  openTask = open;
  tabs?.addEventListener("message", () => changedElsewhere());
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && changedElsewhere());
  $("inbox-more").addEventListener("click", () => load(true).catch((e) => error(explain(e))));
  $("inbox-read-all").addEventListener("click", () => readAll().catch((e) => error(explain(e))));
  $("inbox-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    const item = button && state.items.get(button.closest("li").dataset.id);
    if (!item) return;
    if (button.dataset.action === "open") openTask(item.task_id);
    else mark(item, button.dataset.action === "read").catch((e) => error(explain(e)));
  });
}

/** The unread count, from the server. */
export async function refreshCount() {
  const { unread } = await api("/api/notifications/unread-count");
  const badge = $("unread");
  badge.textContent = unread > 99 ? "99+" : String(unread);
  badge.dataset.count = String(unread);
  badge.hidden = unread === 0;
  $("inbox-button").setAttribute("aria-label", unread ? `Inbox, ${unread} unread` : "Inbox");
}

/** Load the first page (or the next one). */
export async function load(more = false) {
  const generation = more ? state.generation : ++state.generation;
  const page = await api(`/api/notifications${query({ limit: 20, cursor: more ? state.cursor : null })}`);
  if (generation !== state.generation) return;
  if (!more) {
    state.items.clear();
    $("inbox-list").replaceChildren();
    refreshCount().catch(() => {});
  }
  for (const item of page.items) {
    state.items.set(item.id, item);
    $("inbox-list").append(render(item));
  }
  state.cursor = page.next_cursor;
  state.loaded = true;
  $("inbox-more").hidden = !state.cursor;
  $("inbox-empty").hidden = state.items.size > 0;
}

function changedElsewhere() {
  if (!$("inbox-button").closest("[hidden]")) refreshCount().catch(() => {});
  if (state.loaded && !$("inbox").hidden) load().catch(() => {});
}

/** A reminder that just arrived (a `notification.sent` payload). */
export function arrived(payload) {
  if (state.loaded && !state.items.has(payload.notification_id)) load().catch(() => {});
  refreshCount().catch(() => {});
}

function render(item) {
  return h("li", { class: "note", dataset: { id: item.id, read: String(item.read) } },
    h("p", { class: "note-title" }, item.title),
    h("p", { class: "hint" }, `Reminder ${moment(item.reminder_time)}`,
      item.due_date ? ` · due ${reminderDue(item, store.get(item.task_id))}` : ""),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", dataset: { action: item.read ? "unread" : "read" },
        "aria-label": `${item.read ? "Mark unread" : "Mark read"}: ${item.title}` },
      item.read ? "Mark unread" : "Mark read"),
      h("button", { type: "button", class: "secondary", dataset: { action: "open" },
        "aria-label": `Open task: ${item.title}` }, "Open task")));
}

async function mark(item, read) {
  const updated = await api(`/api/notifications/${item.id}`, { method: "PATCH", body: { read } });
  state.items.set(updated.id, updated);
  const old = $("inbox-list").querySelector(`li[data-id="${updated.id}"]`);
  const fresh = render(updated);
  old?.replaceWith(fresh);
  fresh.querySelector(`[data-action="${read ? "unread" : "read"}"]`)?.focus();
  tabs?.postMessage("read");
  await refreshCount();
}

async function readAll() {
  for (const item of [...state.items.values()].filter((i) => !i.read)) await mark(item, true);
  await refreshCount();
}
