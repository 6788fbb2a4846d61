"""Spans: the understood parts of the text, with JSON-friendly values, and the title left over."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit
from functions.todo.language.masking import Scan
from functions.todo.language.model import Span
from functions.todo.language.times import Moment

if TYPE_CHECKING:
    from functions.todo.language.extract import Found

KINDS = {"modifier": "recurrence", "shift": "date"}
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?)])")
_EDGE = re.compile(r"^[\s,;:\-–—]+|[\s,;:.\-–—]+$")
_ORPHAN = re.compile(r"[,;:]\s*(?=[,.;:!?]|$)")
_DOUBLE = re.compile(r"([,;])\s*(?:[,;]\s*)+")


def span_of(hit: Hit, original: str, found: Found, clock: Clock) -> Span:
    kind = KINDS.get(hit.kind, hit.kind)
    return Span(hit.start, hit.end, kind, original[hit.start : hit.end], _value(hit, found))


def _value(hit: Hit, found: Found) -> Any:
    value = hit.value
    if hit.kind == "date":
        return value.day.isoformat()
    if hit.kind == "time":
        return value.at.isoformat() if isinstance(value, Moment) else value.wall.strftime("%H:%M")
    if hit.kind == "recurrence":
        return found.recurrence
    if hit.kind == "modifier":
        return _modifier(value)
    if hit.kind in ("shift",):
        return value.to_dict()
    if hit.kind == "reminder":
        return None if found.reminder is None else found.reminder.to_dict()
    return value


def _modifier(value: Any) -> dict[str, Any]:
    if value.start is not None:
        return {"start": value.start.isoformat()}
    if value.until is not None:
        return {"until": value.until.isoformat()}
    if value.count is not None:
        return {"count": value.count}
    length = value.length
    return {
        unit: getattr(length, unit) for unit in ("years", "months", "days") if getattr(length, unit)
    }


def keyword_span(original: str, start: int, end: int, intent: str) -> Span:
    text = original[start:end]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    return Span(start, end, "intent", original[start:end], intent)


def leftover(scan: Scan, region: tuple[int, int], taken: Iterable[tuple[int, int]]) -> str:
    """The text of ``region`` minus the taken ranges and quote marks, whitespace tidied."""
    start, end = region
    keep = [True] * (end - start)
    for left, right in taken:
        for i in range(max(left, start), min(right, end)):
            keep[i - start] = False
    for mark in scan.quote_marks:
        if start <= mark < end:
            keep[mark - start] = False
    text = "".join(c if k else " " for c, k in zip(scan.original[start:end], keep, strict=True))
    return tidy(text)


def tidy(text: str) -> str:
    text = " ".join(text.split())
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _DOUBLE.sub(r"\1 ", text)
    return _EDGE.sub("", _ORPHAN.sub("", text))
