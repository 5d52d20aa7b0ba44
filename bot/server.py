"""Serving the bot: HTTP (Bolt's /slack/events and /healthz, on gunicorn) or Socket Mode."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.app import Bot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SWITCH_INTERVAL_S = 0.0005
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def wsgi_app(bot: Bot) -> WSGIApp:
    """The bot as a WSGI application: POST /slack/events, GET /healthz."""
    slack = SlackRequestHandler(bot.app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(bot, start_response)
        return slack(environ, start_response)

    return application


def _health(bot: Bot, start_response: StartResponse) -> list[bytes]:
    body: dict[str, Any]
    try:
        with bot.core.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
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
    and beside them the outbox process (bot/outbox_process.py), started by the master."""
    from gunicorn.app.base import BaseApplication

    from bot.outbox_process import OutboxSupervisor

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
    from slack_sdk.errors import SlackApiError

    from bot.settings import SettingsError
    from bot.slack import slack_error

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    handler = SocketModeHandler(bot.app, app_token, ping_interval=SOCKET_PING_INTERVAL_S)
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
