"""Find what a stretch of text says about dates, repeats, reminders and tokens, and combine it.

The first date and the first time make the due date (either order, any distance apart);
later ones stay title text. A time alone is today, or tomorrow once it has passed. A repeat
without a date starts on its first occurrence on or after now (``starting`` moves that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from functions.todo.language import dates, modifiers, offsets, recurrence, reminders, times, tokens
from functions.todo.language.clock import Clock
from functions.todo.language.hits import Hit, Rule, find_all, select
from functions.todo.language.model import Due, Reminder, Shift
from functions.todo.language.rules import Bounds, first_occurrence, rrule_text

WHEN = dates.RULES + times.RULES + offsets.RULES
ADD = WHEN + tokens.RULES + recurrence.RULES + reminders.RULES
RESCHEDULE = WHEN + offsets.SHIFT_RULES
REMIND = WHEN + (reminders.BEFORE,)
QUERY = dates.RULES + tokens.RULES


@dataclass(frozen=True)
class Found:
    due: Due | None = None
    recurrence: str | None = None
    bang: bool = False
    reminder: Reminder | None = None
    shift: Shift | None = None
    priority: str | None = None
    tags: tuple[str, ...] = ()
    hits: tuple[Hit, ...] = ()
    query_dates: tuple[dates.DateValue, ...] = ()


def find(text: str, clock: Clock, rules: tuple[Rule, ...] = ADD) -> list[Hit]:
    """The chosen hits in ``text`` (a scan, masked outside the region of interest)."""
    hits = find_all(rules, text, clock)
    chosen = select(hits, text)
    if any(hit.kind == "recurrence" for hit in chosen):
        chosen = select(hits + find_all(modifiers.RULES, text, clock), text)
        if not any(hit.kind == "recurrence" for hit in chosen):
            chosen = select(hits, text)
    return chosen


def combine(hits: list[Hit], clock: Clock, *, query: bool = False) -> Found:
    firsts: dict[str, Hit] = {}
    for hit in hits:
        if hit.kind == "date" and hit.value.query_only and not query:
            continue
        if hit.kind not in ("tag", "modifier"):
            firsts.setdefault(hit.kind, hit)
    used = [h for h in hits if firsts.get(h.kind) is h or h.kind in ("tag", "modifier")]
    if isinstance(getattr(firsts.get("time"), "value", None), times.Moment):
        used = [h for h in used if h is not firsts.pop("date", None)]
    if "recurrence" not in firsts:
        used = [h for h in used if h.kind != "modifier"]
    due, rule_text = _due(firsts, [h for h in used if h.kind == "modifier"], clock)
    reminder = None
    if "reminder" in firsts:
        reminder = firsts["reminder"].value.resolve(clock, None if due is None else due.date)
    return Found(
        due=None if query else due,
        recurrence=rule_text,
        bang=rule_text is not None and firsts["recurrence"].value.bang,
        reminder=reminder,
        shift=getattr(firsts.get("shift"), "value", None),
        priority=getattr(firsts.get("priority"), "value", None),
        tags=tokens.unique([h.value for h in used if h.kind == "tag"]),
        hits=tuple(used),
        query_dates=tuple(h.value for h in used if h.kind == "date"),
    )


def _due(firsts: dict[str, Hit], mods: list[Hit], clock: Clock) -> tuple[Due | None, str | None]:
    day: date | None = firsts["date"].value.day if "date" in firsts else None
    value = getattr(firsts.get("time"), "value", None)
    if isinstance(value, times.Moment):
        at = value.at.replace(second=0, microsecond=0)
        return Due.of(at.date(), at.time().replace(fold=0), clock.timezone), None
    wall = None if value is None else value.wall
    if value is not None and day is None:
        day = value.day
    if "recurrence" in firsts:
        rule = firsts["recurrence"].value
        bounds = _bounds(mods)
        start = bounds.start or day or clock.today
        wall = wall or rule.implied_time
        first = first_occurrence(rule, start, wall, clock)
        return Due.of(first, wall, clock.timezone), rrule_text(rule, bounds, start, clock.timezone)
    if day is None and wall is not None:
        day = clock.next_wall(wall)
    return (None if day is None else Due.of(day, wall, clock.timezone)), None


def _bounds(mods: list[Hit]) -> Bounds:
    found: dict[str, object] = {}
    for hit in mods:
        for name in ("start", "until", "length", "count"):
            if getattr(hit.value, name) is not None:
                found.setdefault(name, getattr(hit.value, name))
    if "count" in found:
        found.pop("until", None)
        found.pop("length", None)
    return Bounds(**found)  # type: ignore[arg-type]
