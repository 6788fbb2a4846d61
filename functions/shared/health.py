"""Liveness (`/health`) and readiness (`/ready`) endpoints.

A readiness check returns details (shown in the body) or raises; a failing
critical check makes `/ready` answer 503 naming the dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, jsonify

from functions.shared.problems import problem_response


@dataclass(frozen=True)
class Check:
    name: str
    probe: Callable[[], Any]
    critical: bool = True


def register_health(app: Flask, checks: list[Check]) -> None:
    @app.get("/health")
    def _health() -> Response:
        return jsonify(status="ok")

    @app.get("/ready")
    def _ready() -> Response:
        results: dict[str, Any] = {}
        down: list[str] = []
        for check in checks:
            try:
                results[check.name] = check.probe() or "ok"
            except Exception as exc:
                results[check.name] = f"down: {exc.__class__.__name__}"
                if check.critical:
                    down.append(check.name)
        if down:
            return problem_response(
                503,
                "Not Ready",
                f"Unavailable: {', '.join(down)}",
                dependency=down[0],
                checks=results,
            )
        return jsonify(status="ready", checks=results)
