"""A local HTTP server on 127.0.0.1 (free port) whose routes misbehave on purpose: the tests' one fake web.

Routes answer by path (status, headers, Range requests); a route can fail its first requests, truncate its first
body or ignore Range; ``faults[path]`` queues one-off faults ("500", "truncate") for the next GETs. A request no route
matches goes to ``app`` when one is set (a callable taking the :class:`Seen` request and returning a :class:`Route`,
or ``None`` for 404): ``tests/fake_hub.py`` serves the Hugging Face Hub API that way. Every request is recorded
(method, path, headers, body).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["App", "FakeServer", "Route", "Seen"]


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
    body: bytes = b""


App = Callable[[Seen], Route | None]


class FakeServer:
    """Routes by path, then ``app``; records every request."""

    def __init__(self, app: App | None = None) -> None:
        self.app = app
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
                self._answer("HEAD")

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_PUT(self) -> None:
                self._answer("PUT")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().strip() or b"0", 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _answer(self, method: str) -> None:
                head = method == "HEAD"
                body_in = b"" if method in ("GET", "HEAD") else self._body()
                seen = Seen(method, self.path, dict(self.headers.items()), body_in)
                with server._lock:
                    server.seen.append(seen)
                    n_before = server._gets.get((method, self.path), 0)
                    server._gets[(method, self.path)] = n_before + 1
                    pending = server.faults.get(self.path, [])
                    fault = pending.pop(0) if pending and not head else None
                route = server.routes.get(self.path)
                if route is None and server.app is not None:
                    route = server.app(seen)
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
                    first, _, last = wanted.removeprefix("bytes=").partition("-")
                    start = max(len(body) - int(last), 0) if not first else int(first)  # "-N": the last N bytes
                    end = min(int(last), len(body) - 1) if first and last else len(body) - 1
                    if start >= len(body):
                        self._send(416, b"", {"Content-Range": f"bytes */{len(body)}"})
                        return
                    extra["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                    body, status = body[start : end + 1], 206
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
