"""The launcher's Kafka cluster ids never start with '-', which StorageTool reads as an
option (`format -t -Abc...` failed, and Kafka never started)."""

from __future__ import annotations

import uuid

import pytest

from functions.launcher import services
from functions.launcher.services import kafka_cluster_id


def test_an_id_that_would_start_with_a_dash_is_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = iter([uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=b"\x01" * 16)])
    monkeypatch.setattr(services.uuid, "uuid4", lambda: next(drawn))
    assert kafka_cluster_id() == "AQEBAQEBAQEBAQEBAQEBAQ"


def test_ids_are_22_base64url_characters_and_never_begin_with_a_dash() -> None:
    ids = [kafka_cluster_id() for _ in range(5_000)]  # about 78 would start with '-'
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
    assert len(set(ids)) == len(ids)
