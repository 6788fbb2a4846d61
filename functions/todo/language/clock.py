"""The user's clock: today and now in their IANA zone, and wall time to an aware instant.

Wall times are built first and the zone attached after, so DST never shifts a date. A wall
time inside a spring-forward gap moves forward by the gap (02:30 becomes 03:30); an
ambiguous one in the autumn overlap takes the first of the two instants (fold=0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError for anything else."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"unknown time zone {name!r}; expected an IANA name like Europe/Berlin")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}; expected an IANA name") from exc


def wall_to_aware(wall: datetime, zone_name: str) -> datetime:
    """Attach the zone to a naive wall time, normalising a nonexistent time forwards."""
    tz = zone(zone_name)
    first = wall.replace(tzinfo=tz, fold=0)
    return first.astimezone(UTC).astimezone(tz)


@dataclass(frozen=True)
class Clock:
    """``now`` as seen in the user's zone, with the helpers every grammar needs."""

    now: datetime
    timezone: str

    @classmethod
    def of(cls, now: datetime, timezone: str) -> Clock:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        return cls(now.astimezone(zone(timezone)), timezone)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def wall_now(self) -> datetime:
        """Now as a naive wall time in the user's zone."""
        return self.now.replace(tzinfo=None)

    def at(self, day: date, wall: time) -> datetime:
        return wall_to_aware(datetime.combine(day, wall), self.timezone)

    def after(self, delta: timedelta) -> datetime:
        """Elapsed time from now (``in 2 hours`` is two real hours, even across DST)."""
        return (self.now.astimezone(UTC) + delta).astimezone(zone(self.timezone))

    def next_wall(self, wall: time) -> date:
        """Today when ``wall`` is still ahead today, else tomorrow."""
        if datetime.combine(self.today, wall) >= self.wall_now.replace(second=0, microsecond=0):
            return self.today
        return self.today + timedelta(days=1)
