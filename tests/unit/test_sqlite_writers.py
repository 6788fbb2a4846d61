"""SQLite writers take turns: within a process on a lock, between processes on a
`flock` of `<file>-writer` (two engines on one file stand for two processes here: each
opens the lock file on its own, as another process would)."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from functions.shared.db import READ_ONLY, make_engine
from functions.shared.settings import Settings


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    settings = Settings(data_dir=tmp_path)
    one, two = make_engine(settings, "shared"), make_engine(settings, "shared")
    with one.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield one, two
    one.dispose()
    two.dispose()


def held_elsewhere(path: Path) -> bool:
    with open(path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def test_a_write_transaction_holds_the_files_writer_lock(engines, tmp_path: Path) -> None:
    one, _ = engines
    lock = tmp_path / "shared.db-writer"
    with one.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert held_elsewhere(lock)
    assert not held_elsewhere(lock)  # given back with the connection
    with one.execution_options(**{READ_ONLY: True}).connect() as connection:  # a reader
        connection.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert not held_elsewhere(lock)


def test_the_writer_of_another_engine_waits_for_its_turn(engines) -> None:
    one, two = engines
    second_began = threading.Event()

    def second() -> None:
        with two.begin() as connection:
            second_began.set()
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")

    with one.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        waiting = threading.Thread(target=second)
        waiting.start()
        assert not second_began.wait(0.5)
    waiting.join(10)
    assert second_began.is_set()
    with two.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM t ORDER BY n").scalars().all() == [1, 2]
