"""The tests' Slack: the console's stand-in (the one model of Slack) over real HTTP, with
recording and fault injection added.

It is strict as Slack is (bot/console/standin.py): an unknown channel is `channel_not_found`,
views.open takes a trigger_id Slack gave out and a view Slack would show, channel names follow
Slack's rule (bot/incidents/channels.py). The harness, playing Slack's side, declares what a
request it sends implies: the person and the channel it comes from (`arrive`), its trigger_id
and response_url. On top: every request is recorded (`requests`, `calls()`), and errors are
answered on demand: `fail_method("chat.postMessage", "channel_not_found")`, `rate_limit(...)`,
`server_error(...)`, `hang(...)`, `answer_late(...)`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from bot.console.standin import Reply, SlackStandIn
from tests.fakes.base import Recorded, Response

if TYPE_CHECKING:
    from tests.fakes.socket_mode import FakeSocketMode

TOKEN = "xoxb-test-token"
# The channel the harness's commands and clicks come from unless a test says otherwise.
OPS_CHANNEL = "C_OPS"
OPS_NAME = "ops"
DEFAULT_USER = "U_ALICE"


@dataclass
class _Fault:
    path: str
    response: Response
    times: int


class FakeSlack(SlackStandIn):
    # conversations.list: two channels a page, so that callers must follow the cursor.
    page_size = 2

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__(token=token)
        self._recording = threading.Lock()
        self.requests: list[Recorded] = []
        # Answers the bot's posts to response_urls were given, as {"id": key, **payload}.
        self.responses: list[dict[str, Any]] = []
        # views.open calls Slack carried out: {"id", "trigger_id", "view" as the bot sent it}.
        self.views: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        # Methods whose real answer comes late: method -> [seconds, times left].
        self._late: dict[str, list[float]] = {}
        # Seconds every answer waits (a slow dependency; bench/diagnose.py sets it).
        self.delay = 0.0
        self.socket_mode_server: FakeSocketMode | None = None

    # -- faults -----------------------------------------------------------------------------
    def fail_method(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer `ok: false` with this error."""
        self._fault(method, Response(200, {"ok": False, "error": error}), times)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        response = Response(
            429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        )
        self._fault(method, response, times)

    def server_error(self, method: str, *, status: int = 503, times: int = 1) -> None:
        self._fault(method, Response(status, "upstream error"), times)

    def hang(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Answer `ok: true` after `seconds`, having done nothing."""
        self._fault(method, Response(200, {"ok": True}, delay=seconds), times)

    def answer_late(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Carry the call out at once, as Slack does, but answer only after `seconds` (a
        client with a shorter timeout never hears that it worked)."""
        with self._recording:
            self._late[method] = [seconds, times]

    def _fault(self, method: str, response: Response, times: int) -> None:
        with self._recording:
            self._faults.append(_Fault(f"/api/{method}", response, times))

    # -- what Slack's side of a request implies ---------------------------------------------
    def response_url(
        self,
        name: str = "r",
        *,
        channel: str = OPS_CHANNEL,
        user: str = DEFAULT_USER,
        message_ts: str | None = None,
    ) -> str:
        """The response_url called `name` (given out for a request in `channel` by `user`)."""
        return self.new_response_url(channel=channel, user=user, message_ts=message_ts, key=name)

    # -- inspection -------------------------------------------------------------------------
    def calls(self, method: str) -> list[Recorded]:
        return self.received("POST", f"/api/{re.escape(method)}")

    def received(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        """Requests so far, filtered by method and a path regex."""
        with self._recording:
            requests = list(self.requests)
        return [
            r
            for r in requests
            if (method is None or r.method == method.upper())
            and (pattern is None or re.fullmatch(pattern, r.path))
        ]

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """The channels the bot made (conversations.create), by id, in the order made."""
        with self._lock:
            made = [c for c in self._channels.values() if c.created_by_bot]
            return {c.id: c.as_slack() for c in made}

    @property
    def members(self) -> dict[str, set[str]]:
        """Every channel's members, by channel id."""
        with self._lock:
            return {c.id: set(c.members) for c in self._channels.values()}

    @property
    def pins(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._pins)

    def channel_named(self, name: str) -> dict[str, Any] | None:
        channel = self.channel_by_name(name)
        return channel.as_slack() if channel else None

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """The channel's messages as they are now: ts, text, blocks, thread_ts, updates."""
        with self._lock:
            return [_post(m) for m in self._messages.get(channel, [])]

    def all_posts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_post(m) for messages in self._messages.values() for m in messages]

    def shared_files(self) -> list[dict[str, Any]]:
        """Files shared in a channel: id, filename, title, channel, content (text), raw."""
        with self._lock:
            return [
                {
                    "id": f.id,
                    "filename": f.filename,
                    "title": f.title,
                    "channel": f.channel,
                    "shared": True,
                    "raw": f.content,
                    "content": (f.content or b"").decode("utf-8", "replace"),
                }
                for f in self._files.values()
                if f.channel
            ]

    def wait_for(self, predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll until predicate() is truthy; return its value or fail the test."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError("condition not met in time")

    # -- serving: record, inject, then the model --------------------------------------------
    def _serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        recorded = Recorded(
            method=method,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
            at=time.time(),
        )
        with self._recording:
            self.requests.append(recorded)
            fault = self._take_fault(method, parts.path)
        if fault is not None:
            time.sleep(fault.delay + self.delay)
            data, extra = fault.encoded()
            content_type = extra.pop("Content-Type", "text/plain; charset=utf-8")
            return Reply(fault.status, data, content_type, extra)
        if parts.path == "/api/apps.connections.open" and self.socket_mode_server is not None:
            return self._apps_connections_open(recorded)
        reply = super()._serve(method, path, headers, body)
        delay = self.delay + self._note(recorded, reply)
        if delay:
            time.sleep(delay)
        return reply

    def _take_fault(self, method: str, path: str) -> Response | None:
        if method != "POST":
            return None
        for fault in self._faults:
            if fault.path == path:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault.response
        return None

    def _note(self, recorded: Recorded, reply: Reply) -> float:
        """Keep what the tests look at of an answered request; the seconds to answer late."""
        if recorded.path.startswith("/response/"):
            if reply.status == 200:
                payload = recorded.json() or {}
                with self._recording:
                    self.responses.append(
                        {"id": recorded.path.removeprefix("/response/"), **payload}
                    )
            return 0.0
        if not recorded.path.startswith("/api/"):
            return 0.0
        method = recorded.path.removeprefix("/api/")
        answer = json.loads(reply.body or b"{}")
        if method == "views.open" and answer.get("ok"):
            view = json.loads(recorded.arg("view") or "null")
            with self._recording:
                self.views.append(
                    {"id": answer["view"]["id"], "trigger_id": recorded.arg("trigger_id"),
                     "view": view}
                )  # fmt: skip
        with self._recording:
            late = self._late.get(method)
            if not late:
                return 0.0
            late[1] -= 1
            if late[1] <= 0:
                del self._late[method]
            return late[0]

    # -- Socket Mode ----------------------------------------------------------------------------
    def socket_mode(self, server: FakeSocketMode, *, app_token: str | None = None) -> None:
        """Answer `apps.connections.open` with a one-time URL of `server` (a FakeSocketMode).

        Slack takes only the app-level token (xapp-) for it, as Bearer: a bot token is
        `not_allowed_token_type`."""
        from tests.fakes.socket_mode import APP_TOKEN

        self.app_token = app_token or APP_TOKEN
        self.socket_mode_server = server

    def _apps_connections_open(self, request: Recorded) -> Reply:
        auth = request.headers.get("authorization", "")
        if not auth:
            answer: dict[str, Any] = {"ok": False, "error": "not_authed"}
        elif auth == f"Bearer {self.token}":
            answer = {"ok": False, "error": "not_allowed_token_type"}
        elif auth != f"Bearer {self.app_token}":
            answer = {"ok": False, "error": "invalid_auth"}
        else:
            assert self.socket_mode_server is not None
            answer = {"ok": True, "url": self.socket_mode_server.open_url()}
        return Reply(200, json.dumps(answer).encode(), "application/json")


def _post(message: Any) -> dict[str, Any]:
    return {
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
        "thread_ts": message.thread_ts,
        "updates": message.updates,
    }
