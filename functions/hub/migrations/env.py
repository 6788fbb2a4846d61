"""Alembic environment of the hub schema: see functions.shared.db.migrate."""

from alembic import context

from functions.hub.models import Base
from functions.shared.db import run_migrations

run_migrations(context, Base.metadata)
