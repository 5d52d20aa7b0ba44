"""A fake of Slack's Socket Mode endpoint: a real WebSocket server on 127.0.0.1.

How Slack does it, and so how this fake does it:

1. The app calls the Web API method `apps.connections.open` with its app-level token
   (`xapp-...`) as Bearer; Slack answers `{"ok": true, "url": "wss://.../link/?ticket=..."}`.
   `FakeSlack.socket_mode(fake)` adds that method to the fake Web API; the URL it hands out
   comes from `open_url()` here, with a fresh ticket, and only an issued ticket may connect.
2. The app connects to that URL; the server sends `{"type": "hello", ...}` first.
3. The server sends envelopes: `{"envelope_id", "type": "slash_commands" | "interactive" |
   "events_api", "accepts_response_payload", "payload": {...}}`.
4. The app acknowledges each with `{"envelope_id": ..., "payload": {...}}` (payload optional):
   for a slash command that payload is what an HTTP app would answer in its response body.

The URL is `ws://`: slack_sdk's built-in client (the one Bolt's SocketModeHandler uses) opens a
plain TCP socket for any port but 443 and TLS only on 443, and slack_sdk's own tests serve it
`ws://` the same way. Every frame the app sends is kept (`messages`); `wait_ack` waits for one.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

APP_TOKEN = "xapp-1-A0AILEX-1-test-app-token"
APP_ID = "A0AILEX"
LINK_PATH = "/link/"


@dataclass(eq=False)
class Link:
    """One WebSocket connection the app opened."""

    connection: ServerConnection
    number: int
    ticket: str
    opened_at: float
    closed: threading.Event = field(default_factory=threading.Event)

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message, ensure_ascii=False))


class FakeSocketMode:
    """Start with `with FakeSocketMode() as fake:` or start()/stop()."""

    def __init__(self, *, app_id: str = APP_ID, ping_interval: float | None = 2.0) -> None:
        self.app_id = app_id
        self._changed = threading.Condition()
        self._tickets: dict[str, bool] = {}  # issued ticket -> used
        self._ids = itertools.count(1)
        self.links: list[Link] = []
        # Every text frame the app sent, parsed, with the link it came on.
        self.messages: list[tuple[Link, dict[str, Any]]] = []
        # Handshakes refused (a ticket never issued, or used twice; a wrong path).
        self.refused: list[str] = []
        self._server: Server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            # Pings from the server: the app must answer them with pongs or be dropped.
            ping_interval=ping_interval,
            ping_timeout=30,
        )
        self._thread: threading.Thread | None = None

    # -- set-up -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def open_url(self) -> str:
        """A new one-time WebSocket URL, as `apps.connections.open` hands out."""
        ticket = secrets.token_hex(8)
        with self._changed:
            self._tickets[ticket] = False
        return f"ws://127.0.0.1:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # -- driving ------------------------------------------------------------------------------
    def wait_connected(self, timeout: float = 30.0, *, after: Link | None = None) -> Link:
        """The newest open connection, once it has been sent its hello; with `after`, one
        opened after that one."""

        def found() -> Link | None:
            link = self._open_link()
            if link is None or (after is not None and link.number <= after.number):
                return None
            return link

        with self._changed:
            link = self._changed.wait_for(found, timeout)
            if link is None:
                raise AssertionError("the app did not connect over Socket Mode in time")
            return link

    def wait_closed(self, link: Link, timeout: float = 30.0) -> None:
        if not link.closed.wait(timeout):
            raise AssertionError("the connection was not closed in time")

    def disconnect(self, link: Link, reason: str = "refresh_requested") -> None:
        """Tell the app to move to a new connection, as Slack does before it refreshes one."""
        link.send(
            {
                "type": "disconnect",
                "reason": reason,
                "debug_info": {"host": "applink-fake"},
            }
        )

    def drop(self, link: Link) -> None:
        """Close the connection from the server's side (a close frame, then the socket)."""
        link.connection.close(1001, "going away")

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        link: Link | None = None,
    ) -> str:
        """Send an envelope down the open connection; return its envelope_id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": (
                kind == "slash_commands"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        (link or self.wait_connected()).send(envelope)
        return envelope_id

    def slash_command(self, payload: dict[str, Any], **kwargs: Any) -> str:
        return self.send("slash_commands", payload, **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> str:
        return self.send("interactive", payload, **kwargs)

    def acks(self, envelope_id: str) -> list[dict[str, Any]]:
        """The app's acknowledgements of this envelope so far."""
        with self._changed:
            return [m for _, m in self.messages if m.get("envelope_id") == envelope_id]

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The app's acknowledgement of this envelope; fail if none comes in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [m for _, m in self.messages if m.get("envelope_id") == envelope_id]
                if found:
                    return found[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no acknowledgement of envelope {envelope_id}")
                self._changed.wait(remaining)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeSocketMode:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------
    def _open_link(self) -> Link | None:
        return next((link for link in reversed(self.links) if not link.closed.is_set()), None)

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._changed:
            if parts.path != LINK_PATH:
                self.refused.append(request.path)
                return connection.respond(HTTPStatus.NOT_FOUND, "no such path\n")
            if self._tickets.get(ticket) is not False:
                self.refused.append(request.path)
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid ticket\n")
            self._tickets[ticket] = True
        return None

    def _handle(self, connection: ServerConnection) -> None:
        assert connection.request is not None  # the handshake is done
        ticket = (parse_qs(urlsplit(connection.request.path).query).get("ticket") or [""])[0]
        number = next(self._ids)
        link = Link(connection=connection, number=number, ticket=ticket, opened_at=time.time())
        link.send(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {
                    "host": f"applink-fake-{number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._changed:
            self.links.append(link)
            self._changed.notify_all()
        try:
            for frame in connection:
                text = frame.decode() if isinstance(frame, bytes) else frame
                try:
                    message = json.loads(text)
                except ValueError:
                    message = {"unparsed": text}
                with self._changed:
                    self.messages.append((link, message))
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            link.closed.set()
            with self._changed:
                self._changed.notify_all()
