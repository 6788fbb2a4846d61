"""Trace ids: well-formed W3C trace context, unique, and not repeated across a fork."""

from __future__ import annotations

import os
import re

from functions.shared.logs import bind_request, current, new_traceparent

TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$")


def test_new_trace_contexts_are_well_formed_and_distinct() -> None:
    made = [new_traceparent() for _ in range(10_000)]
    assert all(TRACEPARENT.match(t) for t in made)
    assert len(set(made)) == len(made)


def test_a_forked_child_does_not_repeat_the_parents_next_id() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write its next id and leave without running pytest's exit
        os.write(write, new_traceparent().encode())
        os._exit(0)
    os.close(write)
    try:
        parent = new_traceparent()
        with os.fdopen(read) as pipe:
            child = pipe.read()
    finally:
        os.waitpid(pid, 0)
    assert TRACEPARENT.match(child) and child != parent


def test_a_request_keeps_a_valid_incoming_trace_and_replaces_a_malformed_one() -> None:
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    reset = bind_request("todo", incoming)
    assert current("traceparent") == incoming
    reset()
    reset = bind_request("todo", "00-not-a-trace-01")
    replaced = current("traceparent")
    reset()
    assert replaced != "00-not-a-trace-01" and TRACEPARENT.match(replaced or "")
    assert current("traceparent") is None
