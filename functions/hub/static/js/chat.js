// The chat panel: messages to POST /api/chat in one conversation, each answer with the
// actions it took (tool, what it did, the tasks it touched).

import { api, explain } from "./api.js";
import { $, h } from "./dom.js";
import { dueText, userZone } from "./format.js";
import * as store from "./store.js";

const VERBS = {
  quick_add: "Added", add_tasks: "Added", complete_tasks: "Completed", reopen_tasks: "Reopened",
  reschedule_tasks: "Rescheduled", delete_tasks: "Deleted", update_tasks: "Changed", set_reminder: "Set a reminder on",
};
const state = { conversation: null };
let openTask = () => {};
let showPanel = () => {};

export function init({ open, show }) {
  openTask = open;
  showPanel = show;
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text) return;
    $("chat-input").value = "";
    send(text);
  });
  $("chat-log").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-task-id]");
    if (button) openTask(button.dataset.taskId);
  });
}

/** Send `text` to the chat, showing the panel. */
export async function send(text) {
  showPanel();
  $("chat-log").append(h("li", { class: "from-me" }, h("span", { class: "visually-hidden" }, "You: "), text));
  const waiting = h("li", { class: "from-app", "aria-busy": "true" }, "…");
  $("chat-log").append(waiting);
  try {
    const body = { message: text, timezone: userZone() };
    if (state.conversation) body.conversation_id = state.conversation;
    const answer = await api("/api/chat", { method: "POST", body });
    state.conversation = answer.conversation_id;
    waiting.replaceWith(reply(answer));
  } catch (e) {
    waiting.replaceWith(h("li", { class: "from-app error" }, explain(e)));
  }
  $("chat-log").lastElementChild.scrollIntoView({ block: "nearest" });
}

function reply(answer) {
  const actions = answer.actions.flatMap(describe).filter(Boolean);
  return h("li", { class: "from-app" },
    h("span", { class: "visually-hidden" }, "todomesh: "), answer.reply,
    actions.length ? h("ul", { class: "actions-taken", "aria-label": "What it did" }, actions) : null);
}

function describe({ tool, result }) {
  const tasks = tasksOf(result);
  for (const task of tasks.ok) if (tool !== "delete_tasks") store.upsert(task);
  if (tool in VERBS) {
    const done = tasks.ok.map((task) => [`${VERBS[tool]} “${task.title}”`,
      tool === "reschedule_tasks" && task.due_date ? ` to ${dueText(task)}` : "",
      tool === "delete_tasks" ? null : [" ", openButton(task)]]);
    const failed = tasks.failed.map((message) => `Failed: ${message}`);
    return [...done, ...failed].map((item) => h("li", { dataset: { tool } }, item));
  }
  if (tool.startsWith("find_tasks")) {
    const count = result?.tasks?.length ?? 0;
    return h("li", { dataset: { tool } }, `Looked up tasks: ${count} found`);
  }
  return h("li", { dataset: { tool } }, `Used ${tool.replaceAll("_", " ")}`);
}

function tasksOf(result) {
  if (result?.id) return { ok: [result], failed: [] };
  const items = result?.results || [];
  return {
    ok: items.filter((item) => item.ok && item.task).map((item) => item.task),
    failed: items.filter((item) => !item.ok).map((item) => item.error || "unknown error"),
  };
}

const openButton = (task) =>
  h("button", { type: "button", dataset: { taskId: task.id }, "aria-label": `Open “${task.title}”` }, "Open");
