"""Commands about an existing task: complete, reopen, delete, rename, reschedule, remind, repeat.

A bare verb whose object carries a date, time, repeat, tag or priority is a new task:
``finish the report`` completes "report", ``finish report by friday #work`` adds a task.

For reschedule and remind the new date is the run of date/time phrases at the END of the
line (``reschedule dentist friday to monday`` moves "dentist friday" to Monday); what comes
before it, less a linking to/for/until/on/at, names the task.
"""

from __future__ import annotations

import re

from functions.todo.language import reminders
from functions.todo.language.clock import Clock
from functions.todo.language.extract import ADD, REMIND, RESCHEDULE, combine, find
from functions.todo.language.hits import Hit
from functions.todo.language.intents import Command
from functions.todo.language.masking import Scan
from functions.todo.language.model import Parsed, Span
from functions.todo.language.spans import keyword_span, leftover, span_of
from functions.todo.language.targets import target_of

_LINK = re.compile(r"(?i)\s(?P<link>to|for|until|till|on|at|by)\s+$")
_GAP = re.compile(r"[\s,]*")
_END = re.compile(r"[\s.!?\x00]*")
ONLY_WITH_A_DATE = frozenset({"move", "push", "bump"})


def keywords(scan: Scan, command: Command) -> list[Span]:
    intent = command.intent.removeprefix("remind-")  # "remind me to ..." adds a task
    return [keyword_span(scan.original, a, b, intent) for a, b in command.keywords]


def by_target(scan: Scan, command: Command, clock: Clock) -> Parsed | None:
    """None when a bare verb comes with a due date, tag or the like: a new task then."""
    region = command.region("target")
    if command.intent != "rename" and not command.closed and region is not None:
        if find(scan.only(region), clock, ADD):
            return None
    target = target_of(scan, region)
    title = ""
    if command.intent == "rename":
        title = leftover(scan, command.region("title"), ())  # type: ignore[arg-type]
    return Parsed(command.intent, title, target=target, spans=tuple(keywords(scan, command)))


def repeat(scan: Scan, command: Command, clock: Clock) -> Parsed:
    body = command.region("body")
    found = combine(find(scan.only(body), clock, ADD), clock)  # type: ignore[arg-type]
    spans = keywords(scan, command) + [span_of(h, scan.original, found, clock) for h in found.hits]
    return Parsed(
        "repeat",
        target=target_of(scan, command.region("target")),
        due=found.due if found.recurrence else None,
        recurrence=found.recurrence,
        recur_from_completion=found.bang,
        spans=_sorted(spans),
    )


def reschedule(scan: Scan, command: Command, clock: Clock) -> Parsed | None:
    """None when a ``move``/``push`` line names no new date: it is a new task then."""
    body: tuple[int, int] = command.region("body")  # type: ignore[assignment]
    run, target, link = _trailing(
        scan, body, find(scan.only(body), clock, RESCHEDULE), "reschedule"
    )
    verb = scan.original[slice(*command.keywords[-1])].lower()
    if not run and verb in ONLY_WITH_A_DATE:
        return None
    found = combine(run, clock)
    spans = keywords(scan, command) + link
    spans += [span_of(h, scan.original, found, clock) for h in found.hits]
    return Parsed(
        "reschedule",
        target=target_of(scan, target),
        due=found.due,
        shift=found.shift,
        spans=_sorted(spans),
    )


def remind(scan: Scan, command: Command, clock: Clock) -> Parsed:
    body: tuple[int, int] = command.region("body")  # type: ignore[assignment]
    run, target, link = _trailing(scan, body, find(scan.only(body), clock, REMIND), "remind")
    value = reminders.value_of(run)
    reminder = None if value is None else value.resolve(clock, None)
    spans = keywords(scan, command) + link
    if run and reminder is not None:
        start, end = run[0].start, run[-1].end
        text = scan.original[start:end]
        spans.append(Span(start, end, "reminder", text, reminder.to_dict()))
    return Parsed("remind", target=target_of(scan, target), reminder=reminder,
                  spans=_sorted(spans))  # fmt: skip


def _trailing(
    scan: Scan, body: tuple[int, int], hits: list[Hit], intent: str
) -> tuple[list[Hit], tuple[int, int] | None, list[Span]]:
    """The run of hits that ends the body, the target before it, and the linking word."""
    run: list[Hit] = []
    end = body[1]
    for hit in reversed(hits):
        tail = _END if not run else _GAP
        if tail.fullmatch(scan.text, hit.end, end if not run else run[0].start) is None:
            break
        run.insert(0, hit)
    if not run:
        return [], body, []
    start = run[0].start
    link = _LINK.search(scan.text, body[0], start)
    spans = []
    if link is not None:
        spans.append(keyword_span(scan.original, link.start("link"), link.end("link"), intent))
        start = link.start()
    target = (body[0], start) if scan.text[body[0] : start].strip() else None
    return run, target, spans


def _sorted(spans: list[Span]) -> tuple[Span, ...]:
    return tuple(sorted(spans, key=lambda s: s.start))
