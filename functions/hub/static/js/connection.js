// The connection state in the top bar: connecting, live, reconnecting, offline.

import { $ } from "./dom.js";

const TEXT = {
  idle: "Signed out", connecting: "Connecting…", live: "Live", offline: "Offline: waiting for the network",
  refused: "Not allowed to follow these changes",
};

/** The last close code the hub gave (4401: token expired, 1001: going away, ...). */
export function closed(code) {
  $("connection").dataset.lastClose = String(code);
}

export function show({ state, seq, retryIn }) {
  const el = $("connection");
  el.dataset.state = state;
  if (seq !== null && seq !== undefined) el.dataset.seq = String(seq);
  const seconds = retryIn ? Math.max(1, Math.round(retryIn / 1000)) : 0;
  const text = state === "reconnecting" ? `Reconnecting${seconds ? ` in ${seconds} s` : ""}…` : TEXT[state];
  if (el.textContent !== text) el.textContent = text;
}
