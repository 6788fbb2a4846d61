"""``parse(text, now, timezone)``: one line of everyday English to a structured intent.

Deterministic and offline. A line that starts with a command verb is that command; any
other line is a task to add, except that a line which reads as chat (a greeting, or a
question: ends with "?", starts with what/why/how/..., or with do/can/is/... + you/I/we)
and in which nothing was understood is ``unknown``. A line made only of list filters
(``today``, ``#home``, ``p1``) lists tasks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from functions.todo.language import commands, query
from functions.todo.language.clock import Clock
from functions.todo.language.extract import ADD, combine, find
from functions.todo.language.intents import Command, as_task, detect
from functions.todo.language.masking import Scan, build_scan
from functions.todo.language.model import Parsed, Reminder
from functions.todo.language.reminders import DEFAULT_TIME, read_when
from functions.todo.language.spans import leftover, span_of, tidy

GREETINGS = frozenset(
    "hi|hello|hey|hiya|yo|thanks|thank you|thx|ok|okay|cool|yes|no|yep|nope|bye|help"
    "|good morning|good evening|good afternoon|good night".split("|")
)
QUESTION_WORDS = frozenset("what why how who whom whose when where which".split())
AUXILIARIES = frozenset(
    "do does did can could would will should shall is are am was were have has may might".split()
)
PRONOUNS = frozenset("you u i we they he she it there this that".split())
_WORDS = re.compile(r"[\w'’]+")
_LIST_ONLY = frozenset({"date", "tag", "priority"})


def parse(
    text: str, now: datetime, timezone: str, ignore: Iterable[tuple[int, int]] = ()
) -> Parsed:
    """Parse ``text`` as seen at ``now`` by a user in ``timezone`` (an IANA name).

    ``ignore`` lists [start, end) ranges of ``text`` to take as plain title text, as do
    double-quoted parts. Raises ValueError for an unknown zone or a naive ``now``.
    """
    if not isinstance(text, str):
        raise TypeError("text must be a string")
    clock = Clock.of(now, timezone)
    scan = build_scan(text, ignore)
    command = detect(scan.text)
    if command is None or not _WORDS.search(text):
        return Parsed("unknown", tidy(text))
    handler = _HANDLERS.get(command.intent, _add)
    parsed = handler(scan, command, clock)
    return parsed if parsed is not None else _add(scan, as_task(scan.text), clock)


def _add(scan: Scan, command: Command, clock: Clock) -> Parsed:
    regions = [command.region(name) for name in ("when", "body")]
    shown = [region for region in regions if region is not None]
    if command.region("when") and not _only_when(scan, command.region("when"), clock):
        return _add(scan, as_task(scan.text), clock)
    found = combine(find(scan.only(*shown), clock, ADD), clock)
    spans = commands.keywords(scan, command)
    spans += [span_of(hit, scan.original, found, clock) for hit in found.hits]
    title = leftover(scan, (0, len(scan.text)), [(s.start, s.end) for s in spans])
    reminder = found.reminder
    if command.intent == "remind-add" and reminder is None and found.due is not None:
        reminder = Reminder(at=found.due.moment(DEFAULT_TIME))
    if not title and found.hits and {h.kind for h in found.hits} <= _LIST_ONLY:
        return _list(scan, _plain(scan, "list"), clock)
    if _reads_as_chat(scan, command, found.hits):
        return Parsed("unknown", tidy(scan.original))
    return Parsed(
        "add",
        title,
        due=found.due,
        recurrence=found.recurrence,
        recur_from_completion=found.bang,
        reminder=reminder,
        priority=found.priority,
        tags=found.tags,
        spans=tuple(sorted(spans, key=lambda s: s.start)),
    )


def _list(scan: Scan, command: Command, clock: Clock) -> Parsed:
    filters, spans = query.build(scan, command.region("body"), clock)
    spans += commands.keywords(scan, command)
    return Parsed("list", query=filters, spans=tuple(sorted(spans, key=lambda s: s.start)))


def _only_when(scan: Scan, region: tuple[int, int], clock: Clock) -> bool:
    run, end = read_when(scan.only(region), region[0], clock)
    return bool(run) and not scan.text[end : region[1]].strip()


def _plain(scan: Scan, intent: str = "add") -> Command:
    """The whole line as a command body, with no keywords."""
    return Command(intent, (), {"body": (0, len(scan.text))})


def _reads_as_chat(scan: Scan, command: Command, hits: tuple) -> bool:
    if command.keywords or hits:
        return False
    words = [w.lower() for w in _WORDS.findall(scan.text)]
    if not words or " ".join(words) in GREETINGS or scan.text.rstrip().endswith("?"):
        return True
    if re.split(r"['’]", words[0])[0] in QUESTION_WORDS:
        return True
    return words[0] in AUXILIARIES and len(words) > 1 and words[1] in PRONOUNS


_HANDLERS: dict[str, Callable[[Scan, Command, Clock], Parsed | None]] = {
    "complete": commands.by_target,
    "reopen": commands.by_target,
    "delete": commands.by_target,
    "rename": commands.by_target,
    "repeat": commands.repeat,
    "remind": commands.remind,
    "reschedule": commands.reschedule,  # None: a move without a date, which is a new task
    "list": _list,
}
