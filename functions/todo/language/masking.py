"""The scan text: the original with literal parts blanked out, offsets unchanged.

Text in double quotes ("..." or “...”) and the ranges a caller asks to ignore are plain
title text: the grammars never see them, because each of their characters becomes MASK,
which no pattern matches and which no word may touch. The quote marks themselves are
dropped from titles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from functions.todo.language.vocab import MASK

_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”')


@dataclass(frozen=True)
class Scan:
    original: str
    text: str
    quote_marks: frozenset[int]

    def only(self, *keep: tuple[int, int]) -> str:
        """The scan text with everything outside the ``keep`` ranges turned to spaces."""
        chars = [" "] * len(self.text)
        for start, end in keep:
            chars[start:end] = self.text[start:end]
        return "".join(chars)


def build_scan(text: str, ignore: Iterable[tuple[int, int]] = ()) -> Scan:
    chars = list(text)
    marks: set[int] = set()
    for match in _QUOTED.finditer(text):
        marks.update((match.start(), match.end() - 1))
        chars[match.start() : match.end()] = MASK * (match.end() - match.start())
    for start, end in _clean_ranges(ignore, len(text)):
        chars[start:end] = MASK * (end - start)
    return Scan(text, "".join(chars), frozenset(marks))


def _clean_ranges(ranges: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    cleaned = []
    for pair in ranges:
        start, end = (int(value) for value in pair)
        start, end = max(0, min(start, length)), max(0, min(end, length))
        if start < end:
            cleaned.append((start, end))
    return cleaned
