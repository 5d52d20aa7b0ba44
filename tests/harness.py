"""The real bot, served over real HTTP, driven with signed Slack requests.

`BotHarness` builds the app with `create_app` (the factory `ailex serve` uses), serves its WSGI
app on 127.0.0.1, points it at a FakeSlack, and signs every request as Slack does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

from bot.app import Bot, create_app
from bot.server import wsgi_app
from bot.settings import Settings
from bot.slack.client import build_slack_client
from bot.slack.signing import signed_headers
from storage import Store, outbox
from tests.fakes.slack import OPS_CHANNEL, OPS_NAME, TOKEN, FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 14:00 KST
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> None:
        with self._lock:
            self.now += timedelta(**delta)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def sign(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's request signature headers for this body (the console's builder)."""
    return signed_headers(secret, body, timestamp=timestamp)


class BotHarness:
    """A running bot with a fake Slack behind it."""

    def __init__(
        self,
        *,
        store_url: str,
        clock: Any | None = None,
        slack: FakeSlack | None = None,
        slack_timeout: int = 10,
        **settings: Any,
    ) -> None:
        self.slack = slack or FakeSlack().start()
        self._own_slack = slack is None
        self.clock = clock
        values = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{self.slack.url}/api/",
            "AILEX_DATABASE_URL": store_url,
        }
        values.update({k: v for k, v in settings.items()})
        self.settings = Settings(**values)
        self.store = Store(store_url)
        self.store.migrate()
        self.client = build_slack_client(
            token=TOKEN, base_url=self.settings.slack_api_url, timeout=slack_timeout
        )
        kwargs = {"clock": clock} if clock is not None else {}
        self.bot: Bot = create_app(
            settings=self.settings, client=self.client, store=self.store, **kwargs
        )
        self.core = self.bot.core
        self.server = make_server(
            "127.0.0.1",
            0,
            wsgi_app(self.bot),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self._triggers = itertools.count(1)

    # -- requests ---------------------------------------------------------------------------
    def post(
        self,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": content_type}
        if signed:
            all_headers.update(sign(body, timestamp=timestamp))
        all_headers.update(headers or {})
        return self.http.post("/slack/events", content=body, headers=all_headers)

    def command(
        self,
        text: str,
        *,
        user: str = "U_ALICE",
        channel: str = "C_OPS",
        trigger_id: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send `/ailex <text>` as Slack would, signed."""
        trigger = self._trigger(user, trigger_id)
        self.slack.arrive(user, channel, OPS_NAME if channel == OPS_CHANNEL else None)
        form = {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "ailex",
            "channel_id": channel,
            "channel_name": "ops",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/ailex",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.slack.response_url(trigger, channel=channel, user=user),
            "trigger_id": trigger,
        }
        body = urlencode(form).encode()
        return self.post(body, "application/x-www-form-urlencoded", headers, **kwargs)

    def interactive(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", headers, **kwargs)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U_ALICE",
        channel: str = "C_OPS",
        message_ts: str = "1.000001",
        trigger_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Press a button as Slack would deliver it."""
        trigger = self._trigger(user, trigger_id)
        self.slack.arrive(user, channel, OPS_NAME if channel == OPS_CHANNEL else None)
        payload = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "ailex"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "trigger_id": trigger,
            "channel": {"id": channel, "name": "ops"},
            "message": {"ts": message_ts, "type": "message", "text": "", "blocks": []},
            "response_url": self.slack.response_url(
                trigger, channel=channel, user=user, message_ts=message_ts
            ),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b1",
                    "type": "button",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        return self.interactive(payload, headers)

    def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, str],
        *,
        user: str = "U_ALICE",
        view_id: str | None = None,
    ) -> httpx.Response:
        """Submit a modal the bot opened, with `values` typed into its input blocks."""
        state = {
            block_id: {"value": {"type": "plain_text_input", "value": value}}
            for block_id, value in values.items()
        }
        payload = {
            "type": "view_submission",
            "team": {"id": "T1", "domain": "ailex"},
            "user": {"id": user, "username": user.lower(), "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": self._trigger(user, None),
            "view": {
                **view,
                "id": view_id or f"V{uuid.uuid4().hex[:8]}",
                "hash": "h1",
                "state": {"values": state},
            },
        }
        return self.interactive(payload)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Deliver an Events API event (`event_callback`) as Slack would, signed JSON."""
        body = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": {"event_ts": str(time.time()), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
        }
        return self.post(json.dumps(body).encode(), "application/json", **kwargs)

    def _trigger(self, user: str, trigger_id: str | None) -> str:
        """A trigger_id Slack gives out with a request of `user` (views.open takes it once)."""
        trigger = trigger_id or f"trigger-{next(self._triggers)}-{uuid.uuid4().hex[:6]}"
        return self.slack.new_trigger(user, trigger_id=trigger)

    # -- waiting ------------------------------------------------------------------------------
    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has nothing due and the workers are idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.core.sender.flush()
            if self._idle():
                return
            time.sleep(0.02)
        raise AssertionError("the bot did not settle")

    def _idle(self) -> bool:
        # Nothing in flight first: only then does "nothing due" describe a settled state
        # (a flush finishing between the two checks could otherwise leave a message due).
        if self.core.busy():
            return False
        with self.store.read() as session:
            due = outbox.due_heads(session, now=self.core.clock())
        return not due and not self.core.busy()

    def close(self) -> None:
        self.http.close()
        self.server.shutdown()
        self.server.server_close()
        self.bot.close()
        self.store.dispose()
        if self._own_slack:
            self.slack.stop()

    def __enter__(self) -> BotHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- what a test reads back from Slack ----------------------------------------------------


def ack(response) -> str:
    """The text of an acknowledgement (ephemeral answer in the HTTP body)."""
    assert response.status_code == 200, response.text
    if not response.content:
        return ""
    body = response.json()
    texts = [body.get("text") or ""]
    for block in body.get("blocks") or []:
        texts.append(json.dumps(block, ensure_ascii=False))
    return "\n".join(texts)


def declare(bot, text="incident start P1 결제 API 다운", **kwargs) -> str:
    """Declare and return the incident channel's id."""
    ack(bot.command(text, **kwargs))
    bot.settle()
    created = bot.slack.calls("conversations.create")
    assert created, "no channel was created"
    return list(bot.slack.channels)[-1]


def resolve_confirmed(bot, text: str, *, channel: str, **kwargs) -> dict:
    """`/ailex <text>` (a resolve) while the last diagnosis still fails: the bot asks first,
    and this presses its "resolve anyway" button. Returns the question asked."""
    asked = bot.command(text, channel=channel, **kwargs).json()
    (confirm,) = [
        element["value"]
        for block in asked.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "ailex.resolve.confirm"
    ]
    bot.click("ailex.resolve.confirm", confirm, channel=channel, **kwargs)
    return asked


def card_blocks(bot, channel: str) -> list[dict]:
    posts = bot.slack.posts(channel)
    assert posts, "nothing posted"
    return posts[0]["blocks"]


def flat(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)
