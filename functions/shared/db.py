"""Database plumbing shared by every app: engines, sessions, types and migrations.

Each app owns one schema named after it. On PostgreSQL that is a real schema in
the shared database; on SQLite (embedded mode) each app gets its own file and
the schema name is translated away, so models and migrations are the same.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateSchema
from sqlalchemy.types import TypeDecorator

from functions.shared.settings import Settings

log = logging.getLogger(__name__)

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "todomesh_read_only"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on PostgreSQL and on SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def database_url(settings: Settings, app: str) -> str:
    if settings.database_url:
        url = settings.database_url
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+pg8000://" + url[len(prefix) :]
        return url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.data_dir / f'{app}.db').resolve()}"


def make_engine(settings: Settings, app: str) -> Engine:
    """An engine for `app`'s schema: PostgreSQL when configured, else its SQLite file."""
    url = database_url(settings, app)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _make_sqlite_transactional(engine)
        return engine.execution_options(schema_translate_map={app: None})
    engine = create_engine(
        url,
        pool_pre_ping=True,
        **pool_options(settings.threads),
        # pg8000's timeout is the socket's, for connecting and for every statement
        # alike: long enough for a migration or a lock wait, short enough for a
        # vanished server to turn into a 503 rather than a hung request.
        connect_args={"timeout": 30},
    )
    return tune_pg8000(engine)


def tune_pg8000(engine: Engine) -> Engine:
    """What every todomesh engine on PostgreSQL adds to pg8000 (the bench's floor app too,
    so it is compared on the same driver): TCP_NODELAY, and each statement's placeholder
    rewrite kept."""
    _without_nagle(engine)
    _convert_each_statement_once()
    return engine


# Connections an app's own loops hold besides its request threads: the outbox relay and
# its notices, a pruner, the reminder timer, a consumer's delivery.
LOOP_CONNECTIONS = 5


def pool_options(threads: int) -> dict[str, Any]:
    """A PostgreSQL pool that keeps a connection for each request thread and loop.

    A pool smaller than what uses it at once closes each connection beyond its size on
    return, so under load every few requests open a new one (a TCP and startup round trip,
    and a TLS context pg8000 builds for each connection)."""
    return {"pool_size": threads + LOOP_CONNECTIONS, "max_overflow": 10, "pool_timeout": 5}


def _without_nagle(engine: Engine) -> None:
    """TCP_NODELAY on each PostgreSQL connection, as libpq sets it; pg8000 (1.31) does not.

    With Nagle's algorithm on, a statement larger than one segment (a batch's multi-row
    insert) waits for the server's delayed ACK, 40 ms on Linux, before its last part is
    sent: that held a bulk delivery of 100 events for about 130 ms.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        sock = getattr(dbapi_connection, "_usock", None)  # pg8000 keeps no public handle
        if sock is None:
            log.warning("no socket found on the PostgreSQL connection; Nagle stays on")
        elif sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# The parameter styles whose conversion leaves the parameters as they are: only the text
# changes, so it can be kept per statement.
_POSITIONAL_STYLES = frozenset({"format", "numeric", "qmark"})
# Longer statements (a multi-row insert of hundreds of rows) are rare and costly to keep.
_KEPT_STATEMENT_CHARS = 16_384


def _convert_each_statement_once() -> None:
    """Keep pg8000's rewrite of each statement's placeholders (`%s` to `$1`) instead of
    redoing it on every execute with parameters.

    pg8000 (1.31) scans the statement's text a character at a time, in Python, on each such
    execute (6 % of todo's time for a write, in a py-spy profile), for statements that
    SQLAlchemy's compiled cache hands over unchanged again and again. For positional
    styles the rewrite depends on the style and the text alone;
    tests/unit/test_pg8000_statements.py holds it to pg8000's own. Installed once per
    process, in `pg8000.legacy`, whose cursors (the ones SQLAlchemy uses) call it."""
    import pg8000.legacy

    convert = pg8000.legacy.convert_paramstyle
    if getattr(convert, "keeps_statements", False):
        return

    @functools.lru_cache(maxsize=2048)
    def rewritten(style: str, query: str) -> str:
        statement: str = convert(style, query, ())[0]
        return statement

    def convert_paramstyle(style: str, query: str, args: Any) -> tuple[str, Any]:
        if style in _POSITIONAL_STYLES and len(query) <= _KEPT_STATEMENT_CHARS:
            return rewritten(style, query), args
        result: tuple[str, Any] = convert(style, query, args)
        return result

    convert_paramstyle.keeps_statements = True  # type: ignore[attr-defined]
    convert_paramstyle.cache_info = rewritten.cache_info  # type: ignore[attr-defined]
    pg8000.legacy.convert_paramstyle = convert_paramstyle


def _make_sqlite_transactional(engine: Engine) -> None:
    """WAL, BEGIN IMMEDIATE and one writer at a time: many threads, no 'database is locked'.

    SQLite admits one writer. Left to itself, a waiting writer sleeps in SQLite's busy
    handler for 1, 2, 5, 10... ms steps; an in-process lock taken at BEGIN and given
    back when the connection returns to the pool hands over at once instead. Behind it,
    an exclusive `flock` on `<file>-writer` does the same between processes (the two of
    `todomesh dev` share the runtime's log): the kernel wakes the next writer, where
    the busy handler would poll while holding this process's lock. The busy timeout
    still covers writers that take neither (`sqlite3` from a shell, say).
    """
    writer = threading.RLock()
    path = engine.url.database
    shared = open(f"{path}-writer", "a") if path and path != ":memory:" else None  # noqa: SIM115
    if shared is not None:
        weakref.finalize(engine, shared.close)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a WAL snapshot: never waits for the writer
            return
        record = conn.connection._connection_record
        if not record.info.get("writer"):
            writer.acquire()
            if shared is not None:
                fcntl.flock(shared, fcntl.LOCK_EX)
            record.info["writer"] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop("writer", False):
            if shared is not None:
                fcntl.flock(shared, fcntl.LOCK_UN)
            writer.release()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def reader_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only: on SQLite they neither take nor wait for the write lock."""
    return sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    with sessions.begin() as session:
        yield session


def is_unavailable(exc: BaseException) -> bool:
    """True for errors that mean 'the database is not reachable right now': retry later."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def is_bad_data(exc: BaseException) -> bool:
    """True for a value the database will never store (too long for its column, a NUL in
    text, a number out of range): retrying cannot help. PostgreSQL says so with an SQLSTATE
    of class 22 (data exception); SQLite's driver with an OverflowError."""
    if isinstance(exc, DataError | OverflowError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code is None and orig is not None and orig.args and isinstance(orig.args[0], dict):
        code = orig.args[0].get("C")  # pg8000 carries the server's fields as a dict
    return isinstance(code, str) and code.startswith("22")


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def migrate(engine: Engine, app: str) -> None:
    """Bring `app`'s schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(FUNCTIONS_DIR / app / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["schema"] = app
        command.upgrade(config, "head")


def run_migrations(context: Any, target_metadata: Any = None) -> None:
    """The body of every app's `migrations/env.py`."""
    connection = context.config.attributes["connection"]
    schema = context.config.attributes["schema"]
    is_postgres = connection.dialect.name == "postgresql"
    if is_postgres:
        connection.execute(CreateSchema(schema, if_not_exists=True))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        version_table_schema=schema if is_postgres else None,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
