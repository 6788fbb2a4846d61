"""Throwaway servers for the tests: PostgreSQL and Kafka (`functions.launcher.services`,
shared with the benchmarks), daprd and the scheduler (`functions.launcher.sidecars`)."""

from functions.launcher.services import KafkaBroker, PostgresServer
from functions.launcher.sidecars import Daprd, Scheduler

__all__ = ["Daprd", "KafkaBroker", "PostgresServer", "Scheduler"]
