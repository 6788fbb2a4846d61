"""The filter a ``list`` command asks for: status, a date window, priority, tags, free text.

Windows are [due_from, due_to) dates in the user's zone: ``today``, ``tomorrow``, a weekday
or a date is one day; ``this week``/``next week`` Monday to Monday; ``this month``/``next
month`` the calendar month; ``this weekend`` Saturday to Monday. ``overdue`` asks for pending
tasks whose due has passed (the service compares with now). Words left over that are not
filler (my, tasks, due, ...) become the free-text filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from functions.todo.language.clock import Clock
from functions.todo.language.extract import QUERY, combine, find
from functions.todo.language.masking import Scan
from functions.todo.language.model import Query, Span
from functions.todo.language.spans import leftover, span_of
from functions.todo.language.vocab import L, R, compile_, key

STATUS = {
    "pending": "pending", "open": "pending", "incomplete": "pending", "outstanding": "pending",
    "remaining": "pending", "undone": "pending", "unfinished": "pending", "active": "pending",
    "in progress": "in_progress", "started": "in_progress", "ongoing": "in_progress",
    "completed": "complete", "complete": "complete", "done": "complete",
    "finished": "complete", "closed": "complete", "overdue": "overdue", "late": "overdue",
    "past due": "overdue",
}  # fmt: skip
FILLER = frozenset(
    "a all an any anything are do due everything for got have i in is items item left list me"
    " my of on planned please s scheduled show stuff task tasks that the there things to todo"
    " todos to-dos up what what's whats what’s with next about containing matching named"
    " called".split()
)
_STATUS = compile_(rf"{L}(?P<s>in\s+progress|past\s+due|{'|'.join(STATUS)}){R}")
_LEVEL = compile_(rf"{L}(?:(?P<a>high|medium|low)\s+priority|priority\s+(?P<b>high|medium|low)){R}")
_TAGGED = compile_(rf"{L}(?:tagged|tag)\s+(?P<t>[^\W\d_][\w-]{{0,49}}){R}")
_WORD = re.compile(r"[\w'’-]+")


def build(scan: Scan, region: tuple[int, int] | None, clock: Clock) -> tuple[Query, list[Span]]:
    if region is None:
        return Query(), []
    text = scan.only(region)
    found = combine(find(text, clock, QUERY), clock, query=True)
    spans = [span_of(hit, scan.original, found, clock) for hit in found.hits]
    spans += _words(text, _STATUS, spans, lambda m: STATUS[key(m.group("s"))])
    spans += _words(text, _LEVEL, spans, lambda m: key(m.group("a") or m.group("b")))
    spans += _words(text, _TAGGED, spans, lambda m: m.group("t").lower())
    said = {s.value for s in spans if s.kind in ("intent", "date") and s.value in STATUS.values()}
    status = next((s for s in ("complete", "in_progress", "pending") if s in said), None)
    overdue = "overdue" in said
    window = found.query_dates[0] if found.query_dates else None
    rest = leftover(scan, region, [(s.start, s.end) for s in spans])
    words = [w for w in _WORD.findall(rest) if w.lower() not in FILLER]
    query = Query(
        status="pending" if overdue and status is None else status,
        overdue=overdue,
        window=window.label if window is not None else ("overdue" if overdue else None),
        due_from=None if window is None else window.day,
        due_to=None if window is None else window.end,
        priority=found.priority or _first(spans, "priority"),
        tags=tuple(dict.fromkeys([*found.tags, *(s.value for s in spans if s.kind == "tag")])),
        text=" ".join(words) or None,
    )
    return query, sorted(spans, key=lambda s: s.start)


def _words(
    text: str, pattern: re.Pattern[str], taken: list[Span], value: Callable[[re.Match[str]], str]
) -> list[Span]:
    """Spans for the matches of ``pattern`` that overlap nothing understood yet."""
    found: list[Span] = []
    for match in pattern.finditer(text):
        if any(s.start < match.end() and match.start() < s.end for s in taken + found):
            continue
        word = value(match)
        kind = {_STATUS: "date" if word == "overdue" else "intent", _LEVEL: "priority"}
        found.append(Span(match.start(), match.end(), kind.get(pattern, "tag"), match[0], word))
    return found


def _first(spans: list[Span], kind: str) -> str | None:
    return next((s.value for s in spans if s.kind == kind), None)
