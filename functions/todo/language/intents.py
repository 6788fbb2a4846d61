"""Which command a line is, from its leading words (patterns over the scan text).

A command verb at the start wins: ``finish the report`` completes a task named "report";
to add such a task, write ``add finish the report`` or quote it. ``move``/``push``/``bump``
only reschedule when a new date follows (``move couch to garage`` is a new task).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from functions.todo.language.vocab import FLAGS

LEAD = (
    r"^\s*(?P<lead>(?:please|pls|plz|kindly)\s+|(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
)
END = r"[\s.!?]*"
_DONE = r"(?:done|complete|completed|finished)"
_NOT_DONE = (
    r"(?:not\s+(?:yet\s+)?(?:done|complete|completed|finished)|undone|incomplete|open|pending)"
)

COMMANDS = (
    ("remind", rf"{LEAD}(?P<k1>remind\s+me\s+(?:about|of))\s+(?P<body>.+?){END}"),
    ("remind-add", rf"{LEAD}(?P<k1>remind\s+me\s+to)\s+(?P<body>.+?){END}"),
    ("remind-add", rf"{LEAD}(?P<k1>remind\s+me)\s+(?P<when>.+?)\s+(?P<k2>to)\s+(?P<body>.+?){END}"),
    ("list", rf"""{LEAD}(?P<k1>show(?:\s+me)?|list|display)(?:\s+(?P<body>.+?))?{END}"""),
    (
        "list",
        rf"""{LEAD}(?P<k1>what(?:'s|’s|s|\s+is|\s+are)?)\s+(?P<body>(?:due|on|up|left|pending
        |overdue|open|scheduled|planned|next|my|completed|done|for|todo|to\s+do)\b.*?){END}""",
    ),
    (
        "list",
        rf"""{LEAD}(?P<k1>(?:what|anything)\s+(?:do|have)\s+i\s+(?:got|have)?|do\s+i\s+have
        |have\s+i\s+got|is\s+there|are\s+there)(?:\s+(?P<body>.+?))?{END}""",
    ),
    ("list", rf"{LEAD}(?P<k1>(?:my\s+)?(?:tasks|todos|to-dos|agenda))(?:\s+(?P<body>.+?))?{END}"),
    (
        "list",
        rf"""{LEAD}(?P<k1>anything|something)\s+(?P<body>(?:due|on|for|left|scheduled
        |planned|overdue|pending)\b.*?){END}""",
    ),
    (
        "rename",
        rf"""{LEAD}(?P<k1>rename|retitle|change\s+(?:the\s+)?(?:title|name)\s+of)
        \s+(?P<target>.+?)\s+(?P<k2>to|as|into)\s+(?P<title>.+?){END}""",
    ),
    (
        "repeat",
        rf"""{LEAD}(?P<k1>make|set)\s+(?P<target>.+?)\s+(?P<k2>(?:to\s+)?(?:repeat|recur)s?
        |(?:be\s+)?(?:repeating|recurring))\s+(?P<body>.+?){END}""",
    ),
    (
        "repeat",
        rf"""{LEAD}(?P<k1>repeat)\s+(?P<target>.+?)\s+(?P<body>(?:every|each|ev)!?\s.+?
        |(?:daily|weekly|monthly|yearly|annually|fortnightly)\b.*?){END}""",
    ),
    (
        "reschedule",
        rf"""{LEAD}(?P<k1>reschedule|postpone|move|push|defer|delay|snooze|bump)
        \s+(?P<body>.+?){END}""",
    ),
    (
        "reopen",
        rf"""{LEAD}(?P<k1>reopen|re-open|uncomplete|un-complete|unfinish|uncheck|unmark
        |undo(?:\s+(?:complete|completion|done))?|mark)\s+(?P<target>.+?)
        (?:\s+(?P<k2>(?:as\s+)?{_NOT_DONE}))?{END}""",
    ),
    (
        "complete",
        rf"""{LEAD}(?P<k1>mark|check|tick|cross)\s+(?P<target>.+?)
        \s+(?P<k2>(?:as\s+)?{_DONE}|off){END}""",
    ),
    (
        "complete",
        rf"""{LEAD}(?P<k1>complete|completed|done|finish|finished|check\s+off|tick\s+off
        |cross\s+off)\s+(?P<target>.+?){END}""",
    ),
    ("delete", rf"{LEAD}(?P<k1>delete|remove|del|erase)\s+(?P<target>.+?){END}"),
    (
        "add",
        rf"""{LEAD}(?P<k1>add(?:\s+(?:a\s+)?(?:new\s+)?(?:task|todo|to-do|item))?
        |(?:create|new)\s+(?:a\s+)?(?:new\s+)?(?:task|todo|to-do|item)
        |remember\s+to|don'?t\s+forget\s+to)(?:\s*:\s*|\s+)(?P<body>.+?)\s*""",
    ),
    ("add", rf"{LEAD}(?P<k1>task|todo|to-do)\s*:\s*(?P<body>.+?)\s*"),
    ("add", r"^\s*(?P<lead>(?:please|pls|plz|kindly)\s+)?(?P<body>.+?)\s*"),
)
PATTERNS = tuple((intent, re.compile(pattern, FLAGS | re.DOTALL)) for intent, pattern in COMMANDS)


@dataclass(frozen=True)
class Command:
    intent: str
    keywords: tuple[tuple[int, int], ...]
    groups: dict[str, tuple[int, int]]
    closed: bool = False  # the command words wrap the target ("mark X as done")

    def region(self, name: str) -> tuple[int, int] | None:
        return self.groups.get(name)


def detect(scan_text: str, patterns: tuple = PATTERNS) -> Command | None:
    """The first command whose pattern covers the whole line; None for a blank line."""
    for intent, pattern in patterns:
        match = pattern.fullmatch(scan_text)
        if match is None:
            continue
        if intent == "reopen" and match.group("k1").lower() == "mark" and not match.group("k2"):
            continue
        keywords = tuple(match.span(n) for n in ("lead", "k1", "k2") if _has(match, n))
        groups = {
            name: match.span(name)
            for name in ("target", "body", "title", "when")
            if _has(match, name)
        }
        return Command(intent, keywords, groups, closed=_has(match, "k2"))
    return None


def _has(match: re.Match[str], name: str) -> bool:
    return name in match.re.groupindex and match.group(name) is not None and match.group(name) != ""


def as_task(scan_text: str) -> Command:
    """The line as a new task, whatever verb it starts with."""
    command = detect(scan_text, PATTERNS[-1:])
    return command if command is not None else Command("add", (), {"body": (0, len(scan_text))})
