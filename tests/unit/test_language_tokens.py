"""Priority markers and tags."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from functions.todo.language import parse

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))

TOKENS = [
    ("file taxes p1", "file taxes", "high", ()),
    ("file taxes p2", "file taxes", "medium", ()),
    ("file taxes P3", "file taxes", "low", ()),
    ("file taxes p4", "file taxes", "low", ()),
    ("p1 file taxes #Home", "file taxes", "high", ("home",)),
    ("file taxes #home @work #HOME", "file taxes", None, ("home", "work")),
    ("file taxes #my-list_2", "file taxes", None, ("my-list_2",)),
    ("file taxes #2024-goals", "file taxes", None, ("2024-goals",)),
    ("file taxes #home, #work.", "file taxes", None, ("home", "work")),
    ("file taxes p2 p1", "file taxes p1", "medium", ()),  # the first priority wins
    ("file taxes #" + "a" * 50, "file taxes", None, ("a" * 50,)),
    ("file taxes @5pm", "file taxes", None, ()),  # a time, not a tag
]


@pytest.mark.parametrize(("text", "title", "priority", "tags"), TOKENS)
def test_tokens(text: str, title: str, priority: str | None, tags: tuple[str, ...]) -> None:
    parsed = parse(text, NOW, "Europe/Berlin")
    assert (parsed.intent, parsed.title) == ("add", title)
    assert parsed.priority == priority
    assert parsed.tags == tags


NOT_TOKENS = [
    "check p10 report",
    "call p5 support",
    "#1 priority",
    "mail bob@example.com",
    "learn C# basics",
    "meet @ the office",
    "open http://example.com/#anchor",
    "file taxes #" + "a" * 51,
    "ship p1x fix",
]


@pytest.mark.parametrize("text", NOT_TOKENS)
def test_look_alikes_are_no_tokens(text: str) -> None:
    parsed = parse(text, NOW, "Europe/Berlin")
    assert (parsed.priority, parsed.tags) == (None, ())
    assert parsed.title == text
