"""Throwaway servers for the tests: PostgreSQL and Kafka (`functions.runtime.services`,
shared with the benchmarks), daprd and the scheduler (`functions.runtime.sidecars`)."""

from functions.runtime.services import KafkaBroker, PostgresServer
from functions.runtime.sidecars import Daprd, Scheduler

__all__ = ["Daprd", "KafkaBroker", "PostgresServer", "Scheduler"]
