"""A local HTTP server (127.0.0.1, free port) whose routes misbehave on purpose, and a fake hub on top of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.local_http import FakeServer, Route, Seen

__all__ = ["FakeServer", "Route", "Seen"]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fresh local server per test, shut down afterwards."""
    with FakeServer() as running:
        yield running


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"
