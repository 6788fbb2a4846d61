// Reminders as they fire: a toast on every open tab, the inbox count, and a desktop
// notification (the Notification API) when the user allowed it and is looking elsewhere.

import { $ } from "./dom.js";
import { reminderDue } from "./format.js";
import * as store from "./store.js";
import * as inbox from "./inbox.js";
import { toast } from "./toasts.js";

let openTask = () => {};

export function init({ open }) {
  openTask = open;
  $("desktop-notifications").addEventListener("click", async () => {
    await Notification.requestPermission();
    showPermission();
  });
  showPermission();
}

function showPermission() {
  const supported = "Notification" in window;
  const permission = supported ? Notification.permission : "unsupported";
  $("desktop-notifications").hidden = permission !== "default";
  const text = { granted: "Reminders also show on your desktop.",
    denied: "Desktop notifications are blocked for this site in your browser settings." }[permission];
  $("desktop-state").textContent = text || "";
  $("desktop-state").hidden = !text;
}

/** A `notification.sent` or `notification.failed` message from the hub. */
export function received(message) {
  const note = message.payload || {};
  if (message.type === "notification.failed") {
    toast({ message: `A reminder for “${note.title}” could not be sent by ${note.channel}.`, kind: "error" });
    return;
  }
  if (note.channel !== "in_app") return;
  const due = note.due_date ? ` — due ${reminderDue(note, store.get(note.task_id))}` : "";
  toast({
    message: `Reminder: ${note.title}${due}`, kind: "reminder", timeout: 0,
    action: { label: "Open", run: () => openTask(note.task_id) },
  });
  inbox.arrived(note);
  desktop(note, due);
}

function desktop(note, due) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  const shown = new Notification(`Reminder: ${note.title}`, { body: due.replace(" — ", ""), tag: note.notification_id });
  shown.addEventListener("click", () => {
    window.focus();
    openTask(note.task_id);
  });
}
