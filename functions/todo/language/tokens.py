"""Priority markers and tags.

``p1`` is high, ``p2`` medium, ``p3`` and ``p4`` low: the project has three levels and
Todoist's p4 ("no priority") has no level of its own, so it joins the lowest one and the
order p1 > p2 > p3 >= p4 holds. ``p0`` and ``p10`` are not priorities.

A tag is ``#word`` or ``@word`` at the start of a word: 1-50 letters, digits, ``-`` or
``_`` with at least one letter (``#1`` is not a tag, nor ``@`` alone or ``a@b.com``).
Tags are lower-cased; duplicates are dropped keeping the first.
"""

from __future__ import annotations

import re

from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule
from functions.todo.language.vocab import L, R, compile_

PRIORITIES = {"1": "high", "2": "medium", "3": "low", "4": "low"}
_LETTER = re.compile(r"[^\W\d_]")


def _priority(m: re.Match[str], clock: Clock) -> Hit | None:
    return Hit(m.start(), m.end(), "priority", PRIORITIES[m.group("n")])


def _tag(m: re.Match[str], clock: Clock) -> Hit | None:
    name = m.group("tag")
    if _LETTER.search(name) is None:
        return None
    return Hit(m.start(), m.end(), "tag", name.lower())


RULES = (
    Rule(compile_(rf"{L}p(?P<n>[1-4]){R}"), _priority),
    Rule(compile_(r"(?<![\w@#&/\\.\-\x00'’])[#@](?P<tag>[\w-]{1,50})(?![\w\-\x00]|\.\w)"), _tag),
)


def unique(tags: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tags))
