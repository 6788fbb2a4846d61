"""The functions-framework source: run one consumer function on its own.

    functions-framework --source functions/main.py --target audit --signature-type cloudevent

functions-framework executes this module inside the app it builds for the
target, so its last lines give that app its database, health, metrics and
query API, with settings read from the environment (embedded SQLite files in
`TODOMESH_DATA_DIR` unless `DATABASE_URL` says otherwise). `kn func run` and
the function tests build it the same way.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from functions.shared.settings import Settings
from functions.shared.wiring import install_function
from functions.targets import FUNCTION_APPS, audit, notify, recurring

__all__ = ["audit", "notify", "recurring"]

if has_app_context() and current_app.name in FUNCTION_APPS:
    install_function(current_app, FUNCTION_APPS[current_app.name], Settings.from_env())
