// The hub's WebSocket: the token goes in the subprotocols ("bearer", token), never in the
// URL. Reconnects with backoff and `?since=<last seq>`, so nothing is lost; 4401 (token
// missing, bad or expired) renews the token and reconnects at once; `resync` asks the
// page to reload its data.

import * as auth from "./auth.js";
import { emitter } from "./dom.js";

const TOKEN_CLOSED = 4401;
const FORBIDDEN = 4403;
const MAX_RETRY_MS = 15_000;

export function createLive(userId) {
  const events = emitter();
  let socket = null;
  let lastSeq = null;
  let retryMs = 500;
  let failures = 0;
  let timer = null;
  let stopped = false;

  const setState = (state, detail = {}) => events.emit("state", { state, seq: lastSeq, ...detail });

  async function connect() {
    clearTimeout(timer);
    if (stopped) return;
    setState(lastSeq === null ? "connecting" : "reconnecting");
    let token;
    try {
      token = await auth.freshToken();
    } catch {
      return retry();
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const since = lastSeq === null ? "" : `?since=${lastSeq}`;
    const url = `${scheme}//${location.host}/ws/${encodeURIComponent(userId)}${since}`;
    const ws = new WebSocket(url, ["bearer", token]);
    socket = ws;
    ws.addEventListener("message", (event) => socket === ws && receive(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => socket === ws && closed(event));
  }

  function receive(message) {
    if (message.type === "ready") {
      const first = lastSeq === null;
      lastSeq = message.seq;
      retryMs = 500;
      failures = 0;
      setState("live");
      events.emit("ready", { first });
    } else if (message.type === "resync") {
      lastSeq = message.seq;
      events.emit("resync", message);
    } else if (lastSeq === null || message.seq > lastSeq) {
      lastSeq = message.seq;
      events.emit("message", message);
      setState("live");
    }
  }

  async function closed(event) {
    socket = null;
    if (stopped) return;
    events.emit("closed", event.code);
    if (event.code === FORBIDDEN) {
      setState("refused", { reason: event.reason });
      return;
    }
    failures += 1;
    // A refused handshake shows as 1006 with no reason: after two, renew the token too.
    if (event.code === TOKEN_CLOSED || (event.code === 1006 && failures >= 2)) {
      try {
        await auth.renew();
        if (event.code === TOKEN_CLOSED) return connect();
      } catch {
        // the provider is unreachable too: keep retrying with backoff
      }
    }
    retry();
  }

  function retry() {
    clearTimeout(timer);
    const delay = Math.round(retryMs * (0.5 + Math.random() / 2));
    retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    setState(navigator.onLine === false ? "offline" : "reconnecting", { retryIn: delay });
    timer = setTimeout(connect, delay);
  }

  function online() {
    if (!socket && !stopped) connect();
  }

  window.addEventListener("online", online);
  return {
    on: events.on,
    start: connect,
    get seq() { return lastSeq; },
    stop() {
      stopped = true;
      clearTimeout(timer);
      window.removeEventListener("online", online);
      socket?.close(1000, "signed out");
      socket = null;
    },
  };
}
