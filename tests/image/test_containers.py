"""The image `task image` built, run as a cluster runs it.

Each app starts from the image as Kubernetes starts it (knative/): its own
network namespace, `TODOMESH_MODE=dapr`, `DATABASE_URL` pointing at a PostgreSQL
server elsewhere, no capabilities, after the migration Job's own command has
migrated that database from the same image. The database is the test PostgreSQL
on the host's loopback, which the container reaches through slirp4netns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from functions.launcher.binaries import MissingInfrastructure
from functions.launcher.processes import free_port, http_ok
from tests.support.image import (
    HOST_LOOPBACK,
    NETWORK,
    ROOT,
    AppContainer,
    app_container,
    image_names,
    in_image,
    podman,
    require_image,
)
from tests.support.plugin import infrastructure_missing
from tests.support.waiting import WaitTimeout, wait_for

pytestmark = pytest.mark.image

TARGETS = ("todo", "hub", "audit", "recurring", "notify")
APP_UID = 10001
# Kubernetes' default terminationGracePeriodSeconds, which knative/ keeps.
GRACE_SECONDS = 30
READY_SECONDS = 60
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def _image(key: str) -> str:
    try:
        return require_image(image_names()[key])
    except MissingInfrastructure as error:
        infrastructure_missing(error)


@pytest.fixture(scope="module")
def image() -> str:
    return _image("TODOMESH_IMAGE")


@pytest.fixture(scope="module")
def base_image() -> str:
    return _image("TODOMESH_BASE_IMAGE")


def migrate_job_container() -> dict[str, Any]:
    job = yaml.safe_load((ROOT / "knative" / "base" / "apps" / "migrate-job.yaml").read_text())
    container: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return container


@pytest.fixture(scope="module")
def database(image: str, postgres_url: str) -> Iterator[str]:
    """A new database, migrated by the migration Job's command run in the image; its
    URL as seen from a container."""
    name = f"image_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0].replace("@127.0.0.1:", f"@{HOST_LOOPBACK}:") + f"/{name}"
    job = migrate_job_container()
    migrate = [*job["command"], *job["args"]]
    try:
        podman("run", "--rm", "--network", NETWORK, "--env", f"DATABASE_URL={url}", image, *migrate)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_ready(app: AppContainer) -> None:
    """Poll `/ready` until it answers 200; fail with the app's log if it does not."""

    def ready() -> bool:
        if app.state("Running") != "true":
            pytest.fail(f"{app.name} exited:\n{app.logs()}")
        return http_ok(app.url("/ready"))

    try:
        wait_for(ready, f"{app.name} /ready", timeout=READY_SECONDS)
    except WaitTimeout as error:
        pytest.fail(f"{error}\n{app.logs()}")


@pytest.fixture(params=TARGETS)
def app(request: pytest.FixtureRequest, image: str, database: str) -> Iterator[AppContainer]:
    """One app started from the image, ready; removed after the test."""
    env = {"FUNCTION_TARGET": request.param, "TODOMESH_MODE": "dapr", "DATABASE_URL": database}
    with app_container(image, free_port(), env) as started:
        wait_ready(started)
        yield started


def test_each_app_serves_its_probes_as_the_unprivileged_user(app: AppContainer) -> None:
    assert app.get("/health").json() == {"status": "ok"}
    ready = app.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    assert app.pid1_uids() == [APP_UID] * 4


def test_sigterm_stops_each_app_cleanly_within_the_grace_period(app: AppContainer) -> None:
    app.stop(GRACE_SECONDS)
    # 137 would be the SIGKILL that follows an expired grace period; gunicorn's
    # graceful shutdown exits 0.
    assert app.state("ExitCode") == "0", app.logs()
    assert "Shutting down: Master" in app.logs()


def test_the_image_holds_the_apps_and_nothing_of_the_workbench(image: str) -> None:
    listing = in_image(image, "sh", "-c", "cd /app && ls -d * functions/*").split()
    assert {"functions", "dapr", "bindings", "functions/asgi.py", "functions/main.py"} <= set(
        listing
    )
    assert not {"tests", "infra", "bench", "docs", "functions/launcher"} & set(listing), listing


def test_the_image_keeps_debians_ca_bundle_not_the_build_hosts(image: str, base_image: str) -> None:
    """The build mounted the host's bundle for pip; the image must not have kept it."""
    in_app = in_image(image, "sha256sum", CA_BUNDLE).split()[0]
    assert in_app == in_image(base_image, "sha256sum", CA_BUNDLE).split()[0]
