"""Alembic environment of the notify schema: see functions.shared.db.migrate."""

from alembic import context

from functions.notify.models import Base
from functions.shared.db import run_migrations

run_migrations(context, Base.metadata)
