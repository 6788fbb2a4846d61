"""The built-in provider's files in `<data_dir>/identity/`, as its verifiers read them.

The provider (`functions.identity`) keeps its private key and secret there; what
a verifier needs is public: `jwks.json` (the public key set) and `issuer.json`
(the issuer URL and audience the running provider serves). Reading them needs
no HTTP, so every app sharing the data directory verifies tokens on its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jwt import PyJWKSet
from jwt.exceptions import PyJWKSetError

from functions.shared.identity.errors import KeysUnavailable

PUBLIC_KEYS = "jwks.json"
ISSUER_RECORD = "issuer.json"


@dataclass(frozen=True)
class IssuerRecord:
    """What a running built-in provider serves, so tokens minted offline match it."""

    issuer: str
    audience: str
    admin_claim: str = "roles"
    admin_role: str = "admin"


def identity_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "identity"


def read_public_keys(data_dir: Path) -> PyJWKSet:
    """The built-in provider's public key set; KeysUnavailable before its first start."""
    path = identity_dir(data_dir) / PUBLIC_KEYS
    try:
        return PyJWKSet.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, PyJWKSetError) as exc:
        raise KeysUnavailable(f"no usable key set in {path}: {exc}") from exc


def read_issuer_record(data_dir: Path) -> IssuerRecord | None:
    """What the provider on `data_dir` last said it serves, or None if it never ran."""
    path = identity_dir(data_dir) / ISSUER_RECORD
    try:
        record = json.loads(path.read_text())
        return IssuerRecord(**{k: str(v) for k, v in record.items()})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} is not an issuer record: {exc}") from exc


def write_issuer_record(data_dir: Path, record: IssuerRecord) -> None:
    write_json(identity_dir(data_dir) / ISSUER_RECORD, asdict(record))


def write_public_keys(data_dir: Path, keys: list[dict[str, Any]]) -> None:
    write_json(identity_dir(data_dir) / PUBLIC_KEYS, {"keys": keys})


def write_json(path: Path, value: Any) -> None:
    """Replace `path` atomically (a reader sees the old or the new file, never half)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(value, file, indent=2)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
