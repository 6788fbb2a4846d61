// todomesh web page: the user's tasks, kept current through the hub's WebSocket.
// Reconnects with backoff and resumes from the last `seq`; a `resync` reloads.
"use strict";

const state = {
  user: new URLSearchParams(location.search).get("user") || "",
  tasks: new Map(),      // id -> task snapshot
  gone: new Map(),       // id -> version at deletion (so a stale snapshot cannot revive it)
  lastSeq: null,         // last change seen; null until the first `ready`
  retryMs: 500,
  socket: null,
};
const $ = (id) => document.getElementById(id);

function api(path, options = {}) {
  const headers = { "X-User-Id": state.user, ...(options.body ? { "Content-Type": "application/json" } : {}) };
  return fetch(path, { ...options, headers }).then(async (response) => {
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || problem.title || `HTTP ${response.status}`);
    }
    return response.status === 204 ? null : response.json();
  });
}

function showError(error) {
  $("error").textContent = error ? String(error.message || error) : "";
  $("error").hidden = !error;
}

function upsert(task) {
  const known = state.tasks.get(task.id);
  if ((known && known.version > task.version) || state.gone.get(task.id) >= task.version) return;
  state.tasks.set(task.id, task);
}

function remove(task) {
  state.gone.set(task.id, task.version ?? Infinity);
  state.tasks.delete(task.id);
}

async function reload() {
  let cursor = "";
  const fresh = [];
  do {
    const page = await api(`/api/tasks?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    fresh.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  const ids = new Set(fresh.map((task) => task.id));
  for (const id of state.tasks.keys()) if (!ids.has(id)) state.tasks.delete(id);
  fresh.forEach(upsert);
  render();
}

function render() {
  const list = $("tasks");
  const tasks = [...state.tasks.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
  list.replaceChildren(...tasks.map(renderTask));
  $("empty").hidden = tasks.length > 0;
}

function renderTask(task) {
  const item = $("task-template").content.firstElementChild.cloneNode(true);
  item.dataset.taskId = task.id;
  item.dataset.status = task.status;
  item.querySelector(".title").textContent = task.title;
  item.querySelector(".status").textContent = task.status.replace("_", " ");
  const complete = item.querySelector(".complete");
  complete.disabled = task.status === "complete";
  complete.addEventListener("click", () => act(`/api/tasks/${task.id}/complete`, "POST"));
  item.querySelector(".delete").addEventListener("click", () =>
    act(`/api/tasks/${task.id}`, "DELETE").then((ok) => ok && (remove({ id: task.id }), render())));
  return item;
}

async function act(path, method, body) {
  try {
    showError(null);
    const task = await api(path, { method, body: body && JSON.stringify(body) });
    if (task) upsert(task);   // our own change shows at once; its event confirms it
    render();
    return true;
  } catch (error) {
    showError(error);
    return false;
  }
}

function setConnection(stateName, text) {
  $("connection").dataset.state = stateName;
  $("connection").textContent = text;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = new URLSearchParams({ user: state.user });
  if (state.lastSeq !== null) query.set("since", String(state.lastSeq));
  const socket = new WebSocket(`${scheme}//${location.host}/ws/${encodeURIComponent(state.user)}?${query}`);
  state.socket = socket;
  socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    const delay = Math.min(10000, state.retryMs) * (0.5 + Math.random() / 2);
    state.retryMs = Math.min(10000, state.retryMs * 2);
    setConnection("reconnecting", "reconnecting…");
    setTimeout(connect, delay);
  });
}

function onMessage(message) {
  handle(message);
  $("connection").dataset.seq = String(state.lastSeq);
}

function handle(message) {
  if (message.type === "ready") {
    const first = state.lastSeq === null;
    state.lastSeq = message.seq;
    state.retryMs = 500;
    setConnection("live", "live");
    if (first) reload().catch(showError);
  } else if (message.type === "resync") {
    state.lastSeq = message.seq;
    reload().catch(showError);
  } else if (state.lastSeq === null || message.seq > state.lastSeq) {
    state.lastSeq = message.seq;
    if (message.type === "task.deleted") remove(message.payload);
    else if (message.type.startsWith("task.")) upsert(message.payload);
    render();
  }
}

function start() {
  if (!state.user) {
    $("who").hidden = false;
    setConnection("idle", "not signed in");
    return;
  }
  $("user").textContent = state.user;
  $("tasks-section").hidden = false;
  $("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const title = $("new-title").value.trim();
    if (!title) return;
    $("new-title").value = "";
    act("/api/tasks", "POST", { title });
  });
  connect();
}

document.addEventListener("DOMContentLoaded", start);
