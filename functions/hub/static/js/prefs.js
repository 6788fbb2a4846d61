// Where reminders go: in the app, by email, to a webhook (GET|PUT
// /api/notifications/preferences); each field's error is shown next to it.

import { ApiError, api, explain } from "./api.js";
import { $ } from "./dom.js";

const FIELDS = { email: "prefs-email-error", webhook_url: "prefs-webhook-error", channels: "prefs-channels-error" };

export function init() {
  $("preferences").addEventListener("toggle", () => $("preferences").open && load());
  $("prefs-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
}

async function load() {
  try {
    const prefs = await api("/api/notifications/preferences");
    const form = $("prefs-form");
    for (const box of form.elements.channels) box.checked = prefs.channels.includes(box.value);
    form.elements.email.value = prefs.email || "";
    form.elements.webhook_url.value = prefs.webhook_url || "";
    status("");
  } catch (e) {
    status(explain(e));
  }
}

async function save() {
  const form = $("prefs-form");
  const body = {
    channels: [...form.elements.channels].filter((box) => box.checked).map((box) => box.value),
    email: form.elements.email.value.trim() || null,
    webhook_url: form.elements.webhook_url.value.trim() || null,
  };
  showErrors({});
  try {
    await api("/api/notifications/preferences", { method: "PUT", body });
    status("Saved.");
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) showErrors(e.fieldErrors);
    status(explain(e));
  }
}

function showErrors(errors) {
  for (const [field, id] of Object.entries(FIELDS)) {
    $(id).textContent = errors[field] ? `${field === "webhook_url" ? "Webhook URL" : field} ${errors[field]}` : "";
    $(id).hidden = !errors[field];
  }
  $("prefs-email").setAttribute("aria-invalid", String(Boolean(errors.email)));
  $("prefs-webhook").setAttribute("aria-invalid", String(Boolean(errors.webhook_url)));
}

const status = (text) => { $("prefs-status").textContent = text; };
