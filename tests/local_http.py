"""A local HTTP server on 127.0.0.1 (free port) whose routes misbehave on purpose: the tests' one fake web.

Routes answer by path (status, headers, Range requests); a route can fail its first requests, truncate its first
body or ignore Range; ``faults[path]`` queues one-off faults ("500", "truncate") for the next GETs. Every request is
recorded (method, path, headers).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FakeServer", "Route", "Seen"]


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
        self.faults: dict[str, list[str]] = {}  # path -> faults of its next GETs: "500" or "truncate"
        self._lock = threading.Lock()
        self._gets: dict[tuple[str, str], int] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def add(self, path: str, route: Route | bytes | None = None, **kwargs: object) -> str:
        """Serve a route (or plain bytes, or a Route made of ``kwargs``) at ``path``; return its URL."""
        if isinstance(route, bytes):
            route = Route(body=route)
        self.routes[path] = route if route is not None else Route(**kwargs)  # type: ignore[arg-type]
        return self.base + path

    def total_hits(self) -> int:
        """Every request received so far."""
        return len(self.seen)

    @property
    def ranges(self) -> list[tuple[str, str]]:
        """(path, Range header) of every ranged request."""
        return [(s.path, s.headers["Range"]) for s in self.seen if "Range" in s.headers]

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
                    pending = server.faults.get(self.path, [])
                    fault = pending.pop(0) if pending and not head else None
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {})
                    return
                if fault == "500":
                    self._send(500, b"busy", {})
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
                if fault == "truncate" or (route.truncate_first and not head and n_before == route.fail_first):
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
