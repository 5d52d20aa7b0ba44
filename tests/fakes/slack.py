"""A fake Slack Web API (and response_url and file upload endpoints) over real HTTP.

It keeps channels and messages, checks the bot token, and answers errors on demand:
`fail_method("chat.postMessage", "channel_not_found")`, `rate_limit(...)`, `server_error(...)`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.base import FakeServer, Recorded, Response, json_response

if TYPE_CHECKING:
    from tests.fakes.socket_mode import FakeSocketMode

TOKEN = "xoxb-test-token"
# Slack's channel names: lowercase letters of any script, digits, hyphens, underscores.
_NAME = re.compile(r"^[\w-]{1,80}$")


def _loads(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeSlack(FakeServer):
    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._state = threading.Lock()
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.pins: list[tuple[str, str]] = []
        # Methods whose real answer comes late: method -> [seconds, times left].
        self._late: dict[str, list[float]] = {}
        # user id -> users.info's `user` object; anyone else is `user_not_found`.
        self.users: dict[str, dict[str, Any]] = {}
        self.route("POST", r"/api/(?P<method>[a-zA-Z.]+)")(self._api)
        self.route("POST", r"/response/(?P<id>[^/]+)")(self._response)
        self.route("POST", r"/upload/(?P<id>[^/]+)")(self._upload)

    # -- faults -----------------------------------------------------------------------------
    def fail_method(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer `ok: false` with this error."""
        self.fail(
            "POST",
            f"/api/{re.escape(method)}",
            Response(200, {"ok": False, "error": error}),
            times=times,
        )

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        self.fail(
            "POST",
            f"/api/{re.escape(method)}",
            Response(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}),
            times=times,
        )

    def server_error(self, method: str, *, status: int = 503, times: int = 1) -> None:
        self.fail(
            "POST", f"/api/{re.escape(method)}", Response(status, "upstream error"), times=times
        )

    def hang(self, method: str, *, seconds: float, times: int = 1) -> None:
        self.fail(
            "POST",
            f"/api/{re.escape(method)}",
            Response(200, {"ok": True}, delay=seconds),
            times=times,
        )

    def answer_late(self, method: str, *, seconds: float, times: int = 1) -> None:
        """Carry the call out at once, as Slack does, but answer only after `seconds` (a
        client with a shorter timeout never hears that it worked)."""
        self._late[method] = [seconds, times]

    def add_user(self, user_id: str, display_name: str, real_name: str | None = None) -> None:
        """A member of the workspace, as users.info describes them."""
        with self._state:
            self.users[user_id] = {
                "id": user_id,
                "team_id": "T1",
                "name": display_name.lower().replace(" ", "."),
                "real_name": real_name or display_name,
                "is_bot": False,
                "profile": {"display_name": display_name, "real_name": real_name or display_name},
            }

    # -- inspection -------------------------------------------------------------------------
    def calls(self, method: str) -> list[Recorded]:
        return self.received("POST", f"/api/{re.escape(method)}")

    def channel_named(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.channels.values() if c["name"] == name), None)

    def posts(self, channel: str) -> list[dict[str, Any]]:
        with self._state:
            return list(self.messages.get(channel, []))

    def all_posts(self) -> list[dict[str, Any]]:
        with self._state:
            return [m for messages in self.messages.values() for m in messages]

    def response_url(self, name: str = "r") -> str:
        return f"{self.url}/response/{name}"

    def wait_for(self, predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll until predicate() is truthy; return its value or fail the test."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError("condition not met in time")

    # -- the Web API --------------------------------------------------------------------------
    def _api(self, request: Recorded, match: re.Match[str]) -> Response:
        method = match.group("method")
        auth = request.headers.get("authorization", "")
        if auth != f"Bearer {self.token}":
            return json_response(
                {"ok": False, "error": "not_authed" if not auth else "invalid_auth"}
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method"})
        with self._state:
            body = handler(request)
            late = self._late.get(method)
            delay = 0.0
            if late:
                delay, late[1] = late[0], late[1] - 1
                if late[1] <= 0:
                    del self._late[method]
        response = json_response(
            {"ok": True, **body} if "error" not in body else {"ok": False, **body}
        )
        response.delay = delay
        return response

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _m_auth_test(self, request: Recorded) -> dict[str, Any]:
        return {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "AILEX"}

    def _m_users_info(self, request: Recorded) -> dict[str, Any]:
        user = self.users.get(request.arg("user") or "")
        if user is None:
            return {"error": "user_not_found"}
        return {"user": user}

    def _m_conversations_create(self, request: Recorded) -> dict[str, Any]:
        name = request.arg("name") or ""
        if not _NAME.match(name) or name != name.lower() or not name.strip("-_"):
            return {"error": "invalid_name_specials"}
        if self.channel_named(name):
            return {"error": "name_taken"}
        channel_id = f"CINC{next(self._ids):04d}"
        channel = {
            "id": channel_id,
            "name": name,
            "is_private": request.arg("is_private") == "true",
            "creator": "UBOT",
        }
        self.channels[channel_id] = channel
        self.members[channel_id] = {"UBOT"}
        return {"channel": channel}

    def _m_conversations_list(self, request: Recorded) -> dict[str, Any]:
        """Public channels, two a page (so that callers must follow the cursor)."""
        ordered = [c for c in self.channels.values() if not c.get("is_private")]
        start = int(request.arg("cursor") or 0)
        page = ordered[start : start + 2]
        more = start + 2 < len(ordered)
        channels = [{**c, "is_member": "UBOT" in self.members.get(c["id"], set())} for c in page]
        return {
            "channels": channels,
            "response_metadata": {"next_cursor": str(start + 2) if more else ""},
        }

    def _m_conversations_invite(self, request: Recorded) -> dict[str, Any]:
        channel = request.arg("channel") or ""
        users = set((request.arg("users") or "").split(","))
        if channel not in self.members:
            return {"error": "channel_not_found"}
        if users <= self.members[channel]:
            return {"error": "already_in_channel"}
        self.members[channel] |= users
        return {"channel": self.channels.get(channel, {"id": channel})}

    def _m_chat_postMessage(self, request: Recorded) -> dict[str, Any]:
        channel = request.arg("channel") or ""
        if not channel:
            return {"error": "channel_not_found"}
        ts = self._next_ts()
        message = {
            "ts": ts,
            "text": request.arg("text"),
            "blocks": _loads(request.arg("blocks")),
            "thread_ts": request.arg("thread_ts"),
        }
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, request: Recorded) -> dict[str, Any]:
        channel, ts = request.arg("channel") or "", request.arg("ts")
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                message["text"] = request.arg("text")
                message["blocks"] = _loads(request.arg("blocks"))
                message.setdefault("updates", 0)
                message["updates"] += 1
                return {"channel": channel, "ts": ts}
        return {"error": "message_not_found"}

    def _m_chat_getPermalink(self, request: Recorded) -> dict[str, Any]:
        channel, ts = request.arg("channel") or "", request.arg("message_ts") or ""
        if not any(message["ts"] == ts for message in self.messages.get(channel, [])):
            return {"error": "message_not_found"}
        link = f"https://ailex.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _m_chat_postEphemeral(self, request: Recorded) -> dict[str, Any]:
        self.ephemerals.append(
            {
                "channel": request.arg("channel"),
                "user": request.arg("user"),
                "text": request.arg("text"),
                "blocks": _loads(request.arg("blocks")),
            }
        )
        return {"message_ts": self._next_ts()}

    def _m_pins_add(self, request: Recorded) -> dict[str, Any]:
        self.pins.append((request.arg("channel") or "", request.arg("timestamp") or ""))
        return {}

    def _m_views_open(self, request: Recorded) -> dict[str, Any]:
        view = _loads(request.arg("view"))
        view_id = f"V{next(self._ids):04d}"
        self.views.append({"id": view_id, "trigger_id": request.arg("trigger_id"), "view": view})
        return {"view": {"id": view_id, "hash": "h1", **(view or {})}}

    def _m_views_update(self, request: Recorded) -> dict[str, Any]:
        view = _loads(request.arg("view"))
        self.views.append({"id": request.arg("view_id"), "view": view, "update": True})
        return {"view": view}

    def _m_files_getUploadURLExternal(self, request: Recorded) -> dict[str, Any]:
        file_id = f"F{next(self._ids):04d}"
        self.files[file_id] = {"filename": request.arg("filename"), "content": None}
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, request: Recorded) -> dict[str, Any]:
        files = _loads(request.arg("files")) or []
        for entry in files:
            record = self.files.get(entry.get("id"))
            if record is None:
                return {"error": "file_not_found"}
            record.update(title=entry.get("title"), channel=request.arg("channel_id"), shared=True)
        return {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}

    def _upload(self, request: Recorded, match: re.Match[str]) -> Response:
        with self._state:
            record = self.files.get(match.group("id"))
            if record is None:
                return Response(404, "no such upload")
            body = request.body
            # files_upload_v2 may send multipart; keep the raw bytes and the decoded text.
            record["raw"] = body
            record["content"] = _multipart_payload(body, request.headers.get("content-type", ""))
        return Response(200, "OK - 1")

    def _response(self, request: Recorded, match: re.Match[str]) -> Response:
        with self._state:
            self.responses.append({"id": match.group("id"), **(request.json() or {})})
        return Response(200, "ok")

    # -- Socket Mode ----------------------------------------------------------------------------
    def socket_mode(self, server: FakeSocketMode, *, app_token: str | None = None) -> None:
        """Answer `apps.connections.open` with a one-time URL of `server` (a FakeSocketMode).

        Slack takes only the app-level token (xapp-) for it, as Bearer: a bot token is
        `not_allowed_token_type`. The route goes ahead of the Web API's, which takes only the
        bot token."""
        from tests.fakes.socket_mode import APP_TOKEN

        self.app_token = app_token or APP_TOKEN
        self.socket_mode_server = server
        self.route("POST", r"/api/apps\.connections\.open")(self._apps_connections_open)
        self._routes.insert(0, self._routes.pop())

    def _apps_connections_open(self, request: Recorded, match: re.Match[str]) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth:
            return json_response({"ok": False, "error": "not_authed"})
        if auth == f"Bearer {self.token}":
            return json_response({"ok": False, "error": "not_allowed_token_type"})
        if auth != f"Bearer {self.app_token}":
            return json_response({"ok": False, "error": "invalid_auth"})
        return json_response({"ok": True, "url": self.socket_mode_server.open_url()})

    def shared_files(self) -> list[dict[str, Any]]:
        with self._state:
            return [dict(f, id=fid) for fid, f in self.files.items() if f.get("shared")]


def _multipart_payload(body: bytes, content_type: str) -> str:
    """The file's text from a multipart/form-data body, or the body itself."""
    match = re.search(r"boundary=([^;]+)", content_type)
    if not match:
        return body.decode("utf-8", "replace")
    boundary = match.group(1).strip('"').encode()
    for part in body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b"filename=" in head or b'name="file"' in head:
            return content.rsplit(b"\r\n", 1)[0].decode("utf-8", "replace")
    return body.decode("utf-8", "replace")
