// The task editor: every field in a modal dialog, saved with If-Match. When someone else
// changed the task meanwhile (412), changes to other fields are applied on top of theirs;
// a change to the same field is shown and left to the user.

import { ApiError, api, explain } from "./api.js";
import { $, h } from "./dom.js";
import { moment } from "./format.js";
import { changes, fill, syncRepeat } from "./editor-form.js";
import * as history from "./history.js";
import * as store from "./store.js";
import { toast } from "./toasts.js";

let editing = null; // the snapshot the form was filled from
let onDelete = () => {};

export function init({ remove }) {
  onDelete = remove;
  const dialog = $("editor");
  $("editor-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  for (const button of dialog.querySelectorAll("[data-dismiss]")) button.addEventListener("click", () => dialog.close());
  for (const id of ["f-repeat", "f-rrule", "f-due-date", "f-due-time", "f-timezone"]) {
    $(id).addEventListener("input", syncRepeat);
  }
  $("editor-delete").addEventListener("click", () => {
    dialog.close();
    onDelete(store.get(editing.id) || editing);
  });
  $("history").addEventListener("toggle", () => $("history").open && !$("history-list").children.length && history.load());
  $("history-more").addEventListener("click", () => history.load(true));
}

/** Open the editor on `task`. */
export function open(task) {
  editing = task;
  fillZones();
  fill(task);
  facts(task);
  showError("");
  history.reset(task.id);
  $("history").open = false;
  $("editor-title").textContent = `Edit “${task.title}”`;
  $("editor").showModal();
  $("f-title").focus();
}

async function save() {
  const body = changes(editing);
  if (!Object.keys(body).length) return $("editor").close();
  if ("title" in body && !body.title) return showError("A task needs a title.");
  $("editor-save").disabled = true;
  try {
    const saved = await patch(body);
    if (!saved) return;
    store.upsert(saved);
    $("editor").close();
    toast({ message: `Saved “${saved.title}”` });
  } catch (e) {
    showError(explain(e));
  } finally {
    $("editor-save").disabled = false;
  }
}

async function patch(body) {
  const path = `/api/tasks/${editing.id}`;
  try {
    return await api(path, { method: "PATCH", body, ifMatch: editing.version });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 412) throw e;
  }
  const latest = await api(path);
  store.upsert(latest);
  const clash = Object.keys(body).filter((f) => JSON.stringify(latest[f]) !== JSON.stringify(editing[f]));
  if (clash.length) {
    editing = latest;
    fill(latest);
    facts(latest);
    showError(`Changed elsewhere meanwhile (${clash.join(", ").replaceAll("_", " ")}): the form now shows the newest version.`);
    return null;
  }
  return api(path, { method: "PATCH", body, ifMatch: latest.version });
}

function facts(task) {
  const rows = [["Created", moment(task.created_at)], ["Changed", moment(task.updated_at)]];
  if (task.completed_at) rows.push(["Completed", moment(task.completed_at)]);
  if (task.occurrence) rows.push(["Repeat", `number ${task.occurrence}`]);
  rows.push(["Version", String(task.version)]);
  $("editor-facts").replaceChildren(...rows.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function showError(message) {
  $("editor-error").textContent = message;
  $("editor-error").hidden = !message;
}

function fillZones() {
  const list = $("zones");
  if (list.children.length || !Intl.supportedValuesOf) return;
  list.append(...Intl.supportedValuesOf("timeZone").map((zone) => h("option", { value: zone })));
}
