// Toasts: short messages at the bottom of the screen, read out politely, each with an
// optional action (Undo, Open) and a close button. Reminders stay until closed. The
// newest Undo also answers Ctrl+Z (⌘Z) anywhere but in a text field, which keeps its own.

import { $, h, icon } from "./dom.js";

const MAX = 4;
let newestUndo = null; // {item, run}

document.addEventListener("keydown", (event) => {
  if (event.key.toLowerCase() !== "z" || !(event.ctrlKey || event.metaKey)) return;
  if (event.shiftKey || event.altKey || !newestUndo) return;
  if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
  event.preventDefault();
  newestUndo.run();
});

/** toast({message, action: {label, run}, timeout, kind}) -> {close()} */
export function toast({ message, action = null, timeout = 6000, kind = "info" }) {
  const region = $("toasts");
  let timer = null;
  const close = () => {
    clearTimeout(timer);
    if (newestUndo?.item === item) newestUndo = null;
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (hadFocus) $("main").focus();
  };
  const act = () => {
    close();
    action.run();
  };
  const undo = action?.label === "Undo";
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "toast-text" }, message),
    action && h("button", {
      type: "button", class: "toast-action", onclick: act,
      "aria-keyshortcuts": undo ? "Control+Z" : null, title: undo ? "Ctrl+Z" : null,
    }, action.label),
    h("button", { type: "button", class: "icon-button toast-close", "aria-label": "Dismiss", onclick: close },
      icon("close")));
  region.append(item);
  while (region.children.length > MAX) region.firstElementChild.remove();
  if (undo) newestUndo = { item, run: act };
  if (timeout) timer = setTimeout(close, timeout);
  return { close, element: item };
}

export const error = (message) => toast({ message, kind: "error", timeout: 8000 });
