"""Keep secrets out of log lines: a logging filter that rewrites every record.

Redacted wherever they appear (message, its arguments, extra fields, the
exception text): bearer tokens and any JWT-looking string, the value of an
Authorization or Cookie header and of keys named like `dapr-api-token`,
`APP_API_TOKEN`, `password`, `secret` or `refresh_token`, passwords in URLs
(`postgresql://user:secret@host`), and any value passed in as a known secret.
Install it on each handler: `handler.addFilter(RedactSecrets(known_secrets))`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"
_HEADERS = r"authorization|proxy-authorization|cookie|set-cookie"
_KEYS = (
    r"dapr[-_]api[-_]token|app[-_]api[-_]token|api[-_]?key|api[-_]?token|password|passwd"
    r"|secret|client[-_]secret|access[-_]token|refresh[-_]token|id[-_]token|token"
    r"|code[-_]verifier|form[-_]token"
)
SENSITIVE_KEY = re.compile(rf"(?i)^(?:{_HEADERS}|{_KEYS})$")
_SEPARATOR = r"""(["']?\s*[:=]\s*)"""
_QUOTED = r"""(?:"[^"\n]*"|'[^'\n]*')"""
_B64URL = r"[A-Za-z0-9_-]"
_PATTERNS = (
    # A header's whole value (`Authorization: Basic ...`, every cookie of a Cookie line).
    (re.compile(rf"""(?i)\b({_HEADERS}){_SEPARATOR}(?:{_QUOTED}|[^"'\r\n]+)"""), None),
    # `"password": "..."`, `token=...`: the value, quoted or up to a separator.
    (re.compile(rf"""(?i)\b({_KEYS}){_SEPARATOR}(?:{_QUOTED}|[^"'\s,;&}}\]]+)"""), None),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*"), f"Bearer {REDACTED}"),
    # A JWS: its header is a JSON object, so it starts `eyJ`; or any three long segments.
    # (Each starts only where a run of its characters starts: linear time on any input.)
    (re.compile(rf"(?<!{_B64URL})eyJ{_B64URL}{{4,}}\.{_B64URL}+\.{_B64URL}*"), REDACTED),
    (re.compile(rf"(?<!{_B64URL}){_B64URL}{{16,}}\.{_B64URL}{{16,}}\.{_B64URL}{{16,}}"), REDACTED),
    (
        re.compile(r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s/]+@"),
        rf"\1:{REDACTED}@",
    ),
)
# Attributes every LogRecord has; anything else on a record came in as an extra field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD |= {"message", "asctime"}


def redact(text: str, known: Iterable[str] = ()) -> str:
    """`text` with every secret replaced by [REDACTED]."""
    for secret in known:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement or _keep_key, text)
    return text


def _keep_key(match: re.Match[str]) -> str:
    """`key: value` as `key: [REDACTED]`, keeping the value's quotes."""
    key, separator = match[1], match[2]
    value = match[0][len(key) + len(separator) :]
    quote = value[0] if value[:1] in ('"', "'") else ""
    return f"{key}{separator}{quote}{REDACTED}{quote}"


def redact_value(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of `value` with strings redacted, and values under sensitive keys removed."""
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and SENSITIVE_KEY.match(k) else redact_value(v, known)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set):
        return type(value)(redact_value(v, known) for v in value)
    return value


class RedactSecrets(logging.Filter):
    """Rewrites each record it sees so that no handler writes a secret."""

    def __init__(self, known: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.known: tuple[str, ...] = ()
        self.add(known)

    def add(self, known: Iterable[str | None]) -> None:
        """Redact these values too (longest first, so no part of one survives)."""
        values = {*self.known, *(s for s in known if s)}
        self.known = tuple(sorted(values, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, Mapping):
            record.msg = redact_value(record.msg, self.known)
        else:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: keep the template, drop the arguments
                message = str(record.msg)
            record.msg, record.args = redact(message, self.known), None
        for name in set(vars(record)) - _STANDARD:
            setattr(record, name, redact_value(getattr(record, name), self.known))
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text, self.known)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.known)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.known)
        return True


def install_redaction(handler: logging.Handler, known: Iterable[str | None] = ()) -> None:
    """Redact every record `handler` writes; a second call adds its `known` values."""
    for existing in handler.filters:
        if isinstance(existing, RedactSecrets):
            existing.add(known)
            return
    handler.addFilter(RedactSecrets(known))
