"""A real HTTP server on 127.0.0.1 for fakes of outside services.

Each fake registers routes; every request is recorded; faults (a status, a delay, a huge or
broken body, a closed connection) can be queued for the next matching requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def arg(self, name: str) -> str | None:
        """A query-string value, or a form/JSON body value, whichever carries it."""
        if name in self.query:
            return self.query[name][0]
        content_type = self.headers.get("content-type", "")
        if "json" in content_type:
            value = (self.json() or {}).get(name)
            return value if value is None or isinstance(value, str) else json.dumps(value)
        if "form" in content_type:
            return self.form().get(name)
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Send this many bytes of `body` then close the connection without finishing.
    cut_after: int | None = None
    # Stream the body in chunks of this size (with a pause between) rather than at once.
    chunk: int | None = None
    chunk_pause: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            data = self.body
        elif isinstance(self.body, str):
            data = self.body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            data = json.dumps(self.body).encode()
            headers.setdefault("Content-Type", "application/json")
        return data, headers


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(status=status, body=body, headers=dict(headers))


Handler = Callable[[Recorded, re.Match[str]], Response]


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    response: Response
    times: int


class SimServer:
    """Start with `with SimServer() as fake:` or start()/stop(); `fake.url` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.requests: list[Recorded] = []
        # Seconds every answer waits (a slow dependency; bench/diagnose.py sets it).
        self.delay = 0.0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler for METHOD and a path regex (matched in full, query excluded)."""

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), re.compile(pattern), handler))
            return handler

        return register

    def fail(self, method: str, pattern: str, response: Response | int, *, times: int = 1) -> None:
        """Answer the next `times` matching requests with `response` instead of the route."""
        if isinstance(response, int):
            response = Response(status=response, body={"error": "injected"})
        with self._lock:
            self._faults.append(_Fault(method.upper(), re.compile(pattern), response, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- inspection ---------------------------------------------------------------------
    def received(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        """Requests so far, filtered by method and a path regex."""
        with self._lock:
            requests = list(self.requests)
        return [
            r
            for r in requests
            if (method is None or r.method == method.upper())
            and (pattern is None or re.fullmatch(pattern, r.path))
        ]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> SimServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------
    def _dispatch(self, recorded: Recorded) -> Response:
        with self._lock:
            self.requests.append(recorded)
            for fault in self._faults:
                if fault.method in (recorded.method, "*") and fault.pattern.fullmatch(
                    recorded.path
                ):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault.response
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(recorded.path)
            if match and method in (recorded.method, "*"):
                return handler(recorded, match)
        return json_response({"error": {"code": "not_found", "message": "no route"}}, 404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.time(),
                )
                response = fake._dispatch(recorded)
                if response.delay or fake.delay:
                    time.sleep(response.delay + fake.delay)
                data, headers = response.encoded()
                try:
                    self.send_response(response.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if response.cut_after is not None:
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data[: response.cut_after])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command == "HEAD":
                        return
                    if response.chunk:
                        for start in range(0, len(data), response.chunk):
                            self.wfile.write(data[start : start + response.chunk])
                            self.wfile.flush()
                            if response.chunk_pause:
                                time.sleep(response.chunk_pause)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        return _Handler
