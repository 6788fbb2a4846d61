"""The consumer functions' CloudEvent targets, one per app, as functions-framework sees them.

`functions/main.py` is the source functions-framework runs on its own;
`functions.apps` builds the same targets from this module with the settings
it is given.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from functions import audit as audit_app
from functions import notify as notify_app
from functions import recurring as recurring_app
from functions.shared.wiring import FunctionApp

FUNCTION_APPS: dict[str, FunctionApp] = {
    "audit": audit_app,
    "recurring": recurring_app,
    "notify": notify_app,
}


@functions_framework.cloud_event
def audit(cloud_event: CloudEvent) -> None:
    """Append every task event to the user's immutable audit trail."""
    audit_app.handle(cloud_event)


@functions_framework.cloud_event
def recurring(cloud_event: CloudEvent) -> None:
    """Schedule the next occurrence when a recurring task is completed; end it on delete."""
    recurring_app.handle(cloud_event)


@functions_framework.cloud_event
def notify(cloud_event: CloudEvent) -> None:
    """Deliver a due reminder through the user's channels."""
    notify_app.handle(cloud_event)
