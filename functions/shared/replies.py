"""Replies to a delivery, as Dapr expects them and Knative Eventing understands them.

- success: 200 `{"status": "SUCCESS"}`;
- poison (malformed, unknown major version): `{"status": "DROP"}` with 200 when
  Dapr delivered it (it goes to the dead-letter topic), else 422 problem+json
  (Knative does not retry a 4xx and sends it to the dead-letter sink);
- transient failure (e.g. database down): 503 `{"status": "RETRY"}`, retried by both.
"""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, request

from functions.shared.problems import problem_response


class DropEvent(Exception):
    """Never processable: answer DROP."""


class RetryEvent(Exception):
    """Not processable now: answer RETRY."""


def register_replies(app: Flask) -> None:
    """Answer deliveries with SUCCESS, DROP or RETRY, and daprd's subscription probe."""

    @app.get("/dapr/subscribe")
    def _no_programmatic_subscriptions() -> Response:
        # Subscriptions are declarative (dapr/subscriptions/); say so to daprd.
        return jsonify([])

    @app.errorhandler(DropEvent)
    def _drop(exc: DropEvent) -> Response:
        if g.get("delivered_by_dapr"):
            return jsonify(status="DROP", reason=str(exc))
        return problem_response(422, "Unprocessable event", str(exc))

    @app.errorhandler(RetryEvent)
    def _retry(exc: RetryEvent) -> tuple[Response, int]:
        # The cause is in the log; the reply carries no SQL, ids or titles.
        return jsonify(status="RETRY", reason=exc.__cause__.__class__.__name__), 503

    @app.after_request
    def _success_as_json(response: Response) -> Response:
        if request.method == "POST" and response.status_code == 200 and response.data == b"OK":
            response = jsonify(status="SUCCESS")
        return response
