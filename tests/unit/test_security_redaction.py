"""No token, secret or password reaches a log line, wherever in the record it hides."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter

from functions.shared.redaction import REDACTED, RedactSecrets, install_redaction, redact
from tests.support.tokens import KeyPair, claims

APP_TOKEN = secrets.token_urlsafe(24)
DAPR_TOKEN = secrets.token_hex(16)


@pytest.fixture(scope="module")
def jwt_token() -> str:
    return KeyPair.es256().sign(claims())


class Captured:
    def __init__(self, logger: logging.Logger, stream: io.StringIO) -> None:
        self.logger, self.stream = logger, stream

    def text(self) -> str:
        return self.stream.getvalue()

    def last(self) -> dict:
        return json.loads(self.text().splitlines()[-1])


@pytest.fixture
def log() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}", style="{"))
    install_redaction(handler, [APP_TOKEN, DAPR_TOKEN, None])
    install_redaction(handler, [APP_TOKEN])  # idempotent
    logger = logging.getLogger("todomesh.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        yield Captured(logger, stream)
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_installing_twice_adds_one_filter() -> None:
    handler = logging.NullHandler()
    install_redaction(handler)
    install_redaction(handler)
    assert sum(isinstance(f, RedactSecrets) for f in handler.filters) == 1


def test_a_bearer_token_in_the_message(log: Captured, jwt_token: str) -> None:
    log.logger.info(f"calling with Authorization: Bearer {jwt_token}")
    assert jwt_token not in log.text()
    assert log.last()["message"] == f"calling with Authorization: {REDACTED}"


def test_a_jwt_in_the_arguments(log: Captured, jwt_token: str) -> None:
    log.logger.warning("token %s refused for %s", jwt_token, "alice")
    assert jwt_token not in log.text()
    assert log.last()["message"] == f"token {REDACTED} refused for alice"


def test_a_jwt_without_its_bearer_prefix(log: Captured, jwt_token: str) -> None:
    log.logger.info("ws subprotocols: bearer, %s", jwt_token)
    assert jwt_token not in log.text()


def test_extra_fields(log: Captured, jwt_token: str) -> None:
    log.logger.info(
        "request",
        extra={
            "headers": {"Authorization": "Basic dXNlcjpwYXNz", "dapr-api-token": "abc123"},
            "url": "postgresql+pg8000://todo:hunter2@db:5432/todomesh",
            "tokens": [jwt_token],
            "count": 3,
        },
    )
    text, line = log.text(), log.last()
    for secret in ("dXNlcjpwYXNz", "abc123", "hunter2", jwt_token):
        assert secret not in text
    assert line["headers"] == {"Authorization": REDACTED, "dapr-api-token": REDACTED}
    assert line["url"] == f"postgresql+pg8000://todo:{REDACTED}@db:5432/todomesh"
    assert line["count"] == 3


def test_known_secrets_wherever_they_appear(log: Captured) -> None:
    log.logger.error("sidecar said %r", {"echo": f"x{APP_TOKEN}y"}, extra={"detail": DAPR_TOKEN})
    assert APP_TOKEN not in log.text() and DAPR_TOKEN not in log.text()


@pytest.mark.parametrize(
    ("line", "secret", "kept"),
    [
        (f"APP_API_TOKEN={APP_TOKEN[::-1]} next", APP_TOKEN[::-1], "next"),
        ("dapr-api-token: 0123456789abcdef, ok", "0123456789abcdef", "ok"),
        ('{"password": "correct horse", "user": "bob"}', "horse", '"bob"'),
        ("{'client_secret': 'a b c'}", "a b c", "{'client_secret': '"),
        ("refresh_token=AbC.dEf&client_id=web", "AbC.dEf", "client_id=web"),
        ("smtp://mailer:s3cr3t@mail.example:587", "s3cr3t", "mail.example:587"),
        ("Cookie: todomesh_signin=nonce-value; other=two", "two", "Cookie: "),
        ("proxy-authorization=Digest username=x, nonce=y", "nonce=y", "proxy"),
    ],
)
def test_named_secrets_without_knowing_them(
    log: Captured, line: str, secret: str, kept: str
) -> None:
    log.logger.info(line)
    message = log.last()["message"]
    assert REDACTED in message and secret not in message and kept in message


def test_an_exception_with_a_token_in_it(log: Captured, jwt_token: str) -> None:
    try:
        raise ValueError(f"could not parse {jwt_token}")
    except ValueError:
        log.logger.exception("failed")
    assert jwt_token not in log.text()
    assert "ValueError: could not parse" in log.last()["exc_info"]


def test_a_dict_message(log: Captured) -> None:
    log.logger.info({"event": "login", "password": "pw1", "note": "Bearer abc.def.ghi"})
    line = log.last()
    assert line["password"] == REDACTED and line["note"] == f"Bearer {REDACTED}"
    assert line["event"] == "login"


def test_a_bad_format_string_still_logs_without_its_arguments(log: Captured) -> None:
    log.logger.info("two %s %s", "Bearer x.y.z")
    assert "x.y.z" not in log.text()


@pytest.mark.parametrize(
    "text",
    [
        "event processed",
        "module functions.shared.identity.verifier version 1.2.3",
        "status code: 500 for task 5f1c2d3e-aaaa-bbbb-cccc-1234567890ab",
        "the token has expired; token_type Bearer",
        "http://127.0.0.1:3500/v1.0/publish/pubsub/task-events",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


PROCESS = """
import logging
from functions.asgi import create_app

create_app()
log = logging.getLogger("todomesh.test")
log.warning("calling with %s", "{token}")
try:
    raise ConnectionError("database down, token {token}")
except ConnectionError:
    log.exception("step failed")
"""


def test_a_served_app_logs_only_redacted_json_lines(tmp_path) -> None:
    """The whole process, as gunicorn builds it: the MCP SDK installs a Rich handler on
    the root logger if it gets there first, which printed each line twice, the second
    time unredacted and with a slowly rendered traceback."""
    env = {
        **os.environ,
        "FUNCTION_TARGET": "todo",
        "TODOMESH_DATA_DIR": str(tmp_path),
        "TODOMESH_TOKEN_ISSUER": "http://127.0.0.1:9/",  # turns the MCP endpoint on
        "APP_API_TOKEN": APP_TOKEN,  # Dapr's name for the token daprd presents
    }
    done = subprocess.run(
        [sys.executable, "-c", PROCESS.format(token=APP_TOKEN)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON record
    assert [r["message"] for r in records if r["logger"] == "todomesh.test"] == [
        f"calling with {REDACTED}",
        "step failed",
    ]
    assert APP_TOKEN not in done.stderr
    assert "ConnectionError: database down" in records[-1]["exc_info"]
