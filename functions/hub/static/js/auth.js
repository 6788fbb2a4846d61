// Sign-in: the authorization code flow with PKCE against the issuer /config.json names.
// The access token lives in this module's memory only. The refresh token is kept in
// sessionStorage: this tab only, gone when the tab closes, rotated at every use (the
// provider revokes the whole family when a spent one comes back), so a reload resumes
// without asking again. Tokens are renewed a minute (a fifth of their life, if shorter)
// before they expire, and at once when a call finds them expired.

import { emitter } from "./dom.js";
import { challengeOf, claimsOf, randomString } from "./pkce.js";

const SAVED = "todomesh.refresh";
const PENDING = "todomesh.signin";
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const events = emitter();
let config = null; // {issuer, client_id, scope}
let meta = null; // the issuer's discovery document
let session = null; // {access, refresh, expiresAt, lifetime, user, name}
let renewing = null;
let timer = null;

export class SignInError extends Error {}

export const onSignedOut = (fn) => events.on("signedOut", fn);
export const onRenewed = (fn) => events.on("renewed", fn);
export const user = () => session?.user ?? null;
export const displayName = () => session?.name ?? "";

/** Find the issuer and resume a session (a sign-in answer in the URL, or a saved refresh
 * token): true when signed in, false when the user has to sign in. */
export async function start() {
  config = await getJson("/config.json");
  await moveToIssuerOrigin(config.issuer);
  meta = await getJson(`${config.issuer}/.well-known/openid-configuration`);
  if (meta.issuer !== config.issuer) throw new SignInError("The identity provider names another issuer.");
  document.addEventListener("visibilitychange", renewIfDue);
  const params = new URLSearchParams(location.search);
  if (params.has("code") || params.has("error")) return finishSignIn(params);
  const saved = sessionStorage.getItem(SAVED);
  if (!saved) return false;
  try {
    await redeem({ grant_type: "refresh_token", refresh_token: saved });
    return true;
  } catch (error) {
    if (!(error instanceof SignInError)) throw error;
    sessionStorage.removeItem(SAVED);
    return false;
  }
}

/** Send the browser to the provider's sign-in page. */
export async function signIn() {
  const verifier = randomString(48);
  const state = randomString(16);
  const redirectUri = location.origin + location.pathname;
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, redirectUri, hash: location.hash }));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code", client_id: config.client_id, redirect_uri: redirectUri,
    scope: config.scope, state, code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

async function finishSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, "", location.pathname + (pending?.hash || ""));
  if (params.has("error")) {
    throw new SignInError(params.get("error_description") || params.get("error"));
  }
  if (!pending || params.get("state") !== pending.state) {
    throw new SignInError("This sign-in answer was not asked for by this tab. Sign in again.");
  }
  if (params.has("iss") && params.get("iss") !== meta.issuer) {
    throw new SignInError("The sign-in answer comes from another issuer.");
  }
  await redeem({
    grant_type: "authorization_code", code: params.get("code"),
    redirect_uri: pending.redirectUri, code_verifier: pending.verifier,
  });
  return true;
}

/** A token good for at least a few more seconds. */
export async function freshToken() {
  if (!session) throw new SignInError("Not signed in.");
  if (session.expiresAt - Date.now() < 10_000) await renew();
  return session.access;
}

/** A new access token from the refresh token (one renewal at a time). */
export function renew() {
  if (!session?.refresh) return Promise.reject(new SignInError("Your sign-in has ended."));
  renewing ||= redeem({ grant_type: "refresh_token", refresh_token: session.refresh })
    .catch((error) => {
      if (error instanceof SignInError) signOut("Your sign-in has ended; sign in again.");
      else schedule(Math.min(5_000, session ? session.expiresAt - Date.now() : 5_000), true);
      throw error;
    })
    .finally(() => { renewing = null; });
  return renewing;
}

export function signOut(reason = "") {
  clearTimeout(timer);
  session = null;
  sessionStorage.removeItem(SAVED);
  events.emit("signedOut", reason);
}

async function redeem(form) {
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...form, client_id: config.client_id }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = body.error_description || body.error || `HTTP ${response.status}`;
    if (response.status >= 500) throw new Error(`The identity provider failed: ${reason}`);
    throw new SignInError(reason);
  }
  adopt(body);
}

function adopt(body) {
  const claims = claimsOf(body.access_token);
  const id = body.id_token ? claimsOf(body.id_token) : {};
  const lifetime = 1000 * (body.expires_in ?? claims.exp - claims.iat);
  session = {
    access: body.access_token,
    refresh: body.refresh_token || session?.refresh,
    expiresAt: Date.now() + lifetime,
    lifetime,
    user: claims.sub,
    name: id.name || id.preferred_username || session?.name || claims.sub,
  };
  if (session.refresh) sessionStorage.setItem(SAVED, session.refresh);
  schedule(lifetime - Math.min(60_000, lifetime / 5));
  events.emit("renewed", session.expiresAt);
}

function schedule(delay, retry = false) {
  clearTimeout(timer);
  if (!session?.refresh) return;
  timer = setTimeout(() => renew().catch(() => {}), Math.max(retry ? 1_000 : 2_000, delay));
}

function renewIfDue() {
  if (document.visibilityState !== "visible" || !session) return;
  if (session.expiresAt - Date.now() < Math.min(60_000, session.lifetime / 5)) renew().catch(() => {});
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** The built-in provider names one loopback host (127.0.0.1); a page opened as another
 * (localhost) moves there, so that the page and its token endpoint share one origin. */
async function moveToIssuerOrigin(issuer) {
  const target = new URL(issuer);
  const here = new URL(location.href);
  if (target.origin === here.origin || target.protocol !== here.protocol) return;
  if (target.port !== here.port || !LOOPBACK.has(target.hostname) || !LOOPBACK.has(here.hostname)) return;
  location.replace(target.origin + here.pathname + here.search + here.hash);
  await new Promise(() => {}); // the page is leaving
}
