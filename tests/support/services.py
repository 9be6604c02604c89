"""Local services for tests: free ports, and PostgreSQL / Redis that must answer for the tests
marked `postgres` / `redis` (skip with a reason locally, fail in CI)."""

from __future__ import annotations

import os
import socket

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


_SERVICES = {"postgres": (PG_HOST, PG_PORT), "redis": (REDIS_HOST, REDIS_PORT)}


def require_services(item: pytest.Item) -> None:
    for marker, (host, port) in _SERVICES.items():
        if item.get_closest_marker(marker) is None or _answers(host, port):
            continue
        reason = f"{marker} not answering on {host}:{port}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: {marker} tests must run)", pytrace=False)
        pytest.skip(reason)
