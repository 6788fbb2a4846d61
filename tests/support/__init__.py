"""Test support: throwaway real services (PostgreSQL, Kafka, daprd, scheduler).

`tests.support.services` starts them from the binaries that `task infra` caches;
`tests.support.plugin` is the pytest plugin with the session fixtures.
"""
