// The page: sign in, then the views, the live stream, the panels and the dialogs.

import * as actions from "./actions.js";
import { ApiError, api, explain } from "./api.js";
import * as auth from "./auth.js";
import * as chat from "./chat.js";
import * as connection from "./connection.js";
import { $ } from "./dom.js";
import * as editor from "./editor.js";
import * as filters from "./filters.js";
import { setZone, userZone } from "./format.js";
import * as inbox from "./inbox.js";
import * as list from "./list.js";
import { createLive } from "./live.js";
import * as panels from "./panels.js";
import * as prefs from "./prefs.js";
import * as quickadd from "./quickadd.js";
import * as reminders from "./reminders.js";
import * as reschedule from "./reschedule.js";
import * as store from "./store.js";
import { error, toast } from "./toasts.js";
import { VIEWS } from "./views.js";
import { browserZone, dayKey } from "./zone.js";

let live = null;
let wired = false;
let loaded = false;

async function boot() {
  $("sign-in").addEventListener("click", () => auth.signIn().catch((e) => welcome(explain(e))));
  auth.onSignedOut(leave);
  try {
    if (await auth.start()) return enter();
    welcome();
  } catch (e) {
    welcome(explain(e));
  }
}

function welcome(message = "") {
  $("app").hidden = true;
  $("top-actions").hidden = true;
  $("welcome").hidden = false;
  $("welcome-error").textContent = message;
  $("welcome-error").hidden = !message;
  connection.show({ state: "idle" });
}

function enter() {
  $("welcome").hidden = true;
  $("app").hidden = false;
  $("top-actions").hidden = false;
  $("who").textContent = `Signed in as ${auth.displayName()}`;
  setZone(browserZone());
  if (!wired) wire();
  storeZone().catch(() => {});
  live = createLive(auth.user());
  live.on("state", connection.show);
  live.on("closed", connection.closed);
  live.on("ready", ({ first }) => first && reload());
  live.on("resync", () => reload());
  live.on("message", received);
  live.start();
  setTimeout(() => loaded || reload(), 2000); // the hub is slow to answer: show the list anyway
}

function wire() {
  wired = true;
  list.init(act);
  editor.init({ remove: actions.remove });
  reschedule.init();
  quickadd.init({ chat: (text) => chat.send(text) });
  inbox.init({ open: openTask });
  prefs.init();
  reminders.init({ open: openTask });
  chat.init({ open: openTask, show: () => panels.show("chat") });
  panels.init({ inbox: () => inbox.load().catch((e) => error(explain(e))) });
  filters.init((values) => list.load(list.current().view, values).catch((e) => error(explain(e))));
  store.onChange((id) => id && store.get(id) && filters.rememberTags(store.get(id).tags));
  $("more").addEventListener("click", () => list.more().catch((e) => error(explain(e))));
  $("sign-out").addEventListener("click", () => {
    actions.sendAll(); // while the token is still at hand
    auth.signOut();
  });
  window.addEventListener("hashchange", () => {
    if (location.hash.slice(1) in VIEWS) show(viewFromHash()).catch((e) => error(explain(e)));
  });
  window.addEventListener("pagehide", actions.sendAll);
  tick();
}

function leave(reason) {
  actions.sendAll();
  live?.stop();
  live = null;
  loaded = false;
  store.clear();
  welcome(reason);
}

async function reload() {
  loaded = true;
  await Promise.all([
    show(viewFromHash(), false),
    inbox.refreshCount(),
  ]).catch((e) => error(explain(e)));
}

function received(message) {
  if (message.type === "task.deleted") store.remove(message.task_id, message.payload?.version);
  else if (message.type.startsWith("task.")) store.upsert(message.payload);
  else if (message.type.startsWith("notification.")) reminders.received(message);
}

const viewFromHash = () => (location.hash.slice(1) in VIEWS ? location.hash.slice(1) : "today");

async function show(view, focus = true) {
  for (const link of document.querySelectorAll("[data-view]")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  await list.load(view, filters.values());
  if (focus) $("view-title").focus();
}

async function act(action, id, button) {
  const task = store.get(id);
  if (!task) return;
  try {
    if (action === "edit") editor.open(task);
    else if (action === "complete") actions.complete(task);
    else if (action === "reopen") await actions.reopen(task);
    else if (action === "delete") actions.remove(task);
    else if (action === "reschedule") reschedule.ask(task, (due) => actions.reschedule(task, due).catch(fail(button)));
  } catch (e) {
    fail(button)(e);
  }
}

const fail = (button) => (e) => {
  error(e instanceof ApiError && e.status === 412 ? "The task changed elsewhere; try again." : explain(e));
  if (button?.isConnected) button.focus();
};

async function openTask(id) {
  try {
    const task = store.get(id) || (await api(`/api/tasks/${id}`));
    store.upsert(task);
    editor.open(store.get(id) || task);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) toast({ message: "That task no longer exists." });
    else error(explain(e));
  }
}

async function storeZone() {
  const settings = await api("/api/settings");
  if (settings.timezone !== userZone()) {
    await api("/api/settings", { method: "PUT", body: { timezone: userZone() } });
  }
}

function tick() {
  let today = dayKey(new Date(), userZone());
  setInterval(() => {
    const now = dayKey(new Date(), userZone());
    if (now !== today && live) list.load().catch(() => {});
    else list.render();
    today = now;
  }, 60_000);
}

boot();
