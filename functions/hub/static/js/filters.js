// Search, tag and priority filters: each change reloads the open view through the API.

import { $, debounce, h } from "./dom.js";

let changed = () => {};

export function init(onChange) {
  changed = onChange;
  const later = debounce(() => changed(values()), 300);
  $("filter-q").addEventListener("input", later);
  $("filter-tag").addEventListener("input", later);
  $("filter-priority").addEventListener("change", () => changed(values()));
  $("filter-clear").addEventListener("click", () => {
    $("filter-q").value = "";
    $("filter-tag").value = "";
    $("filter-priority").value = "";
    changed(values());
    $("filter-q").focus();
  });
}

export function values() {
  const found = { q: $("filter-q").value, tag: $("filter-tag").value.replace(/^#/, ""), priority: $("filter-priority").value };
  $("filter-clear").hidden = !(found.q || found.tag || found.priority);
  return found;
}

/** Offer the tags seen so far in the tag filter and the editor. */
export function rememberTags(tags) {
  const list = $("known-tags");
  const known = new Set([...list.options].map((option) => option.value));
  for (const tag of tags) if (!known.has(tag)) list.append(h("option", { value: tag }));
}
