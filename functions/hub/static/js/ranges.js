// Ranges of the quick-add text, in characters (code points, as the server counts them).

/** The ignored `ranges` of `before`, carried over to `after`: one edit changes one stretch
 * (found by the common prefix and suffix); ranges before it stay, ranges after it move,
 * and ranges it touches are dropped. */
export function carryRanges(ranges, before, after) {
  const a = Array.from(before);
  const b = Array.from(after);
  const most = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < most && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < most - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;
  const editEnd = a.length - suffix;
  const shift = b.length - a.length;
  return ranges.flatMap(([start, end]) => {
    if (end <= prefix) return [[start, end]];
    if (start >= editEnd) return [[start + shift, end + shift]];
    return [];
  });
}

/** The text cut into pieces: plain strings, and {start, end, text, span} for each span
 * (spans sorted, never overlapping). */
export function pieces(text, spans) {
  const chars = Array.from(text);
  const out = [];
  let at = 0;
  for (const span of [...spans].sort((x, y) => x.start - y.start)) {
    if (span.start < at || span.end > chars.length) continue;
    if (span.start > at) out.push(chars.slice(at, span.start).join(""));
    out.push({ ...span, text: chars.slice(span.start, span.end).join("") });
    at = span.end;
  }
  if (at < chars.length) out.push(chars.slice(at).join(""));
  return out;
}
