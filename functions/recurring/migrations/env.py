"""Alembic environment of the recurring schema: see functions.shared.db.migrate."""

from alembic import context

from functions.recurring.models import Base
from functions.shared.db import run_migrations

run_migrations(context, Base.metadata)
