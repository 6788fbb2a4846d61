"""The filter a ``list`` command asks for: status, a date window, priority, tags, free text.

Windows are [due_from, due_to) dates in the user's zone: ``today``, ``tomorrow``, a weekday
or a date is one day; ``this week``/``next week`` Monday to Monday; ``this month``/``next
month`` the calendar month; ``this weekend`` Saturday to Monday. ``overdue`` asks for pending
tasks whose due has passed (the service compares with now). Words left over that are not
filler (my, tasks, due, ...) become the free-text filter.
"""

from __future__ import annotations

import re

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
    " todos to-dos up what with next about containing matching named called".split()
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
    status, overdue = None, False
    for match in _STATUS.finditer(text):
        if any(s.start < match.end() and match.start() < s.end for s in spans):
            continue
        word = STATUS[key(match.group("s"))]
        overdue, status = overdue or word == "overdue", status or _status(word)
        kind = "date" if word == "overdue" else "intent"
        spans.append(Span(match.start(), match.end(), kind, match.group(0), word))
    priority, tags = found.priority, list(found.tags)
    for match in _LEVEL.finditer(text):
        priority = priority or key(match.group("a") or match.group("b"))
        spans.append(Span(match.start(), match.end(), "priority", match.group(0), priority))
    for match in _TAGGED.finditer(text):
        tags.append(match.group("t").lower())
        spans.append(Span(match.start(), match.end(), "tag", match.group(0), tags[-1]))
    window = found.query_dates[0] if found.query_dates else None
    rest = leftover(scan, region, [(s.start, s.end) for s in spans])
    words = [w for w in _WORD.findall(rest) if w.lower() not in FILLER]
    query = Query(
        status=status,
        overdue=overdue,
        window=window.label if window is not None else ("overdue" if overdue else None),
        due_from=None if window is None else window.day,
        due_to=None if window is None else window.end,
        priority=priority,
        tags=tuple(dict.fromkeys(tags)),
        text=" ".join(words) or None,
    )
    return query, sorted(spans, key=lambda s: s.start)


def _status(word: str) -> str:
    return "pending" if word == "overdue" else word
