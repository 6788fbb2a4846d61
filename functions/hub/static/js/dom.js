// Small DOM helpers: build elements without innerHTML, find them by id.

export const $ = (id) => document.getElementById(id);

/** h("li", {class: "task", dataset: {id}}, child, ...) -> Element. Strings become text. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "class") el.className = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A copy of an icon from the page's <svg> sprite templates (decorative). */
export function icon(name) {
  const template = document.getElementById(`icon-${name}`);
  const svg = template.content.firstElementChild.cloneNode(true);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  return svg;
}

export function show(el, visible) {
  el.hidden = !visible;
}

/** Run `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

/** A tiny event emitter: on(name, fn) -> off(); emit(name, value). */
export function emitter() {
  const listeners = new Map();
  return {
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(fn);
      return () => listeners.get(name).delete(fn);
    },
    emit(name, value) {
      for (const fn of listeners.get(name) || []) fn(value);
    },
  };
}
