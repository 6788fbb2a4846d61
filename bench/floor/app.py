"""The floor app: a bare Flask + SQLAlchemy service, one insert per write.

Served by gunicorn with the same settings as the todomesh process it is compared with
(see `bench.targets.floor`). Configured by environment:
`FLOOR_DATABASE_URL` (SQLite file or PostgreSQL), `FLOOR_DAPR_HTTP_PORT` (its own daprd,
for `/items/published`), `FLOOR_PUBSUB` and `FLOOR_TOPIC`.

- `POST /items`: insert one row in one transaction, answer 201 `{id}`.
- `POST /items/published`: the same, then publish one structured CloudEvent about it
  through daprd (`metadata.partitionKey` = its id) before answering, so a 2xx means
  the event is on Kafka. No outbox: this is the floor, not a guarantee.
- `GET /items?limit=20`: the newest rows.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Flask, jsonify, request
from sqlalchemy import DateTime, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from starlette.applications import Starlette

from functions.shared.asgi import front, threads_from_env
from functions.shared.db import SQLITE_BUSY_TIMEOUT_MS, pool_options, tune_pg8000


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "floor_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@dataclass(frozen=True)
class FloorSettings:
    database_url: str
    dapr_http_port: int | None = None
    pubsub: str = "pubsub"
    topic: str = "floor-events"

    @classmethod
    def from_env(cls) -> FloorSettings:
        port = os.environ.get("FLOOR_DAPR_HTTP_PORT")
        return cls(
            database_url=os.environ["FLOOR_DATABASE_URL"],
            dapr_http_port=int(port) if port else None,
            pubsub=os.environ.get("FLOOR_PUBSUB", "pubsub"),
            topic=os.environ.get("FLOOR_TOPIC", "floor-events"),
        )


def make_engine(url: str) -> Any:
    if not url.startswith("sqlite"):
        # the pool and driver settings todomesh's own PostgreSQL engines use
        return tune_pg8000(create_engine(url, **pool_options(threads_from_env())))
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:  # todomesh's SQLite pragmas
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_app(settings: FloorSettings | None = None) -> Flask:
    settings = settings or FloorSettings.from_env()
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    sessions = threading.local()
    app = Flask("floor")

    def insert() -> Item:
        item = Item(id=str(uuid.uuid4()), title=str(request.get_json()["title"])[:200])
        item.created_at = datetime.now(UTC)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.add(item)
        return item

    @app.post("/items")
    def create() -> Any:
        return jsonify(id=insert().id), 201

    @app.post("/items/published")
    def create_published() -> Any:
        if settings.dapr_http_port is None:
            return jsonify(title="no daprd configured"), 503
        item = insert()
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        url = f"http://127.0.0.1:{settings.dapr_http_port}/v1.0/publish/{settings.pubsub}"
        published = sessions.http.post(
            f"{url}/{settings.topic}",
            params={"metadata.partitionKey": item.id},
            json=_cloudevent(item),
            headers={"Content-Type": "application/cloudevents+json"},
            timeout=10,
        )
        published.raise_for_status()
        return jsonify(id=item.id), 201

    @app.get("/items")
    def newest() -> Any:
        limit = min(int(request.args.get("limit", "20")), 100)
        with Session(engine) as session:
            rows = session.scalars(select(Item).order_by(Item.created_at.desc()).limit(limit))
            return jsonify(items=[{"id": r.id, "title": r.title} for r in rows])

    app.add_url_rule("/health", "health", lambda: jsonify(status="ok"))
    return app


def create_asgi_app() -> Starlette:
    """The floor served as todomesh's apps are: Flask behind the same ASGI front, with
    `GUNICORN_THREADS` threads (a uvicorn worker cannot serve WSGI)."""
    threads = threads_from_env()
    return front(create_app(), [], start=lambda: None, stop=lambda: None, threads=threads)


def _cloudevent(item: Item) -> dict[str, Any]:
    moment = item.created_at.isoformat()
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": "floor.item.created",
        "source": "floor",
        "subject": item.id,
        "time": moment,
        "datacontenttype": "application/json",
        "data": {"id": item.id, "title": item.title, "created_at": moment},
    }
