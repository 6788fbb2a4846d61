"""The event contract's parsing rules, settings from the environment, resource parsing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from functions.runtime.cron import next_fire
from functions.runtime.delivery import DROP, NOT_FOUND, RETRY, SUCCESS, outcome_of
from functions.runtime.resources import ResourceError, load_resources, parse_duration
from functions.shared.events import (
    Event,
    PoisonEvent,
    Topic,
    UnsupportedVersion,
    parse_data,
    utcnow,
)
from functions.shared.settings import Settings
from functions.todo.dead_letters import PARKED_TOPIC


def _data(**changes: object) -> dict[str, object]:
    data = Event("task.created", "t1", "alice", {"title": "x"}).data()
    data.update(changes)
    return data


def test_a_known_version_with_extra_fields_parses() -> None:
    event = parse_data(_data(schema_version="1.7", brand_new_field=True))
    assert (event.event_type, event.task_id, event.schema_version) == ("task.created", "t1", "1.7")


@pytest.mark.parametrize("version", ["2.0", "0.9", "10.1"])
def test_an_unknown_major_version_is_unsupported(version: str) -> None:
    with pytest.raises(UnsupportedVersion):
        parse_data(_data(schema_version=version))


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "text",
        _data(task_id=None),
        _data(payload="flat"),
        _data(schema_version="one"),
        _data(schema_version="².0"),  # a digit to str.isdigit, not to int()
        _data(schema_version="١.0"),
        _data(event_id="x" * 65),
        _data(event_id=""),
        _data(task_id="t" * 65),
        _data(user_id="u" * 129),
        _data(user_id="a\x00b"),
        _data(event_type="task.created\x00"),
    ],
)
def test_malformed_data_is_poison(data: object) -> None:
    with pytest.raises(PoisonEvent):
        parse_data(data)


def test_a_new_type_of_a_known_major_version_is_not_poison() -> None:
    # A newer producer's event: consumers acknowledge it untouched rather than drop it.
    assert parse_data(_data(event_type="task.archived", schema_version="1.3")).event_type == (
        "task.archived"
    )


def test_envelope_is_a_structured_cloudevent() -> None:
    event = Event("task.deleted", "t9", "bob", {})
    envelope = event.to_cloudevent("todo", "00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    assert envelope["id"] == event.event_id == envelope["data"]["event_id"]
    assert (envelope["type"], envelope["subject"], envelope["source"]) == (
        "task.deleted",
        "t9",
        "todo",
    )
    assert envelope["traceparent"].startswith("00-aaaa")


def test_settings_come_from_the_environment_with_types() -> None:
    settings = Settings.from_env(
        {
            "TODOMESH_MODE": "dapr",
            "DAPR_HTTP_PORT": "3601",
            "TODOMESH_DATA_DIR": "/tmp/x",
            "TODOMESH_OUTBOX_POLL_SECONDS": "0.5",
            "TODOMESH_AUTO_MIGRATE": "true",
            "DATABASE_URL": "postgresql://u@h/db",
        }
    )
    assert settings.mode == "dapr"
    assert settings.dapr_url == "http://127.0.0.1:3601"
    assert settings.data_dir == Path("/tmp/x")
    assert settings.outbox_poll_seconds == settings.relay_poll_seconds == 0.5
    assert settings.auto_migrate is True


def test_a_relay_polls_often_only_where_commits_elsewhere_do_not_wake_it() -> None:
    assert Settings(mode="dapr").relay_poll_seconds == 2.0  # other replicas' commits
    assert Settings(mode="embedded").relay_poll_seconds == 30.0  # a safety net only


@pytest.mark.parametrize(
    "environ",
    [
        {"TODOMESH_MODE": "cloud"},
        {"DAPR_HTTP_PORT": "many"},
        {"TODOMESH_REMINDER_MODE": "sometimes"},
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="|".join(k.split("_", 1)[-1] for k in environ)):
        Settings.from_env(environ)


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, b'{"status":"SUCCESS"}', SUCCESS),
        (204, b"", SUCCESS),
        (200, b"OK", SUCCESS),
        (200, b'{"status":"RETRY"}', RETRY),
        (200, b'{"status":"DROP"}', DROP),
        (200, b'{"status":"MAYBE"}', RETRY),
        (500, b"", RETRY),
        (503, b'{"status":"SUCCESS"}', RETRY),
        (404, b"", NOT_FOUND),
    ],
)
def test_replies_map_to_what_dapr_does(status: int, body: bytes, outcome: str) -> None:
    assert outcome_of(status, body) == outcome


@pytest.mark.parametrize(("text", "seconds"), [("500ms", 0.5), ("5s", 5), ("1m30s", 90)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_an_unsupported_routing_rule_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sub.yaml").write_text(
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\n"
        "spec: {pubsubname: p, topic: t, routes: {rules: [{match: 'event.type.startsWith(\"a\")',"
        " path: /a}]}}\nscopes: [x]\n"
    )
    with pytest.raises(ResourceError, match="unsupported routing rule"):
        load_resources([tmp_path])


@pytest.mark.parametrize(
    ("bulk", "expected"),
    [
        ("{enabled: true, maxMessagesCount: 7, maxAwaitDurationMs: 250}", (7, 0.25)),
        ("{enabled: true}", (100, 1.0)),  # Dapr's defaults
        ("{enabled: false, maxMessagesCount: 7}", (None, None)),
    ],
)
def test_a_bulk_subscription_says_how_big_a_batch_is_and_how_long_it_gathers(
    tmp_path: Path, bulk: str, expected: tuple[int | None, float | None]
) -> None:
    (tmp_path / "sub.yaml").write_text(
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: s}\n"
        f"spec: {{pubsubname: p, topic: t, route: /t, bulkSubscribe: {bulk}}}\nscopes: [x]\n"
    )
    (sub,) = load_resources([tmp_path]).subscriptions
    assert (sub.bulk_max_messages, sub.bulk_max_await_seconds) == expected


def test_the_repository_resources_load() -> None:
    resources = load_resources()
    subs = {(s.app_id, s.topic) for s in resources.subscriptions}
    assert ("audit", "task-events") in subs and ("hub", "notifications") in subs
    # `<topic>-dlq` for every topic (dead-letter replay relies on it); the dead-letter
    # subscriptions park what todo cannot store on a topic nothing consumes.
    for sub in resources.subscriptions:
        dlq = sub.topic.endswith("-dlq")
        expected = PARKED_TOPIC if dlq else f"{sub.topic}-dlq"
        assert sub.dead_letter_topic == expected, sub.name
    dead_letter_topics = {s.topic for s in resources.subscriptions if s.app_id == "todo"}
    assert {f"{t}-dlq" for t in Topic} <= dead_letter_topics
    assert [(c.name, c.app_id) for c in resources.cron] == [("reminder-sweep", "todo")]
    assert resources.retry_for("pubsub").max_retries == 20


def test_cron_schedules() -> None:
    now = utcnow().replace(microsecond=0)
    assert (next_fire("@every 5s", now) - now).total_seconds() == 5
    assert next_fire("0 */15 * * * *", now).minute % 15 == 0
    with pytest.raises(ValueError):
        next_fire("whenever", now)


def test_event_data_has_every_field_and_its_own_copy_of_the_payload() -> None:
    event = Event("task.created", "t1", "alice", {"tags": ["home"], "nested": {"n": 1}})
    data = event.data()
    assert data == dataclasses.asdict(event)
    data["payload"]["tags"].append("changed")
    data["payload"]["nested"]["n"] = 2
    assert event.payload == {"tags": ["home"], "nested": {"n": 1}}
