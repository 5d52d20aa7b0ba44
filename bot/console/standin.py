"""An in-process stand-in for Slack: the Web API, response_urls and file uploads on loopback.

`ailex console` points the bot's real WebClient at it, so the bot runs exactly the code it runs
against Slack. It keeps a small workspace (users, channels, messages, ephemerals, pins, views,
files), keeps Slack's rules the bot relies on (channel names, `name_taken`,
`already_in_channel`, `channel_not_found`, one use of a trigger_id, five of a response_url, the
sizes of messages, blocks and views), answers in Slack's `{"ok": ...}` shapes, and tells a
listener of everything a person in Slack would see.

It is the one model of Slack: it serves only the Web API methods the bot calls (any other is
`unknown_method`, as a method Slack does not have would be), and the tests' fake
(tests/fakes/slack.py) is this class with fault injection and recording added.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.incidents.channels import name_problem

log = logging.getLogger(__name__)

BOT_USER_ID = "UAILEXBOT"
BOT_ID = "BAILEXBOT"
BOT_NAME = "AILEX"
TEAM_ID = "TCONSOLE"
TEAM_DOMAIN = "console"
APP_ID = "ACONSOLE"

# Slack's limits that a view must keep, or views.open answers invalid_arguments.
_VIEW_TEXT_LIMIT = 24
_VIEW_BLOCK_LIMIT = 100
# A published home tab's: Slack answers view_too_large past 250 kB.
_HOME_VIEW_BYTES = 250_000
_METADATA_LIMIT = 3000
_CALLBACK_ID_LIMIT = 255
# A message's: its text (msg_too_long) and its blocks (invalid_blocks).
_MESSAGE_TEXT_LIMIT = 40_000
_MESSAGE_BLOCK_LIMIT = 50
# A block's (Block Kit's documented maximums; beyond them Slack answers invalid_blocks).
_SECTION_TEXT_LIMIT = 3000
_FIELD_LIMIT = 2000
_FIELDS = 10
_HEADER_LIMIT = 150
_CONTEXT_ELEMENTS = 10
_ACTIONS_ELEMENTS = 25
_BUTTON_TEXT_LIMIT = 75
_BUTTON_VALUE_LIMIT = 2000
_OPTION_TEXT_LIMIT = 75
_PLACEHOLDER_LIMIT = 150
_LABEL_LIMIT = 2000
_ID_LIMIT = 255
# conversations.list: Slack's default page and its largest.
_LIST_DEFAULT = 100
_LIST_MAX = 1000
RESPONSE_URL_USES = 5
_MAX_BODY = 50 * 1024 * 1024


class EventType(StrEnum):
    """What happened in the workspace that someone in Slack would see."""

    POSTED = "posted"
    UPDATED = "updated"
    DELETED = "deleted"
    EPHEMERAL = "ephemeral"
    JOINED = "joined"
    PINNED = "pinned"
    VIEW_OPENED = "view_opened"
    VIEW_UPDATED = "view_updated"
    HOME_PUBLISHED = "home_published"
    FILE_SHARED = "file_shared"


@dataclass
class Message:
    """A channel message or an ephemeral one (then `visible_to` names its only reader)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str = BOT_USER_ID
    thread_ts: str | None = None
    edited: bool = False
    visible_to: str | None = None
    updates: int = 0  # how many times chat.update (or a response_url) replaced it


@dataclass
class User:
    """A member of the workspace. One known only by id (`name` None) is a member whose profile
    the bot may not read (users.info: `user_not_visible`), as a Slack Connect guest's."""

    name: str | None
    real_name: str | None = None

    def as_slack(self, user_id: str) -> dict[str, Any]:
        name = self.name or user_id
        real_name = self.real_name or name
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name.lower().replace(" ", "."),
            "real_name": real_name,
            "is_bot": user_id == BOT_USER_ID,
            "profile": {"display_name": name, "real_name": real_name},
        }


@dataclass
class Channel:
    id: str
    name: str
    members: set[str] = field(default_factory=set)
    created_by_bot: bool = False
    created: int = field(default_factory=lambda: int(time.time()))
    is_private: bool = False

    def as_slack(self, viewer: str = BOT_USER_ID) -> dict[str, Any]:
        """The channel object Slack's conversations.* methods answer with."""
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_private": self.is_private,
            "is_archived": False,
            "is_member": viewer in self.members,
            "created": self.created,
            "creator": BOT_USER_ID if self.created_by_bot else "",
            "num_members": len(self.members),
        }


@dataclass
class UploadedFile:
    id: str
    filename: str
    title: str | None = None
    content: bytes | None = None
    channel: str | None = None
    length: int = 0  # the size files.getUploadURLExternal was told

    def as_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.content or b""),
            "mimetype": "text/plain",
            "channels": [self.channel] if self.channel else [],
        }


@dataclass
class OpenView:
    """A modal open in front of `user`."""

    id: str
    user: str
    view: dict[str, Any]
    hash: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def as_slack(self) -> dict[str, Any]:
        return {
            **self.view,
            "id": self.id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": self.hash,
            "state": {"values": {}},
        }


@dataclass(frozen=True)
class StandInEvent:
    """One thing to show: a snapshot, so later changes do not alter what is printed."""

    type: EventType
    channel: str | None = None
    user: str | None = None
    message: Message | None = None
    view: OpenView | None = None
    file: UploadedFile | None = None
    # JOINED: the bot created this channel during this session (an incident channel).
    new_channel: bool = False


Listener = Callable[[StandInEvent], None]


class SlackError(Exception):
    """An `ok: false` answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _ResponseUrl:
    channel: str
    user: str
    message_ts: str | None
    uses: int = 0


@dataclass
class _Request:
    """One HTTP request's arguments: the query string merged with a form or JSON body."""

    args: dict[str, Any]
    authorization: str

    def get(self, name: str, default: str = "") -> str:
        value = self.args.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def structured(self, name: str) -> Any:
        """A value that form bodies carry as a JSON string (blocks, view, files)."""
        value = self.args.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        return value


@dataclass
class Reply:
    """One HTTP answer: status, body, and headers beyond Content-Type and Content-Length."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class SlackStandIn:
    """A workspace and the Slack Web API in front of it; `url` once started. Thread-safe."""

    # conversations.list answers at most this many channels a page (Slack may answer fewer
    # than the `limit` asked for; callers follow the cursor).
    page_size = _LIST_MAX

    def __init__(self, *, token: str, listener: Listener | None = None) -> None:
        self.token = token
        self._listener = listener
        # One lock for the workspace; the listener is called under it, so events arrive in
        # the order things happened (it must queue them, not call back in).
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._users: dict[str, User] = {BOT_USER_ID: User(BOT_NAME.lower())}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: dict[str, Message] = {}
        self._pins: list[tuple[str, str]] = []
        self._views: dict[str, OpenView] = {}
        # Each user's published home tab (views.publish).
        self._homes: dict[str, OpenView] = {}
        self._view_stacks: dict[str, list[str]] = {}
        self._files: dict[str, UploadedFile] = {}
        self._triggers: dict[str, str | None] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._in_flight = 0
        self._last_activity = time.monotonic()
        # Connections clients keep open between requests, and how many were ever made.
        self._open: set[socket.socket] = set()
        self.connections_made = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        # The methods the bot calls (bot/slack/operations.py, bot/slack/people.py, bot/core.py,
        # handlers/commands.py, files_upload_v2's two), and no other.
        self._methods: dict[str, Callable[[_Request], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.create": self._conversations_create,
            "conversations.invite": self._conversations_invite,
            "conversations.list": self._conversations_list,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._chat_get_permalink,
            "pins.add": self._pins_add,
            "views.open": self._views_open,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def api_url(self) -> str:
        """The base URL to give a WebClient."""
        return f"{self.url}/api/"

    def start(self) -> SlackStandIn:
        self._thread = threading.Thread(
            # A short poll so that stop() returns at once.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.drop_connections()  # a stopped Slack answers nothing, kept connections neither

    def drop_connections(self) -> None:
        """Close the connections clients keep open, as Slack closes idle ones."""
        with self._lock:
            kept, self._open = list(self._open), set()
        for sock in kept:
            with contextlib.suppress(OSError):  # already gone
                sock.shutdown(socket.SHUT_RDWR)

    def _connected(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)
            self.connections_made += 1

    def _disconnected(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def quiet_for(self, seconds: float) -> bool:
        """No request is being served, and none was for `seconds`."""
        with self._lock:
            return self._in_flight == 0 and time.monotonic() - self._last_activity >= seconds

    # -- the workspace, for the console -------------------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None) -> None:
        """A member of the workspace, with the profile users.info answers with."""
        with self._lock:
            self._users[user_id] = User(name, real_name)

    def arrive(self, user_id: str, channel_id: str, channel_name: str | None = None) -> None:
        """Someone acts in a channel (types a command, presses a button): they are a member
        of the workspace (known only by id unless added with a name) and of the channel,
        which exists (made, as `channel_name`, if this is the first word heard from it)."""
        with self._lock:
            self._users.setdefault(user_id, User(None))
            if not channel_id:
                return
            channel = self._channels.get(channel_id)
            if channel is None:
                channel = Channel(
                    id=channel_id, name=channel_name or channel_id.lower(), members={BOT_USER_ID}
                )
                self._channels[channel_id] = channel
                self._messages.setdefault(channel_id, [])
            channel.members.add(user_id)

    def user_name(self, user_id: str) -> str | None:
        with self._lock:
            user = self._users.get(user_id)
            return user.name if user else None

    def add_channel(
        self, name: str, *, channel_id: str | None = None, members: Iterable[str] = ()
    ) -> Channel:
        """Make a channel (or return the one of that id) with the bot and `members` in it."""
        with self._lock:
            if channel_id and channel_id in self._channels:
                return _snapshot(self._channels[channel_id])
            channel = Channel(
                id=channel_id or self._new_channel_id(),
                name=name,
                members={BOT_USER_ID, *members},
            )
            self._channels[channel.id] = channel
            self._messages.setdefault(channel.id, [])
            return _snapshot(channel)

    def channel(self, channel_id: str) -> Channel | None:
        with self._lock:
            found = self._channels.get(channel_id)
            return _snapshot(found) if found else None

    def channel_by_name(self, name: str) -> Channel | None:
        name = name.lstrip("#")
        with self._lock:
            found = next((c for c in self._channels.values() if c.name == name), None)
            return _snapshot(found) if found else None

    def channel_name(self, channel_id: str) -> str | None:
        with self._lock:
            found = self._channels.get(channel_id)
            return found.name if found else None

    def channels(self) -> list[Channel]:
        with self._lock:
            return [_snapshot(c) for c in self._channels.values()]

    def join(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            self._channels[channel_id].members.add(user_id)

    def seed_message(self, channel_id: str, ts: str, text: str, blocks: list[Any]) -> None:
        """Put back a message a previous session posted (silently)."""
        with self._lock:
            messages = self._messages.setdefault(channel_id, [])
            if not any(m.ts == ts for m in messages):
                messages.append(Message(channel=channel_id, ts=ts, text=text, blocks=blocks))

    def record_ephemeral(self, *, channel: str, user: str, text: str, blocks: list[Any]) -> Message:
        """Keep an ephemeral the console shows itself (an acknowledgement's body)."""
        with self._lock:
            message = Message(
                channel=channel, ts=self._next_ts(), text=text, blocks=blocks, visible_to=user
            )
            self._ephemerals[message.ts] = message
            return copy.deepcopy(message)

    def record_message(self, *, channel: str, text: str, blocks: list[Any]) -> Message:
        """Keep a channel message the console shows itself (an in_channel acknowledgement)."""
        with self._lock:
            message = Message(channel=channel, ts=self._next_ts(), text=text, blocks=blocks)
            self._messages.setdefault(channel, []).append(message)
            return copy.deepcopy(message)

    def message(self, channel: str, ts: str) -> Message | None:
        """The message as it is now (channel or ephemeral), or None once deleted."""
        with self._lock:
            found = self._find(channel, ts) or self._ephemerals.get(ts)
            return copy.deepcopy(found) if found else None

    def new_trigger(self, user_id: str, trigger_id: str | None = None) -> str:
        """A trigger_id for one interaction of this user (views.open takes it once). Given
        `trigger_id` again (a request Slack retries), it stays as used as it was."""
        trigger = trigger_id or f"{next(self._ids)}.{int(time.time())}.{uuid.uuid4().hex}"
        with self._lock:
            self._triggers.setdefault(trigger, user_id)
        return trigger

    def new_response_url(
        self, *, channel: str, user: str, message_ts: str | None = None, key: str | None = None
    ) -> str:
        """A response_url for a command (or for a click on the message at `message_ts`); a
        `key` already given out is the same URL, its uses counted on."""
        key = key or uuid.uuid4().hex
        with self._lock:
            self._response_urls.setdefault(
                key, _ResponseUrl(channel=channel, user=user, message_ts=message_ts)
            )
        return f"{self.url}/response/{key}"

    def home_view(self, user_id: str) -> OpenView | None:
        """The home tab last published for this user, if any."""
        with self._lock:
            found = self._homes.get(user_id)
            return copy.deepcopy(found) if found else None

    def open_view(self, user_id: str) -> OpenView | None:
        """The modal on top in front of this user, if any."""
        with self._lock:
            stack = self._view_stacks.get(user_id) or []
            return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def close_views(self, user_id: str) -> None:
        """Close every modal in front of this user (submitted, cancelled or cleared)."""
        with self._lock:
            for view_id in self._view_stacks.pop(user_id, []):
                self._views.pop(view_id, None)

    def close_view(self, view_id: str) -> None:
        with self._lock:
            opened = self._views.pop(view_id, None)
            if opened is not None:
                stack = self._view_stacks.get(opened.user, [])
                if view_id in stack:
                    stack.remove(view_id)

    def set_view(self, view_id: str, view: dict[str, Any], *, push: bool = False) -> OpenView:
        """Replace a modal (response_action update) or stack a new one on it (push)."""
        with self._lock:
            current = self._views[view_id]
            if not push:
                current.view = view
                current.hash = uuid.uuid4().hex[:12]
                return copy.deepcopy(current)
            return copy.deepcopy(self._stack_view(current.user, view))

    # -- HTTP ---------------------------------------------------------------------------------
    def _serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request (a subclass may record it, or answer otherwise)."""
        with self._lock:
            self._in_flight += 1
        try:
            return self._route(method, path, headers, body)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._last_activity = time.monotonic()

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            request = _parse(parts.query, headers, body)
            answer = self._api(parts.path.removeprefix("/api/"), request)
            return Reply(200, json.dumps(answer).encode(), "application/json; charset=utf-8")
        if method == "POST" and parts.path.startswith("/response/"):
            status, text = self._respond(parts.path.removeprefix("/response/"), body)
            return Reply(status, text.encode())
        if method == "POST" and parts.path.startswith("/upload/"):
            status, text = self._upload(parts.path.removeprefix("/upload/"), body)
            return Reply(status, text.encode())
        return Reply(404, b"not found")

    def _api(self, method: str, request: _Request) -> dict[str, Any]:
        handler = self._methods.get(method)
        if handler is None:
            # A method the bot started to use that this stand-in does not know yet.
            log.warning("the console's Slack stand-in does not implement %s", method)
            return {"ok": False, "error": "unknown_method"}
        token = request.authorization.removeprefix("Bearer ").strip() or request.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        try:
            with self._lock:
                return {"ok": True, **handler(request)}
        except SlackError as error:
            return {"ok": False, "error": error.error}

    # -- helpers (the lock is held) -------------------------------------------------------------
    def _notify(self, event: StandInEvent) -> None:
        if self._listener is None:
            return
        try:
            self._listener(event)
        except Exception:  # whatever the listener does, Slack answers the bot
            log.exception("the stand-in's listener failed")

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _new_channel_id(self) -> str:
        while True:
            channel_id = f"C{next(self._ids):08d}"
            if channel_id not in self._channels:
                return channel_id

    def _channel(self, request: _Request, name: str = "channel") -> Channel:
        """The channel an argument names, by id or by #name, as Slack accepts both."""
        reference = request.get(name).strip()
        found = self._channels.get(reference)
        if found is None and reference:
            wanted = reference.lstrip("#")
            found = next((c for c in self._channels.values() if c.name == wanted), None)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self._messages.get(channel, []) if m.ts == ts), None)

    def _blocks(self, request: _Request) -> list[dict[str, Any]]:
        blocks = request.structured("blocks")
        if blocks is None or blocks == "":
            return []
        if not isinstance(blocks, list) or len(blocks) > _MESSAGE_BLOCK_LIMIT:
            raise SlackError("invalid_blocks")
        if not _blocks_fit(blocks):
            raise SlackError("invalid_blocks")
        return blocks

    def _post(
        self, channel: Channel, text: str, blocks: list[Any], thread_ts: str | None
    ) -> Message:
        _check_text(text, blocks)
        message = Message(
            channel=channel.id, ts=self._next_ts(), text=text, blocks=blocks, thread_ts=thread_ts
        )
        self._messages[channel.id].append(message)
        self._notify(
            StandInEvent(EventType.POSTED, channel=channel.id, message=copy.deepcopy(message))
        )
        return message

    def _stack_view(self, user: str, view: dict[str, Any]) -> OpenView:
        opened = OpenView(id=f"V{next(self._ids):08d}", user=user, view=view)
        self._views[opened.id] = opened
        self._view_stacks.setdefault(user, []).append(opened.id)
        self._notify(StandInEvent(EventType.VIEW_OPENED, user=user, view=copy.deepcopy(opened)))
        return opened

    def _take_trigger(self, request: _Request) -> str:
        trigger = request.get("trigger_id")
        if trigger not in self._triggers:
            raise SlackError("invalid_trigger_id")
        user = self._triggers[trigger]
        if user is None:
            raise SlackError("exchanged_trigger_id")
        self._triggers[trigger] = None
        return user

    # -- Web API methods (the lock is held) ------------------------------------------------------
    def _auth_test(self, request: _Request) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_DOMAIN,
            "user": BOT_NAME.lower(),
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, request: _Request) -> dict[str, Any]:
        user_id = request.get("user")
        user = self._users.get(user_id)
        if user is None:
            raise SlackError("user_not_found")
        if user.name is None:
            raise SlackError("user_not_visible")
        return {"user": user.as_slack(user_id)}

    def _users_list(self, request: _Request) -> dict[str, Any]:
        """The workspace's members a page at a time (bot/clock/people.py resolves `@name`).
        A member known only by id has no name to match."""
        limit = request.get("limit") or "200"
        cursor = request.get("cursor") or "0"
        if not limit.isdigit() or not cursor.isdigit():
            raise SlackError("invalid_cursor" if not cursor.isdigit() else "invalid_limit")
        members = [
            user.as_slack(user_id) for user_id, user in self._users.items() if user.name is not None
        ]
        start, size = int(cursor), max(1, min(int(limit) or 200, 1000))
        more = start + size < len(members)
        return {
            "members": members[start : start + size],
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def _conversations_open(self, request: _Request) -> dict[str, Any]:
        """A direct message with one member (`users`): the same channel every time."""
        users = [u.strip() for u in (request.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) != 1:
            raise SlackError("not_implemented")
        if users[0] not in self._users or users[0] == BOT_USER_ID:
            raise SlackError("user_not_found")
        channel_id = f"D{users[0]}"
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = Channel(
                id=channel_id,
                name=channel_id.lower(),
                members={BOT_USER_ID, users[0]},
                is_private=True,
            )
            self._channels[channel_id] = channel
            self._messages.setdefault(channel_id, [])
        return {"channel": {"id": channel_id, "is_im": True, "user": users[0]}}

    def _conversations_create(self, request: _Request) -> dict[str, Any]:
        name = request.get("name")
        problem = name_problem(name)
        if problem:
            raise SlackError(problem)
        if any(c.name == name for c in self._channels.values()):
            raise SlackError("name_taken")
        channel = Channel(
            id=self._new_channel_id(),
            name=name,
            members={BOT_USER_ID},
            created_by_bot=True,
            is_private=request.get("is_private") == "true",
        )
        self._channels[channel.id] = channel
        self._messages[channel.id] = []
        return {"channel": channel.as_slack()}

    def _conversations_invite(self, request: _Request) -> dict[str, Any]:
        channel = self._channel(request)
        users = [u.strip() for u in request.get("users").split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        if BOT_USER_ID in users:
            raise SlackError("cant_invite_self")
        if any(u not in self._users for u in users):
            raise SlackError("user_not_found")
        new = [u for u in users if u not in channel.members]
        if not new:
            raise SlackError("already_in_channel")
        for user in new:
            channel.members.add(user)
            self._notify(
                StandInEvent(
                    EventType.JOINED,
                    channel=channel.id,
                    user=user,
                    new_channel=channel.created_by_bot,
                )
            )
        return {"channel": channel.as_slack()}

    def _conversations_list(self, request: _Request) -> dict[str, Any]:
        """The channels of the kinds asked for (public ones by default), a page at a time."""
        types = {t.strip() for t in (request.get("types") or "public_channel").split(",")}
        limit = request.get("limit") or str(_LIST_DEFAULT)
        cursor = request.get("cursor") or "0"
        if not limit.isdigit() or not cursor.isdigit():
            raise SlackError("invalid_cursor" if not cursor.isdigit() else "invalid_limit")
        wanted = [
            c
            for c in self._channels.values()
            if ("private_channel" if c.is_private else "public_channel") in types
        ]
        start, size = int(cursor), min(int(limit) or _LIST_DEFAULT, _LIST_MAX, self.page_size)
        more = start + size < len(wanted)
        return {
            "channels": [c.as_slack() for c in wanted[start : start + size]],
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }

    def _chat_post_message(self, request: _Request) -> dict[str, Any]:
        channel = self._channel(request)
        thread_ts = request.get("thread_ts") or None
        message = self._post(channel, request.get("text"), self._blocks(request), thread_ts)
        return {
            "channel": channel.id,
            "ts": message.ts,
            "message": {"type": "message", "ts": message.ts, "text": message.text,
                        "blocks": message.blocks, "user": BOT_USER_ID, "bot_id": BOT_ID},
        }  # fmt: skip

    def _chat_get_permalink(self, request: _Request) -> dict[str, Any]:
        channel = self._channel(request)
        message = self._find(channel.id, request.get("message_ts"))
        if message is None:
            raise SlackError("message_not_found")
        return {"channel": channel.id, "permalink": permalink(channel.id, message.ts)}

    def _chat_update(self, request: _Request) -> dict[str, Any]:
        channel = self._channel(request)
        message = self._find(channel.id, request.get("ts"))
        if message is None:
            raise SlackError("message_not_found")
        if message.user != BOT_USER_ID:
            raise SlackError("cant_update_message")
        text = request.get("text") if "text" in request.args else message.text
        blocks = self._blocks(request) if "blocks" in request.args else message.blocks
        _check_text(text, blocks)
        message.text, message.blocks = text, blocks
        message.edited = True
        message.updates += 1
        self._notify(
            StandInEvent(EventType.UPDATED, channel=channel.id, message=copy.deepcopy(message))
        )
        return {"channel": channel.id, "ts": message.ts, "text": message.text}

    def _pins_add(self, request: _Request) -> dict[str, Any]:
        channel = self._channel(request)
        ts = request.get("timestamp")
        if self._find(channel.id, ts) is None:
            raise SlackError("message_not_found")
        if (channel.id, ts) in self._pins:
            raise SlackError("already_pinned")
        self._pins.append((channel.id, ts))
        self._notify(StandInEvent(EventType.PINNED, channel=channel.id))
        return {}

    def _view(self, request: _Request) -> dict[str, Any]:
        """The modal asked for, if Slack would show it (else invalid_arguments)."""
        view = request.structured("view")
        if not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        for key in ("title", "submit", "close"):
            part = view.get(key) or {}
            text = part.get("text", "") if isinstance(part, dict) else None
            if not isinstance(text, str) or (key == "title" and not text):
                raise SlackError("invalid_arguments")
            if len(text) > _VIEW_TEXT_LIMIT:
                raise SlackError("invalid_arguments")
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > _VIEW_BLOCK_LIMIT:
            raise SlackError("invalid_arguments")
        if not _blocks_fit(blocks):
            raise SlackError("invalid_arguments")
        if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            raise SlackError("invalid_arguments")  # a form needs its submit button
        if len(str(view.get("private_metadata") or "")) > _METADATA_LIMIT:
            raise SlackError("invalid_arguments")
        if len(str(view.get("callback_id") or "")) > _CALLBACK_ID_LIMIT:
            raise SlackError("invalid_arguments")
        return view

    def _views_open(self, request: _Request) -> dict[str, Any]:
        view = self._view(request)
        user = self._take_trigger(request)
        return {"view": self._stack_view(user, view).as_slack()}

    def _views_publish(self, request: _Request) -> dict[str, Any]:
        """A user's home tab (type home, a known user, within Slack's limits); a `hash` that
        is not the current one's is hash_conflict."""
        user = request.get("user_id")
        if not user:
            raise SlackError("invalid_arguments")
        if user not in self._users:
            raise SlackError("user_not_found")
        view = request.structured("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        blocks = view.get("blocks")
        if not isinstance(blocks, list) or len(blocks) > _VIEW_BLOCK_LIMIT:
            raise SlackError("invalid_arguments")
        if not _blocks_fit(blocks) or any(b.get("type") == "input" for b in blocks):
            raise SlackError("invalid_arguments")
        if len(json.dumps(view, ensure_ascii=False).encode()) > _HOME_VIEW_BYTES:
            raise SlackError("view_too_large")
        if len(str(view.get("private_metadata") or "")) > _METADATA_LIMIT:
            raise SlackError("invalid_arguments")
        current = self._homes.get(user)
        wanted = request.get("hash")
        if wanted and (current is None or current.hash != wanted):
            raise SlackError("hash_conflict")
        published = OpenView(id=current.id if current else f"V{next(self._ids):08d}",
                             user=user, view=view)  # fmt: skip
        self._homes[user] = published
        self._notify(StandInEvent(EventType.HOME_PUBLISHED, user=user,
                                  view=copy.deepcopy(published)))  # fmt: skip
        return {"view": published.as_slack()}

    def _files_get_upload_url(self, request: _Request) -> dict[str, Any]:
        filename, length = request.get("filename"), request.get("length")
        if not filename or not length.isdigit() or int(length) < 1:
            raise SlackError("invalid_arguments")
        file = UploadedFile(id=f"F{next(self._ids):08d}", filename=filename, length=int(length))
        self._files[file.id] = file
        return {"upload_url": f"{self.url}/upload/{file.id}", "file_id": file.id}

    def _files_complete_upload(self, request: _Request) -> dict[str, Any]:
        entries = request.structured("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        files = []
        for entry in entries:
            file = self._files.get(str((entry or {}).get("id")))
            if file is None or file.content is None:
                raise SlackError("file_not_found")
            file.title = entry.get("title") or file.filename
            files.append(file)
        channel = self._channel(request, "channel_id") if request.get("channel_id") else None
        for file in files:
            if channel is not None:
                file.channel = channel.id
                self._notify(StandInEvent(EventType.FILE_SHARED, channel=channel.id,
                                          file=copy.deepcopy(file)))  # fmt: skip
        return {"files": [file.as_slack() for file in files]}

    def _respond(self, key: str, body: bytes) -> tuple[int, str]:
        """A post to a response_url: a new message, an ephemeral, or the original replaced."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, "invalid_payload"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        with self._lock:
            target = self._response_urls.get(key)
            if target is None:
                return 404, "expired_url"
            if target.uses >= RESPONSE_URL_USES:
                return 404, "used_url"
            target.uses += 1
            text = str(payload.get("text") or "")
            blocks = payload.get("blocks") or []
            if not isinstance(blocks, list) or len(blocks) > _MESSAGE_BLOCK_LIMIT:
                return 400, "invalid_blocks"
            if not _blocks_fit(blocks):
                return 400, "invalid_blocks"
            original = None
            if target.message_ts:
                original = self._find(target.channel, target.message_ts) or self._ephemerals.get(
                    target.message_ts
                )
            if payload.get("delete_original") and original is not None:
                self._delete_original(original)
                return 200, "ok"
            if not text and not blocks:
                return 400, "no_text"
            if payload.get("replace_original") and original is not None:
                original.text, original.blocks, original.edited = text, blocks, True
                original.updates += 1
                kind = EventType.EPHEMERAL if original.visible_to else EventType.UPDATED
                self._notify(StandInEvent(kind, channel=original.channel,
                                          user=original.visible_to,
                                          message=copy.deepcopy(original)))  # fmt: skip
                return 200, "ok"
            channel = self._channels.get(target.channel)
            if channel is None:
                return 404, "channel_not_found"
            if payload.get("response_type") == "in_channel":
                self._post(channel, text, blocks, payload.get("thread_ts"))
                return 200, "ok"
            message = Message(channel=channel.id, ts=self._next_ts(), text=text, blocks=blocks,
                              visible_to=target.user)  # fmt: skip
            self._ephemerals[message.ts] = message
            self._notify(StandInEvent(EventType.EPHEMERAL, channel=channel.id, user=target.user,
                                      message=copy.deepcopy(message)))  # fmt: skip
            return 200, "ok"

    def _delete_original(self, original: Message) -> None:
        if original.visible_to:
            self._ephemerals.pop(original.ts, None)
        else:
            self._messages[original.channel].remove(original)
        self._notify(StandInEvent(EventType.DELETED, channel=original.channel,
                                  message=copy.deepcopy(original)))  # fmt: skip

    def _upload(self, file_id: str, body: bytes) -> tuple[int, str]:
        with self._lock:
            file = self._files.get(file_id)
            if file is None:
                return 404, "file_not_found"
            file.content = body
        return 200, f"OK - {len(body)}"


def _check_text(text: str, blocks: list[Any]) -> None:
    """A message needs text or blocks, and text within Slack's length."""
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > _MESSAGE_TEXT_LIMIT:
        raise SlackError("msg_too_long")


def _text_of(part: Any) -> str:
    """The text of a text object (or of a bare string), "" when absent."""
    if isinstance(part, dict):
        return str(part.get("text") or "")
    return part if isinstance(part, str) else ""


def _element_fits(element: Any) -> bool:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return False
    if len(str(element.get("action_id") or "")) > _ID_LIMIT:
        return False
    if element["type"] == "button":
        text = _text_of(element.get("text"))
        value = str(element.get("value") or "")
        return 0 < len(text) <= _BUTTON_TEXT_LIMIT and len(value) <= _BUTTON_VALUE_LIMIT
    if len(_text_of(element.get("placeholder"))) > _PLACEHOLDER_LIMIT:
        return False
    options = element.get("options") or []
    return isinstance(options, list) and all(
        isinstance(o, dict)
        and len(_text_of(o.get("text"))) <= _OPTION_TEXT_LIMIT
        and len(str(o.get("value") or "")) <= _BUTTON_VALUE_LIMIT
        for o in options
    )


def _block_fits(block: Any) -> bool:
    """One block within Block Kit's limits (the ones the bot's builders keep)."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    if len(str(block.get("block_id") or "")) > _ID_LIMIT:
        return False
    kind = block["type"]
    if kind == "section":
        fields = block.get("fields") or []
        if not block.get("text") and not fields:
            return False
        if len(_text_of(block.get("text"))) > _SECTION_TEXT_LIMIT or len(fields) > _FIELDS:
            return False
        if any(len(_text_of(f)) > _FIELD_LIMIT for f in fields):
            return False
        return "accessory" not in block or _element_fits(block["accessory"])
    if kind == "header":
        return 0 < len(_text_of(block.get("text"))) <= _HEADER_LIMIT
    if kind == "context":
        elements = block.get("elements") or []
        return 0 < len(elements) <= _CONTEXT_ELEMENTS
    if kind == "actions":
        elements = block.get("elements") or []
        return 0 < len(elements) <= _ACTIONS_ELEMENTS and all(map(_element_fits, elements))
    if kind == "input":
        label = _text_of(block.get("label"))
        hint = _text_of(block.get("hint"))
        fits = 0 < len(label) <= _LABEL_LIMIT and len(hint) <= _LABEL_LIMIT
        return fits and _element_fits(block.get("element"))
    return True


def _blocks_fit(blocks: list[Any]) -> bool:
    return all(map(_block_fits, blocks))


def _snapshot(channel: Channel) -> Channel:
    return replace(channel, members=set(channel.members))


def _parse(query: str, headers: dict[str, str], body: bytes) -> _Request:
    """Arguments from the query string and a JSON or form body, as Slack reads them."""
    args: dict[str, Any] = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    content_type = headers.get("content-type", "")
    if body and "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict):
            args.update(data)
    elif body:
        text = body.decode("utf-8", "replace")
        args.update({k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()})
    return _Request(args=args, authorization=headers.get("authorization", ""))


def _handler_class(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
        # An answer is written as its headers, then its body: on a kept connection Nagle's
        # algorithm would hold the body back until the client's delayed ACK (40 ms).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the console's screen is for Slack's messages, not an access log

        def setup(self) -> None:
            super().setup()
            standin._connected(self.connection)

        def finish(self) -> None:
            standin._disconnected(self.connection)
            super().finish()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > _MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = standin._serve(self.command, self.path, headers, body)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        do_GET = do_POST = _handle

    return _Handler


def permalink(channel_id: str, ts: str) -> str:
    """A message's address as Slack writes it (the console shows it as the request's name)."""
    return f"https://ailex.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
