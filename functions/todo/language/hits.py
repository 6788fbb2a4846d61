"""Candidate matches (hits) and the choice of a non-overlapping set of them.

Each grammar proposes hits; ``select`` keeps the longest where two overlap (ties go to the
lower rank), then drops the weak ones that nothing vouches for, then the date words that
read as part of a Capitalised Name ("Friday Night Lights").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from functions.todo.language.clock import Clock

RANKS = {"reminder": 0, "recurrence": 1, "modifier": 2, "shift": 3, "date": 4, "time": 5}
WHEN = frozenset({"date", "time", "recurrence", "modifier", "shift"})
_GAP = re.compile(r"[\s,]*")
_TAIL = re.compile(r"[\s.,;:!?)\]]*")
_NEXT_NAME = re.compile(r" ([A-Z][\w'’]*)")
_NEXT_WORD = re.compile(r"\s+[\w\x00]")


@dataclass(frozen=True)
class Hit:
    """One proposed understanding of text[start:end].

    ``weak`` is None for a hit that stands alone, "cue" for one that needs a date, time or
    rule right next to it ("sat" in "sat 5pm"), "after" for one that needs a date right
    before it ("morning" in "tomorrow morning"), "tail" for one that may also end the text
    ("the 27th"), and "adjective" for one that must not stand before another plain word
    ("daily" in "daily standup").
    """

    start: int
    end: int
    kind: str
    value: Any
    weak: str | None = None

    @property
    def rank(self) -> int:
        return RANKS.get(self.kind, 9)


Handler = Callable[[re.Match[str], Clock], Hit | None]


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    handle: Handler


def find_all(rules: Iterable[Rule], text: str, clock: Clock) -> list[Hit]:
    found = []
    for rule in rules:
        for match in rule.pattern.finditer(text):
            hit = rule.handle(match, clock)
            if hit is not None:
                found.append(hit)
    return found


def match_at(rules: Iterable[Rule], text: str, pos: int, clock: Clock) -> Hit | None:
    """The longest hit of any rule that starts exactly at ``pos``."""
    best = None
    for rule in rules:
        match = rule.pattern.match(text, pos)
        hit = None if match is None else rule.handle(match, clock)
        if hit is not None and (best is None or hit.end > best.end):
            best = hit
    return best


def strong(hit: Hit) -> Hit:
    return replace(hit, weak=None)


def select(hits: Sequence[Hit], text: str) -> list[Hit]:
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.rank, h.start)):
        if all(hit.end <= other.start or other.end <= hit.start for other in chosen):
            chosen.append(hit)
    chosen.sort(key=lambda h: h.start)
    return _drop_names(_drop_weak(chosen, text), text)


def adjacent(left: Hit, right: Hit, text: str) -> bool:
    return _GAP.fullmatch(text, left.end, right.start) is not None


def _drop_weak(hits: list[Hit], text: str) -> list[Hit]:
    def vouched(index: int) -> bool:
        hit = hits[index]
        if hit.weak == "adjective":
            word = _NEXT_WORD.match(text, hit.end)
            return word is None or any(h.start == word.end() - 1 for h in hits)
        if hit.weak == "tail" and _TAIL.fullmatch(text, hit.end) is not None:
            return True
        sides = (index - 1,) if hit.weak == "after" else (index - 1, index + 1)
        neighbours = [hits[i] for i in sides if 0 <= i < len(hits)]
        if hit.weak == "after":
            neighbours = [n for n in neighbours if n.kind == "date"]
        return any(
            n.weak is None and n.kind in WHEN and adjacent(*sorted((hit, n), key=_start), text)
            for n in neighbours
        )

    return [hit for i, hit in enumerate(hits) if hit.weak is None or vouched(i)]


def _drop_names(hits: list[Hit], text: str) -> list[Hit]:
    """Drop Capitalised date words followed by another Capitalised word nobody understood."""
    changed = True
    while changed:
        changed = False
        for hit in reversed(hits):
            if hit.kind in ("date", "time") and _is_name_part(hit, hits, text):
                hits = [h for h in hits if h is not hit]
                changed = True
                break
    return hits


def _is_name_part(hit: Hit, hits: list[Hit], text: str) -> bool:
    words = text[hit.start : hit.end].split()
    if not words or not all(w[0].isupper() and w.isalpha() for w in words):
        return False
    following = _NEXT_NAME.match(text, hit.end)
    if following is None:
        return False
    return not any(h.start <= following.start(1) < h.end for h in hits)


def _start(hit: Hit) -> int:
    return hit.start
