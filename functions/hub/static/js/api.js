// The REST API with the bearer token: problem+json errors become ApiError; a 401 renews
// the token once and tries again.

import * as auth from "./auth.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** "title: must be ..." for each field a 422 names. */
  get fieldErrors() {
    return Object.fromEntries((this.problem.errors || []).map((e) => [e.field, e.message]));
  }
}

/** `api("/api/tasks", {method, body, ifMatch, keepalive})` -> the JSON answer or null. */
export async function api(path, { method = "GET", body, ifMatch, keepalive = false } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Authorization: `Bearer ${await auth.freshToken()}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
    const response = await fetch(path, {
      method, headers, keepalive, body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && attempt === 0) {
      await auth.renew();
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})));
    return response.status === 204 ? null : response.json();
  }
}

/** A query string from the present, non-empty values of `params`. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A message for a person from any error a call can throw. */
export function explain(error) {
  if (error instanceof ApiError) {
    const fields = Object.entries(error.fieldErrors).map(([f, m]) => `${f.replace("_", " ")} ${m}`);
    return fields.length ? fields.join("; ") : error.message;
  }
  if (error instanceof TypeError) return "The server cannot be reached; try again in a moment.";
  return error?.message || String(error);
}
