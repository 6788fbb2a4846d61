"""Alembic environment of the audit schema: see functions.shared.db.migrate."""

from alembic import context

from functions.audit.models import Base
from functions.shared.db import run_migrations

run_migrations(context, Base.metadata)
