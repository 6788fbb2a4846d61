"""The page's RRULE describer (js/rrule.js) says what the server's describe_rrule says,
rule for rule, with no start, an all-day start and timed starts in two zones."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.todo.language.describe import describe_rrule
from tests.support.browser import Tabs
from tests.support.platform import PlatformProcess

pytestmark = pytest.mark.browser
RULES = [
    "daily", "weekly", "monthly", "FREQ=DAILY", "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=FR,TH,WE,TU,MO",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY;BYDAY=FR,MO",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "FREQ=MONTHLY;BYDAY=+3FR", "FREQ=MONTHLY;BYDAY=-1SU",
    "FREQ=MONTHLY;BYDAY=-2MO", "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO,3MO", "FREQ=MONTHLY;BYDAY=FR",
    "FREQ=MONTHLY;BYMONTHDAY=1,15", "FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=-3",
    "FREQ=MONTHLY;BYMONTHDAY=11,12,13,21,22,23,101,111", "FREQ=YEARLY",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=14", "FREQ=YEARLY;INTERVAL=2;BYMONTH=1,7;BYMONTHDAY=1",
    "FREQ=DAILY;BYDAY=SA,SU", "FREQ=DAILY;BYHOUR=7;BYMINUTE=30", "FREQ=DAILY;BYHOUR=7,19",
    "FREQ=WEEKLY;COUNT=1", "FREQ=WEEKLY;BYDAY=WE;COUNT=5", "FREQ=DAILY;UNTIL=20270301",
    "FREQ=DAILY;UNTIL=20270301T060000Z", "FREQ=DAILY;UNTIL=20270301T230000",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=2", " freq=weekly;byday=sa ", "FREQ=HOURLY;INTERVAL=4",
    "FREQ=MINUTELY", "FREQ=FORTNIGHTLY", "BYDAY=MO", "FREQ=WEEKLY;BYDAY=1MO",
    "FREQ=DAILY;COUNT=x",
]  # fmt: skip
# (start for Python, start for the page: [ISO instant, zone, all day] or None)
STARTS = [
    (None, None),
    (date(2027, 1, 15), ["2027-01-15T12:00:00Z", "Europe/Berlin", True]),
    (datetime(2027, 1, 15, 9, 5, tzinfo=ZoneInfo("Europe/Berlin")),
     ["2027-01-15T08:05:00Z", "Europe/Berlin", False]),
    (datetime(2027, 2, 28, 22, 0, tzinfo=ZoneInfo("America/Los_Angeles")),
     ["2027-03-01T06:00:00Z", "America/Los_Angeles", False]),
]  # fmt: skip
DESCRIBE_ALL = """async ([rules, starts]) => {
  const { describeRrule } = await import(`${location.origin}/static/js/rrule.js`);
  return starts.map((s) => rules.map((rule) => {
    const start = s && { instant: new Date(s[0]), tz: s[1], allDay: s[2] };
    try { return describeRrule(rule, start); } catch { return "ERROR"; }
  }));
}"""


def server_words(rule: str, start: date | None) -> str:
    try:
        return describe_rrule(rule, start)
    except (ValueError, IndexError):
        return "ERROR"


def test_the_page_describes_every_rule_as_the_server_does(
    open_tab: Tabs, site: PlatformProcess
) -> None:
    page = open_tab.new_context().new_page()
    page.goto(f"{site.url}/")
    words = page.evaluate(DESCRIBE_ALL, [RULES, [page_start for _, page_start in STARTS]])
    expected = [[server_words(rule, start) for rule in RULES] for start, _ in STARTS]
    mismatches = [
        (rule, str(STARTS[i][0]), mine, theirs)
        for i, (row_mine, row_theirs) in enumerate(zip(words, expected, strict=True))
        for rule, mine, theirs in zip(RULES, row_mine, row_theirs, strict=True)
        if mine != theirs
    ]
    assert not mismatches, "\n".join(map(str, mismatches))
    assert expected[2][RULES.index("FREQ=MONTHLY;BYDAY=+3FR")] == "every 3rd Friday at 9:05"
