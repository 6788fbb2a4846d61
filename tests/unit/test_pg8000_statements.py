"""pg8000's placeholder rewrite is kept per statement text (`functions.shared.db`)."""

from __future__ import annotations

from collections.abc import Iterator

import pg8000.dbapi
import pg8000.legacy
import pytest
from sqlalchemy import text

from functions.shared.db import make_engine
from functions.shared.settings import Settings

STATEMENTS = [
    "SELECT 1",
    "INSERT INTO t (a, b) VALUES (%s::VARCHAR, %s::INTEGER) RETURNING t.id",
    "SELECT '100%%' AS p, %s AS q -- a comment with %s\n WHERE x = %s",
    "SELECT E'it''s %s' , \"col%s\", $$ %s $$, %s",
    "UPDATE t SET x = %s WHERE id = ANY (%s::BIGINT[])",
]


@pytest.fixture
def installed() -> Iterator[None]:
    """The kept rewrite, installed as an engine on PostgreSQL installs it; pg8000's own
    back afterwards."""
    own = pg8000.legacy.convert_paramstyle
    make_engine(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"), "todo").dispose()
    yield
    pg8000.legacy.convert_paramstyle = own


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_kept_rewrite_is_pg8000s_own(installed: None, statement: str) -> None:
    kept = pg8000.legacy.convert_paramstyle
    assert kept is not pg8000.dbapi.convert_paramstyle
    for run in range(2):  # computed, then kept; each run's own values go through
        args = tuple(f"{run}-{n}" for n in range(statement.count("%s")))
        assert kept("format", statement, args) == pg8000.dbapi.convert_paramstyle(
            "format", statement, args
        )
        assert kept("format", statement, args)[1] is args


def test_the_same_text_in_another_style_is_rewritten_for_that_style(installed: None) -> None:
    statement = "SELECT ?, '%s'"
    for style in ("format", "qmark", "format"):
        assert pg8000.legacy.convert_paramstyle(style, statement, (1,)) == (
            pg8000.dbapi.convert_paramstyle(style, statement, (1,))
        )
    assert pg8000.legacy.convert_paramstyle("qmark", statement, (1,))[0] == "SELECT $1, '%s'"


def test_a_statement_is_rewritten_once_however_often_it_runs(installed: None) -> None:
    kept = pg8000.legacy.convert_paramstyle
    before = kept.cache_info()  # type: ignore[attr-defined]
    for n in range(5):
        kept("format", STATEMENTS[1], (f"a{n}", n))
    after = kept.cache_info()  # type: ignore[attr-defined]
    assert after.misses - before.misses <= 1
    assert after.hits - before.hits >= 4


def test_named_parameters_are_still_rewritten_with_their_values(installed: None) -> None:
    statement = "SELECT :a, :b, :a"
    assert pg8000.legacy.convert_paramstyle("named", statement, {"a": 1, "b": 2}) == (
        "SELECT $1, $2, $1",
        (1, 2),
    )


@pytest.mark.postgres
def test_statements_run_with_their_own_values(fresh_database: str) -> None:
    engine = make_engine(Settings(database_url=fresh_database), "todo")
    try:
        with engine.connect() as connection:
            for n in (1, 2, 3):
                got = connection.execute(text("SELECT :n * 10, '50%' AS p"), {"n": n}).one()
                assert tuple(got) == (n * 10, "50%")
    finally:
        engine.dispose()


def test_a_very_long_statement_is_rewritten_each_time_not_kept(installed: None) -> None:
    statement = "SELECT " + ", ".join(["%s"] * 5000)
    kept = pg8000.legacy.convert_paramstyle
    before = kept.cache_info()  # type: ignore[attr-defined]
    args = tuple(range(5000))
    assert kept("format", statement, args) == pg8000.dbapi.convert_paramstyle(
        "format", statement, args
    )
    assert kept.cache_info().currsize == before.currsize  # type: ignore[attr-defined]
