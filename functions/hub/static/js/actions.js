// Complete, reopen, reschedule and delete. Completing and deleting wait UNDO_MS before
// they reach the server (the page shows them at once): Undo simply cancels, so a
// recurring task never spawns a repeat that would have to be taken back, and nothing
// is deleted that Undo could not restore. Leaving the page sends what waits at once.
// A reschedule is sent at once; its Undo sends the old due date back.

import { api, explain } from "./api.js";
import { dueText } from "./format.js";
import * as store from "./store.js";
import { error, toast } from "./toasts.js";

export const UNDO_MS = 5000;
const waiting = new Map(); // task id -> {action, timer, note, title}

export function complete(task) {
  wait(task, "complete", `Completed “${task.title}”`);
}

export function remove(task) {
  const series = task.recurrence ? " (its repeats end)" : "";
  wait(task, "delete", `Deleted “${task.title}”${series}`);
}

export async function reopen(task) {
  const row = document.querySelector(`li[data-task-id="${task.id}"]`);
  store.upsert(await api(`/api/tasks/${task.id}/reopen`, { method: "POST" }));
  toast({ message: `Reopened “${task.title}”` });
  if (row && !row.isConnected) document.getElementById("view-title").focus();
}

/** Move `task` to `due` ({due_date, all_day}); Undo moves it back. */
export async function reschedule(task, due) {
  const back = { due_date: task.due_date, all_day: task.all_day, reminder_time: task.reminder_time };
  const { timezone, ...fields } = due;
  const body = { ...fields, ...shiftedReminder(task, due.due_date) };
  if (!task.timezone && timezone) body.timezone = timezone;
  const moved = await api(`/api/tasks/${task.id}`, { method: "PATCH", body, ifMatch: task.version });
  store.upsert(moved);
  const where = moved.due_date ? `to ${dueText(moved)}` : "to no date";
  toast({
    message: `Rescheduled “${moved.title}” ${where}`, timeout: UNDO_MS,
    action: { label: "Undo", run: () => putBack(moved, back) },
  });
}

async function putBack(moved, back) {
  try {
    const latest = store.get(moved.id) || moved;
    store.upsert(await api(`/api/tasks/${moved.id}`, { method: "PATCH", body: back, ifMatch: latest.version }));
  } catch (e) {
    error(`Could not undo: ${explain(e)}`);
  }
}

/** A reminder moves with its due date, by the same amount. */
function shiftedReminder(task, dueDate) {
  if (!task.reminder_time || !task.due_date || !dueDate) return {};
  const shift = Date.parse(dueDate) - Date.parse(task.due_date);
  return { reminder_time: new Date(Date.parse(task.reminder_time) + shift).toISOString() };
}

function wait(task, action, message) {
  send(task.id);
  const next = nextFocus(task.id);
  store.setPending(task.id, action);
  const note = toast({
    message, timeout: UNDO_MS, action: { label: "Undo", run: () => undo(task.id) },
  });
  const timer = setTimeout(() => send(task.id), UNDO_MS);
  waiting.set(task.id, { action, timer, note, title: task.title });
  if (!document.querySelector(`li[data-task-id="${task.id}"]`)) next?.focus();
}

function undo(id) {
  const entry = waiting.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  waiting.delete(id);
  store.setPending(id, null);
  document.querySelector(`li[data-task-id="${id}"] .title`)?.focus();
  toast({ message: `Undone: “${entry.title}” is back`, timeout: 3000 });
}

/** Send what waits for task `id` now. */
async function send(id, keepalive = false) {
  const entry = waiting.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  waiting.delete(id);
  try {
    if (entry.action === "complete") {
      store.upsert(await api(`/api/tasks/${id}/complete`, { method: "POST", keepalive }));
    } else {
      await api(`/api/tasks/${id}`, { method: "DELETE", keepalive });
      store.remove(id);
    }
  } catch (e) {
    if (entry.action === "delete" && e.status === 404) store.remove(id);
    else error(`Could not ${entry.action} “${entry.title}”: ${explain(e)}`);
  } finally {
    store.setPending(id, null);
  }
}

/** Send everything that waits (the page is being left). */
export function sendAll() {
  for (const id of [...waiting.keys()]) send(id, true);
}

function nextFocus(id) {
  const row = document.querySelector(`li[data-task-id="${id}"]`);
  const sibling = row?.nextElementSibling || row?.previousElementSibling;
  return sibling?.querySelector(".title") || document.getElementById("view-title");
}
