"""Serving the bot: HTTP (Bolt's /slack/events and /healthz, on gunicorn) or Socket Mode."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.app import Bot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SWITCH_INTERVAL_S = 0.0005
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# Slack's bodies are small; a larger one is not Slack's.
MAX_BODY_BYTES = 1_000_000


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, with the body parsed by the bot (handlers/edge.py): a command
    mentioning "payload" stays a command, and a body no signature can cover (not UTF-8,
    a timestamp that is not a number) is refused before Bolt sees it."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        from handlers.edge import slack_request

        headers = request.get_headers()
        timestamp = headers.get("x-slack-request-timestamp")
        if isinstance(timestamp, str) and not (timestamp.isascii() and timestamp.isdigit()):
            return BoltResponse(status=401, body={"error": "invalid request"})
        try:
            length = int(request.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return BoltResponse(status=400, body="")
        if length < 0 or length > MAX_BODY_BYTES:
            return BoltResponse(status=413 if length > 0 else 400, body="")
        data = request.environ["wsgi.input"].read(length) if length else b""
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("refused a Slack request whose body is not UTF-8")
            return BoltResponse(status=400, body="")
        return self.app.dispatch(slack_request(raw, headers=headers, query=request.query_string))


def wsgi_app(bot: Bot) -> WSGIApp:
    """The bot as a WSGI application: POST /slack/events, POST /webhooks/<source> (alerts),
    GET /healthz."""
    slack = _SlackHandler(bot.app, path=EVENTS_PATH)

    from handlers.webhooks import is_webhook, webhook

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(bot, start_response)
        if is_webhook(path):
            return webhook(bot.core, environ, start_response)
        return slack(environ, start_response)

    return application


def _health(bot: Bot, start_response: StartResponse) -> list[bytes]:
    body: dict[str, Any]
    try:
        bot.core.store.ping()
        status, body = "200 OK", {"ok": True}
    except Exception:
        log.exception("health check: the store does not answer")
        status, body = "503 Service Unavailable", {"ok": False, "store": "unavailable"}
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def serve_http(
    build: Callable[[], Bot],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    doorbell_path: str,
) -> None:
    """Run on gunicorn: `workers` processes of `threads` threads, each building its own bot,
    and beside them the outbox process (bot/slack/outbox_process.py), started by the master."""
    from gunicorn.app.base import BaseApplication

    from bot.slack.outbox_process import OutboxSupervisor

    supervisor = OutboxSupervisor(doorbell_path)

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("keepalive", 5)
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", lambda _server: supervisor.start())
            self.cfg.set("on_exit", lambda _server: supervisor.stop())

        def load(self) -> WSGIApp:
            # Called in each worker after the fork: connections and threads are its own.
            # A thread holding the store's write lock must get the GIL back quickly, or every
            # writer queues behind Python's 5 ms switch interval.
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            bot = build()
            bot.start()
            return wsgi_app(bot)

    _Gunicorn().run()


# Slack's answers to apps.connections.open that mean the app-level token itself is wrong.
_APP_TOKEN_REFUSALS = {
    "invalid_auth",
    "not_authed",
    "not_allowed_token_type",
    "token_revoked",
    "account_inactive",
}
SOCKET_PING_INTERVAL_S = 5


def serve_socket_mode(bot: Bot, *, app_token: str) -> None:
    """Run over Socket Mode: Slack's requests come down a WebSocket the bot opens. Ends on
    SIGTERM or SIGINT after closing the connection and letting queued work finish."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
    from slack_sdk.errors import SlackApiError

    from bot.settings import SettingsError
    from bot.slack.client import slack_error
    from handlers.edge import problem_of, refused

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())

    class _Handler(SocketModeHandler):
        def handle(self, client: Any, req: Any) -> None:
            # An envelope the bot refuses (malformed, or nothing listens for it) is still
            # acknowledged: Slack would only deliver it again.
            start = time.time()
            problem = problem_of(req.payload)
            if problem is not None:
                # Refused before Bolt, whose request and middleware read the body as given.
                refused(problem)
                send_response(client, req, BoltResponse(status=200, body=""), start)
                return
            response = run_bolt_app(self.app, req)
            if 400 <= response.status < 500:
                response = BoltResponse(status=200, body="")
            send_response(client, req, response, start)

    handler = _Handler(bot.app, app_token, ping_interval=SOCKET_PING_INTERVAL_S)
    try:
        handler.connect()
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in _APP_TOKEN_REFUSALS:
            raise SettingsError(
                "SLACK_APP_TOKEN", "setting.rejected_by_slack", error=error
            ) from None
        raise
    bot.start()
    stopping.wait()
    log.info("Socket Mode: stopping")
    handler.close()
    bot.close()
