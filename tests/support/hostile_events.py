"""Hypothesis strategies for hostile deliveries: CloudEvents (structured and binary) that are
malformed, oversized, deeply nested, of unknown versions or impossible dates, and bodies
that are no CloudEvent at all, built around a valid event so that most reach the handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

STRUCTURED = "application/cloudevents+json"
CONTENT_TYPES = [
    STRUCTURED,
    f"{STRUCTURED}; charset=utf-8",
    "application/json",
    "text/plain",
    "application/xml",
    "",
]
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u2028",
    "\ud7ff",
    "²",
    "١",
    "é" * 70,
    "x" * 65,
    "x" * 129,
    "y" * 600,
    "z" * 70_000,
    "../../etc/passwd",
    "'; DROP TABLE tasks; --",
]
MOMENTS = [
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "2027-02-30T00:00:00Z",
    "2027-01-01T25:00:00Z",
    "2027-01-01T00:00:00+24:00",
    "2027-01-01T00:00:00",
    "2027-01-01",
    "2027-01-01T09:00:00.123456789Z",
    "now",
]
VERSIONS = ["1.0", "1.1", "1.99", "2.0", "0.9", "9.0", "1", "1.x", "x.1", "", "².0", "١.0",
            "01.0", "-1.0", " 1.0", "1" * 400 + ".0"]  # fmt: skip
TYPES = [
    "task.created", "task.updated", "task.completed", "task.deleted", "task.reopened",
    "recurring.task.created", "reminder.due", "reminder.scheduled", "notification.sent",
    "notification.failed", "task.exploded", "",
]  # fmt: skip

text = st.one_of(st.text(max_size=12), st.sampled_from(ODD_TEXT))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
    st.sampled_from(MOMENTS),
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)


odd = st.sampled_from(ODD_TEXT)
hostile = st.one_of(odd, odd, values, st.sampled_from(MOMENTS))


def mostly(value: Any, *others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`value` about half the time, else one of `others` (so most events reach a handler)."""
    return st.one_of(st.just(value), st.just(value), st.just(value), *others)


depths = st.integers(min_value=30, max_value=100_000)


def nested(depth: int) -> bytes:
    """JSON nested `depth` levels deep, as text (Python's own json gives up near 1000)."""
    return (
        b'{"d": ' * (depth // 2)
        + b"[" * (depth - depth // 2)
        + b"1"
        + (b"]" * (depth - depth // 2) + b"}" * (depth // 2))
    )


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    how: str

    def __repr__(self) -> str:  # hypothesis prints the failing example: keep it readable
        return f"Delivery({self.how}, headers={self.headers!r}, body={self.body[:300]!r})"


def mutated(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`valid` with some of its fields replaced, dropped, or joined by unknown ones."""
    names = sorted(valid)
    replace = st.dictionaries(st.sampled_from(names), hostile, max_size=2)
    return st.builds(
        lambda changes, dropped, extra: {
            **{k: v for k, v in valid.items() if k not in dropped},
            **changes,
            **extra,
        },
        replace,
        st.sets(st.sampled_from(names), max_size=2),
        st.dictionaries(text, values, max_size=2),
    )


def event_data(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Our `data` shape: mutated, its payload mutated, or not an object at all."""
    payload = valid["payload"]
    shaped = st.builds(
        lambda data, payload, version, kind, moment: {
            **data,
            "payload": payload,
            "schema_version": version,
            "event_type": kind,
            "timestamp": moment,
        },
        mutated({k: v for k, v in valid.items() if k != "payload"}),
        mostly(payload, mutated(payload), hostile),
        mostly(valid["schema_version"], st.sampled_from(VERSIONS), hostile),
        mostly(valid["event_type"], st.sampled_from(TYPES), hostile),
        mostly(valid["timestamp"], st.sampled_from(MOMENTS)),
    )
    fields = one_field(valid)
    return st.one_of(shaped, fields, fields, one_field(valid, in_payload=True), hostile)


def one_field(valid: dict[str, Any], in_payload: bool = False) -> st.SearchStrategy[Any]:
    """`valid` with exactly one field (of its payload) odd: a long id, a NUL, a wrong type."""
    target = valid["payload"] if in_payload else valid
    names = sorted(target) + ["nonexistent"]

    def build(name: str, value: Any) -> dict[str, Any]:
        changed = {**target, name: value}
        return {**valid, "payload": changed} if in_payload else changed

    versions = st.sampled_from(VERSIONS)
    return st.builds(build, st.sampled_from(names), st.one_of(odd, odd, odd, versions, hostile))


def attributes(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """CloudEvent context attributes, mostly plausible, sometimes not at all."""
    return st.fixed_dictionaries(
        {
            "specversion": mostly("1.0", st.sampled_from(["0.3", "2.0", ""]), hostile),
            "id": mostly(valid["event_id"], hostile),
            "type": mostly(valid["event_type"], st.sampled_from(TYPES), hostile),
            "source": mostly("todo", hostile),
        },
        optional={
            "subject": mostly(valid["task_id"], hostile),
            "time": st.sampled_from(MOMENTS),
            "datacontenttype": st.sampled_from(["application/json", "text/plain", ""]),
            "pubsubname": mostly("pubsub", hostile),
            "topic": text,
            "traceparent": text,
        },
    )


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def structured(valid: dict[str, Any]) -> st.SearchStrategy[Delivery]:
    def build(attrs: dict[str, Any], data: Any, content_type: str, depth: int | None) -> Delivery:
        body = _dumps({**attrs, "data": data})
        if depth is not None:  # the data nested deeper than any parser should follow
            body = body[: body.rindex(b'"data": ') + 8] + nested(depth) + b"}"
        headers = {"Content-Type": content_type} if content_type else {}
        return Delivery(headers, body, "structured")

    return st.builds(
        build,
        attributes(valid),
        event_data(valid),
        st.sampled_from(CONTENT_TYPES),
        st.none() | st.none() | st.none() | depths,
    )


def binary(valid: dict[str, Any]) -> st.SearchStrategy[Delivery]:
    def build(attrs: dict[str, Any], data: Any, content_type: str, raw: bytes | None) -> Delivery:
        headers = {f"ce-{name}": _header(value) for name, value in attrs.items()}
        if content_type:
            headers["Content-Type"] = content_type
        return Delivery(headers, raw if raw is not None else _dumps(data), "binary")

    return st.builds(
        build,
        attributes(valid),
        event_data(valid),
        st.sampled_from(["application/json", "text/plain", ""]),
        st.none() | st.binary(max_size=64),
    )


def _header(value: Any) -> str:
    """A header value werkzeug's test client will send: latin-1 text without line breaks."""
    text = value if isinstance(value, str) else json.dumps(value)[:200]
    return text.encode("latin-1", "replace").decode("latin-1").replace("\r", " ").replace("\n", " ")


def garbage() -> st.SearchStrategy[Delivery]:
    return st.builds(
        lambda body, content_type: Delivery({"Content-Type": content_type}, body, "garbage"),
        st.binary(max_size=256)
        | st.sampled_from([b"", b"null", b"[]", b"[1, 2]", b'"s"'])
        | depths.map(nested),
        st.sampled_from(CONTENT_TYPES[:3]),
    )


def known(valid: dict[str, Any]) -> list[Delivery]:
    """Deliveries that once broke a consumer: ids longer than their columns, a NUL, a
    version whose major is a digit int() cannot read."""
    cases = [
        {"event_id": "x" * 65},
        {"task_id": "t" * 65},
        {"user_id": "u" * 129},
        {"user_id": "a\x00b"},
        {"event_type": valid["event_type"] + "\x00"},
        {"schema_version": "².0"},
    ]
    return [dapr_delivery({**valid, **case}) for case in cases]


def dapr_delivery(data: dict[str, Any]) -> Delivery:
    """`data` as daprd delivers it: structured, with `pubsubname`."""
    envelope = {
        "specversion": "1.0",
        "id": data.get("event_id") if isinstance(data.get("event_id"), str) else "id",
        "type": data.get("event_type") if isinstance(data.get("event_type"), str) else "t",
        "source": "todo",
        "pubsubname": "pubsub",
        "data": data,
    }
    return Delivery({"Content-Type": STRUCTURED}, _dumps(envelope), "dapr")


def deliveries(valid: dict[str, Any]) -> st.SearchStrategy[Delivery]:
    return st.one_of(structured(valid), structured(valid), binary(valid), garbage())
