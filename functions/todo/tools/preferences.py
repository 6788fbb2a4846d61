"""Which time zone a user's dates are read in: the request's, else the stored one, else UTC."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.shared.context import AppContext
from functions.shared.events import utcnow
from functions.shared.problems import ValidationFailed
from functions.todo.models import UserSettings
from functions.todo.tools.toolbox import Clock, Toolbox

DEFAULT_TIMEZONE = "UTC"


def toolbox_for(ctx: AppContext, user_id: str, timezone: str | None = None) -> Toolbox:
    """The user's toolbox in `timezone` (checked), their stored zone, or UTC."""
    clock = (ctx.find(Clock) or Clock()).now
    if timezone:
        return Toolbox(ctx, user_id, checked_timezone(timezone), clock)
    with ctx.readers() as session:
        stored = session.get(UserSettings, user_id)
    return Toolbox(ctx, user_id, (stored and stored.timezone) or DEFAULT_TIMEZONE, clock)


def remember_timezone(ctx: AppContext, user_id: str, timezone: str) -> None:
    """Store `timezone` as the user's own, for the calls that bring none."""
    zone = checked_timezone(timezone)
    with ctx.sessions.begin() as session:
        settings = session.get(UserSettings, user_id) or UserSettings(user_id=user_id)
        if settings.timezone != zone:
            settings.timezone, settings.updated_at = zone, utcnow()
            session.add(settings)


def checked_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValidationFailed(
            [{"field": "timezone", "message": "must be an IANA time zone name, e.g. Europe/Berlin"}]
        ) from exc
    return value
