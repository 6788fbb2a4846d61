"""Alembic environment of the todo schema: see functions.shared.db.migrate."""

from alembic import context

from functions.shared.db import run_migrations
from functions.todo.models import Base

run_migrations(context, Base.metadata)
