// Quick add: a live preview of what the parser understood (POST /api/parse, debounced),
// each understood part highlighted in the text; selecting one keeps it as plain text
// (sent back as an `ignore` range). Adding posts the preview's `would_create`; a line
// that reads as a command (complete, list, ...) goes to the chat instead.

import { api, explain } from "./api.js";
import { $, debounce, h } from "./dom.js";
import { dueText, moment, userZone } from "./format.js";
import { carryRanges, pieces } from "./ranges.js";
import * as store from "./store.js";
import { error, toast } from "./toasts.js";

const KINDS = { date: "a date", time: "a time", recurrence: "a repeat", reminder: "a reminder",
  priority: "the priority", tag: "a tag", intent: "a command", window: "a period", target: "the task meant",
  shift: "a shift", status: "a status" };
const state = { text: "", ignore: [], asked: 0 };
let sendToChat = () => {};

export function init({ chat }) {
  sendToChat = chat;
  const input = $("quick-input");
  const later = debounce(refresh, 200);
  input.addEventListener("input", () => {
    state.ignore = carryRanges(state.ignore, state.text, input.value);
    state.text = input.value;
    if (input.value.trim()) later();
    else reset(false);
  });
  $("quick-add").addEventListener("submit", (event) => {
    event.preventDefault();
    later.cancel();
    add().catch((e) => error(explain(e)));
  });
  $("quick-mirror").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-start]");
    if (button) toggle(Number(button.dataset.start), Number(button.dataset.end));
  });
}

const parse = (text, ignore) =>
  api("/api/parse", { method: "POST", body: { text, timezone: userZone(), ignore } });

async function refresh(focusStart = null) {
  const asked = ++state.asked;
  const { text, ignore } = state;
  try {
    const preview = await parse(text, ignore);
    if (asked === state.asked) render(text, ignore, preview, focusStart);
  } catch (e) {
    if (asked === state.asked) $("quick-summary").textContent = explain(e);
  }
}

function toggle(start, end) {
  const index = state.ignore.findIndex(([s, e]) => s === start && e === end);
  if (index >= 0) state.ignore.splice(index, 1);
  else state.ignore.push([start, end]);
  refresh(start);
}

function render(text, ignore, preview, focusStart) {
  const kept = ignore.map(([start, end]) => ({ start, end, kind: "ignored" }));
  const nodes = pieces(text, [...preview.understood, ...kept]).map((piece) => {
    if (typeof piece === "string") return piece;
    const ignored = piece.kind === "ignored";
    return h("button", {
      type: "button", class: `hl hl-${ignored ? "ignored" : piece.kind}`, "aria-pressed": String(ignored),
      dataset: { start: piece.start, end: piece.end, kind: piece.kind },
      "aria-label": ignored
        ? `“${piece.text}” is kept as text. Select to read it again.`
        : `“${piece.text}” read as ${KINDS[piece.kind] || piece.kind}. Select to keep it as text.`,
    }, piece.text);
  });
  $("quick-mirror").replaceChildren(...nodes);
  $("quick-summary").textContent = summary(preview);
  $("quick-preview").hidden = false;
  if (focusStart !== null) $("quick-mirror").querySelector(`[data-start="${focusStart}"]`)?.focus();
}

function summary(preview) {
  if (preview.intent !== "add") {
    return `Reads as a command (${preview.intent}): Add sends it to the chat.`;
  }
  const task = preview.would_create || {};
  if (!task.title) return "Nothing to add yet: give the task a title.";
  const parts = [`Adds “${task.title}”`];
  if (task.due_date) parts.push(`due ${dueText({ ...task, status: "pending" })}`);
  if (preview.recurrence_text) parts.push(preview.recurrence_text);
  if (task.reminder_time) parts.push(`reminder ${moment(task.reminder_time)}`);
  if (task.priority && task.priority !== "medium") parts.push(`${task.priority} priority`);
  if (task.tags?.length) parts.push(task.tags.map((tag) => `#${tag}`).join(" "));
  return parts.join(" · ");
}

async function add() {
  const text = $("quick-input").value;
  if (!text.trim()) return;
  $("quick-submit").disabled = true;
  try {
    const preview = await parse(text, state.ignore);
    if (preview.intent !== "add") {
      reset(true);
      sendToChat(text);
      return;
    }
    if (!preview.would_create?.title) throw new Error("Give the task a title.");
    const task = await api("/api/tasks", { method: "POST", body: preview.would_create });
    store.upsert(task);
    reset(true);
    const due = task.due_date ? ` — due ${dueText(task)}` : "";
    toast({ message: `Added “${task.title}”${due}` });
  } finally {
    $("quick-submit").disabled = false;
  }
}

function reset(clearInput) {
  state.asked += 1;
  state.ignore = [];
  if (clearInput) $("quick-input").value = "";
  state.text = $("quick-input").value;
  $("quick-preview").hidden = true;
  $("quick-mirror").replaceChildren();
  $("quick-summary").textContent = "";
}
