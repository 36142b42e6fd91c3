"""A local HTTP server (127.0.0.1, free port) whose routes misbehave on purpose, and a fake hub on top of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer 500 this many times first
    fail_status: int = 500
    truncate_first: bool = False  # first GET sends half the bytes, then closes the connection
    ignore_range: bool = False  # always answer 200 with the whole body


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


class FakeServer:
    """Routes by path; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._gets: dict[tuple[str, str], int] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> str:
        self.routes[path] = route if route is not None else Route(**kwargs)  # type: ignore[arg-type]
        return self.base + path

    def hits(self, path: str, method: str = "GET") -> int:
        return sum(1 for s in self.seen if s.path == path and s.method == method)

    def requests(self, path: str, method: str = "GET") -> list[Seen]:
        return [s for s in self.seen if s.path == path and s.method == method]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, *, head: bool) -> None:
                method = "HEAD" if head else "GET"
                with server._lock:
                    server.seen.append(Seen(method, self.path, dict(self.headers.items())))
                    n_before = server._gets.get((method, self.path), 0)
                    server._gets[(method, self.path)] = n_before + 1
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {})
                    return
                if n_before < route.fail_first:
                    self._send(route.fail_status, b"try later", {"Retry-After": "0"})
                    return
                if route.status != 200:  # an error answer carries its body (e.g. an API's JSON message)
                    self._send(route.status, route.body, route.headers, head=head)
                    return
                body, status, extra = route.body, 200, dict(route.headers)
                wanted = self.headers.get("Range")
                if wanted and not route.ignore_range:
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self._send(416, b"", {"Content-Range": f"bytes */{len(body)}"})
                        return
                    extra["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    body, status = body[start:], 206
                if route.truncate_first and not head and n_before == route.fail_first:
                    self.send_response(status)
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(status, body, extra, head=head)

            def _send(self, status: int, body: bytes, headers: dict[str, str], *, head: bool = False) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        return Handler

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """A fresh local server per test, shut down afterwards."""
    with FakeServer() as running:
        yield running


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"
