"""Deterministic English for quick-add and chat: ``parse`` a line, ``describe_rrule`` a rule.

Pure Python, no network, no model. See ``parser`` for the rules it follows.
"""

from functions.todo.language.absolute import warm_up
from functions.todo.language.describe import describe_rrule
from functions.todo.language.model import Due, Parsed, Query, Reminder, Shift, Span
from functions.todo.language.parser import parse

__all__ = [
    "Due",
    "Parsed",
    "Query",
    "Reminder",
    "Shift",
    "Span",
    "describe_rrule",
    "parse",
    "warm_up",
]
