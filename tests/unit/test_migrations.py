"""Each app's migrations build exactly the tables its models describe, on both databases."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.schema import BLANK_SCHEMA

from functions.shared.db import make_engine, migrate
from functions.shared.settings import Settings

SCHEMAS = {
    "todo": "functions.todo.models",
    "audit": "functions.audit.models",
    "hub": "functions.hub.models",
    "recurring": "functions.recurring.models",
    "notify": "functions.notify.models",
    "runtime": "functions.runtime.broker",
}


def _as_sqlite(metadata: MetaData) -> MetaData:
    """The models without their schema, as the SQLite files hold them."""
    flat = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(flat, schema=None, referred_schema_fn=lambda *_: BLANK_SCHEMA)
    return flat


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_the_migrations_build_what_the_models_describe(settings: Settings, schema: str) -> None:
    metadata = importlib.import_module(SCHEMAS[schema]).Base.metadata
    engine = make_engine(settings, schema)
    try:
        migrate(engine, schema)
        sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_schemas": not sqlite, "compare_type": True}
            )
            diff = compare_metadata(context, _as_sqlite(metadata) if sqlite else metadata)
    finally:
        engine.dispose()
    ignored = {"alembic_version"}
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name in ignored)]
    assert diff == []
