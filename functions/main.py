"""The functions-framework source: one CloudEvent target per consumer app.

    functions-framework --source functions/main.py --target audit --signature-type cloudevent

functions-framework runs this module inside the app it builds for the target,
so the last lines give that app its database, health, metrics and query API.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent
from flask import current_app, has_app_context

from functions import audit as audit_app
from functions import notify as notify_app
from functions import recurring as recurring_app
from functions.shared.consumer import install_function

APPS = {"audit": audit_app, "recurring": recurring_app, "notify": notify_app}


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


if has_app_context() and current_app.name in APPS:
    install_function(current_app, APPS[current_app.name])
