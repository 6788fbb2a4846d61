"""The self-hosted Dapr launcher: real daprd, scheduler and app processes on one machine.

`todomesh up --dapr` and the integration tests start the platform through it.
It finds the binaries that `task infra` builds (infra/, ~/.cache/todomesh),
renders the repo's Dapr resources for the addresses at hand, and supervises
each app and its sidecar. A development tool: the container image leaves it out.
"""
