// Toasts: short messages at the bottom of the screen, read out politely, each with an
// optional action (Undo, Open) and a close button. Reminders stay until closed.

import { $, h, icon } from "./dom.js";

const MAX = 4;

/** toast({message, action: {label, run}, timeout, kind}) -> {close()} */
export function toast({ message, action = null, timeout = 6000, kind = "info" }) {
  const region = $("toasts");
  let timer = null;
  const close = () => {
    clearTimeout(timer);
    const hadFocus = item.contains(document.activeElement);
    item.remove();
    if (hadFocus) $("main").focus();
  };
  const item = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "toast-text" }, message),
    action && h("button", {
      type: "button", class: "toast-action",
      onclick: () => { close(); action.run(); },
    }, action.label),
    h("button", { type: "button", class: "icon-button toast-close", "aria-label": "Dismiss", onclick: close },
      icon("close")));
  region.append(item);
  while (region.children.length > MAX) region.firstElementChild.remove();
  if (timeout) timer = setTimeout(close, timeout);
  return { close, element: item };
}

export const error = (message) => toast({ message, kind: "error", timeout: 8000 });
