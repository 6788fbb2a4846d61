"""Alembic environment of the runtime schema: see functions.shared.db.migrate."""

from alembic import context

from functions.runtime.broker import Base
from functions.shared.db import run_migrations

run_migrations(context, Base.metadata)
