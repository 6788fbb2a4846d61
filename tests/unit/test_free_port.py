"""Ports for throwaway servers: never the same one twice, never one in use."""

from __future__ import annotations

import socket

import pytest

from functions.launcher import processes
from functions.launcher.processes import free_port


def test_a_port_is_handed_out_once_per_process() -> None:
    ports = [free_port() for _ in range(500)]

    assert len(set(ports)) == len(ports)


def test_ports_come_from_outside_the_kernels_ephemeral_range() -> None:
    ports = [free_port() for _ in range(50)]

    assert all(port < 32768 for port in ports)


def test_a_port_something_listens_on_is_skipped() -> None:
    upcoming = processes._next_port[0]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        try:
            listener.bind(("127.0.0.1", upcoming))
        except OSError:  # taken already: free_port must skip it all the same
            pass
        else:
            listener.listen()

        assert free_port() != upcoming


def test_the_range_starts_over_once_every_port_was_handed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(processes, "_ports_given", set(processes._PORT_RANGE))

    assert free_port() in processes._PORT_RANGE
