"""The platform from the image, each app in its own podman pod beside its daprd.

The closest this machine comes to a cluster: the app containers run the image
that `task image` builds, non-root and without capabilities, on port 8080 of
their pod's own network namespace; each pod's daprd reads the same rendered
`dapr/` components, subscriptions and resiliency policy as the self-hosted mode,
with the addresses a pod sees. Pods run on slirp4netns and reach Kafka,
PostgreSQL, SMTP and the todo pod's key set on the host's loopback (10.0.2.2
inside); everything they publish is on the host's 127.0.0.1 only.

Kafka advertises one address per listener, so the broker needs a listener for
the pods that advertises the address they reach it at (`pod_kafka_brokers`,
e.g. `10.0.2.2:9094`; infra/kafka/server.properties.template has one).
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from functions.identity.keystore import KEY_FILE
from functions.identity.tokens import mint_token
from functions.launcher.binaries import DaprBinaries, MissingInfrastructure, dapr_binaries
from functions.launcher.identity import HOST, BuiltinIdentity
from functions.launcher.platform import Addresses, LaunchedPlatform
from functions.launcher.pod import APP_PORT, DAPR_HTTP_PORT, AppPod
from functions.launcher.podman import HOST_LOOPBACK, image_names, loopback_to_host, require_image
from functions.launcher.processes import free_port
from functions.launcher.render import config_path
from functions.shared.identity.local import ISSUER_RECORD, identity_dir

# The image's user (Containerfile), and the user Dapr's injector runs daprd as.
APP_UID, DAPRD_UID = 10001, 65532
IN_POD = Path("/dapr")
UNPRIVILEGED = ["--cap-drop", "all", "--security-opt", "no-new-privileges"]


def pod_images() -> tuple[str, str]:
    """The app image and the Debian base that daprd runs in; MissingInfrastructure if absent."""
    names = image_names()
    if os.geteuid() != 0:
        raise MissingInfrastructure(
            "the pods run on rootful podman, as task image builds: run as root"
        )
    return require_image(names["TODOMESH_IMAGE"]), require_image(names["TODOMESH_BASE_IMAGE"])


@dataclass(frozen=True)
class PodIdentity(BuiltinIdentity):
    """The todo pod's provider. Its files belong to the container's user, and minting
    rewrites the public key set; so tokens are minted from a copy of its key."""

    minting_dir: Path = Path()

    def token(self, user: str, *, admin: bool = False, ttl: int = 3600) -> str:
        source, copy = identity_dir(self.data_dir), identity_dir(self.minting_dir)
        if not (copy / KEY_FILE).exists():
            copy.mkdir(mode=0o700, parents=True, exist_ok=True)
            for name in (KEY_FILE, ISSUER_RECORD):  # made by the todo pod when it started
                shutil.copyfile(source / name, copy / name)
        return mint_token(self.minting_dir, user, admin=admin, ttl=ttl)


@dataclass
class PodPlatform(LaunchedPlatform):
    pod_kafka_brokers: str = ""
    binaries: DaprBinaries = field(default_factory=dapr_binaries)
    images: tuple[str, str] = field(default_factory=pod_images)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @functools.cached_property
    def identity(self) -> PodIdentity:
        data, minting = self.work_dir / "identity", self.work_dir / "minting"
        return PodIdentity(data, jwks_host=HOST_LOOPBACK, minting_dir=minting)

    def sidecar_addresses(self) -> Addresses:
        if not self.pod_kafka_brokers:
            raise ValueError("pod_kafka_brokers: the Kafka listener the pods reach (10.0.2.2:...)")
        seen = self.addresses
        return Addresses(
            loopback_to_host(seen.database_url),
            self.pod_kafka_brokers,
            loopback_to_host(seen.smtp_host),
            seen.smtp_port,
        )

    def secrets_path(self, written: Path) -> Path:
        return IN_POD / "secrets" / written.name

    def prepare(self) -> Path:
        resources = super().prepare()
        os.chown(self.work_dir / "secrets.json", DAPRD_UID, DAPRD_UID)
        for path in (self.identity.data_dir, *self.identity.data_dir.rglob("*")):
            os.chown(path, APP_UID, APP_UID)  # the todo pod's user serves the provider
        return resources

    def new_member(self, app_id: str, name: str) -> AppPod:
        port = self.identity.port if name == HOST else free_port()
        pod = f"todomesh-{self.run_id}-{name}"
        env = {**self.app_env(app_id), "DAPR_HTTP_PORT": str(DAPR_HTTP_PORT)}
        daprd = self._daprd(app_id, pod)
        return AppPod(pod, app_id, port, self._app(app_id, env), free_port(), daprd)

    def add_query_half(self, app_id: str) -> AppPod:
        """Start `<app_id>-api`, as a cluster runs a function's query API: the image alone,
        TODOMESH_ROLE=query, the database URL in its environment, no sidecar."""
        name = f"{app_id}-api"
        if name in self.members:
            raise ValueError(f"a member named {name!r} is already running")
        database_url = self.sidecar_addresses().database_url
        env = {**self.identity.env_for(app_id), **self.env, "TODOMESH_ROLE": "query"}
        env |= {"FUNCTION_TARGET": app_id, "TODOMESH_MODE": "dapr", "DATABASE_URL": database_url}
        pod = AppPod(f"todomesh-{self.run_id}-{name}", app_id, free_port(), self._app(app_id, env))
        self.members[name] = pod
        pod.start()
        return pod

    def _app(self, app_id: str, env: dict[str, str]) -> list[str]:
        args = [*UNPRIVILEGED, *_env_args({**env, "PORT": str(APP_PORT)})]
        if app_id == HOST:  # the built-in provider's key, which tokens are minted with here
            data = self.identity.data_dir
            args += ["--volume", f"{data}:{data}"]
        return [*args, self.images[0]]

    def _daprd(self, app_id: str, pod: str) -> list[str]:
        mounts = {
            self.binaries.daprd: Path("/daprd"),
            self.work_dir / "resources": IN_POD / "resources",
            self.work_dir / "secrets.json": self.secrets_path(self.work_dir / "secrets.json"),
            config_path(): IN_POD / "config.yaml",
        }
        volumes = [f"--volume={source}:{target}:ro" for source, target in mounts.items()]
        # {podName} in a component (the hub's consumer group) resolves to POD_NAME.
        env = {"POD_NAME": pod, **self.tokens}
        argv = [
            "/daprd", f"--app-id={app_id}", f"--app-port={APP_PORT}", "--app-protocol=http",
            f"--dapr-http-port={DAPR_HTTP_PORT}", "--dapr-grpc-port=50001",
            f"--resources-path={IN_POD / 'resources'}", f"--config={IN_POD / 'config.yaml'}",
            "--metrics-port=9095", "--log-as-json",
        ]  # fmt: skip
        user = f"{DAPRD_UID}:{DAPRD_UID}"
        return ["--user", user, *UNPRIVILEGED, *volumes, *_env_args(env), self.images[1], *argv]


def _env_args(env: dict[str, str]) -> list[str]:
    return [f"--env={key}={value}" for key, value in env.items()]
