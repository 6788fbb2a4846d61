// The tasks this page knows, newest version wins. A deleted task keeps a tombstone so
// a late snapshot cannot bring it back; a pending action (complete or delete, waiting
// for its undo window) shows through `effective`.

import { emitter } from "./dom.js";

const tasks = new Map(); // id -> newest snapshot seen
const gone = new Map(); // id -> version at deletion
const pending = new Map(); // id -> {action: "complete" | "delete", at}
const events = emitter();

export const onChange = (fn) => events.on("change", fn);

/** Keep `task` if it is newer than what we have; true when it changed anything. */
export function upsert(task) {
  const known = tasks.get(task.id);
  if (known && known.version > task.version) return false;
  if (gone.has(task.id) && gone.get(task.id) >= task.version) return false;
  if (known && known.version === task.version && known.updated_at === task.updated_at) return false;
  tasks.set(task.id, task);
  events.emit("change", task.id);
  return true;
}

export function remove(id, version = Infinity) {
  gone.set(id, Math.max(version, gone.get(id) ?? 0));
  tasks.delete(id);
  pending.delete(id);
  events.emit("change", id);
}

export const get = (id) => tasks.get(id);

/** What the page shows for a task: its snapshot with a pending action applied. */
export function effective(id) {
  const task = tasks.get(id);
  if (!task) return null;
  const { action, at } = pending.get(id) || {};
  if (action === "delete") return null;
  if (action === "complete") return { ...task, status: "complete", completed_at: at };
  return task;
}

export function setPending(id, action) {
  if (action) pending.set(id, { action, at: new Date().toISOString() });
  else pending.delete(id);
  events.emit("change", id);
}

export const pendingAction = (id) => pending.get(id)?.action;

/** Forget everything (signing out, or before a full reload after `resync`). */
export function clear() {
  tasks.clear();
  gone.clear();
  pending.clear();
  events.emit("change", null);
}
