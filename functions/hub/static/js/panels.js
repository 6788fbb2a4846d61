// The side panels (inbox, chat): one open at a time, Escape closes, focus goes to the
// panel and back to its button.

import { $ } from "./dom.js";

const PANELS = { inbox: "inbox-button", chat: "chat-button" };
const opened = new Map(); // panel id -> callback when it opens

export function init(onOpen) {
  for (const [panel, button] of Object.entries(PANELS)) {
    opened.set(panel, onOpen[panel] || (() => {}));
    $(button).addEventListener("click", () => toggle(panel));
  }
  for (const button of document.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => close(button.dataset.close));
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || document.querySelector("dialog[open]")) return;
    const open = Object.keys(PANELS).find((panel) => !$(panel).hidden);
    if (open) close(open);
  });
}

export function show(panel) {
  for (const other of Object.keys(PANELS)) if (other !== panel && !$(other).hidden) close(other, false);
  if ($(panel).hidden) {
    $(panel).hidden = false;
    $(PANELS[panel]).setAttribute("aria-expanded", "true");
    opened.get(panel)();
  }
  const field = panel === "chat" ? $("chat-input") : $(`${panel}-title`);
  field.focus();
}

export function close(panel, refocus = true) {
  $(panel).hidden = true;
  $(PANELS[panel]).setAttribute("aria-expanded", "false");
  if (refocus) $(PANELS[panel]).focus();
}

function toggle(panel) {
  if ($(panel).hidden) show(panel);
  else close(panel);
}
