"""Serving the bot: HTTP (Bolt's /slack/events and /healthz, on gunicorn) or Socket Mode
(Slack's requests over a WebSocket, and /healthz and the alert webhooks on a small threaded
HTTP server beside it)."""

from __future__ import annotations

import json
import logging
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from slack_bolt import BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.app import Bot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Python's own: a request thread holds the GIL up to 5 ms before another is let in. Shorter
# (0.5 ms) helped a batch leader back to the GIL when a batch ran dozens of statements; with a
# batch's notes written together it only costs switches (bench/ack_latency.py, incident mix:
# median p99 143 ms at 5 ms against 176 ms at 0.5 ms, workers' CPU 1.42 against 1.54 s/1k).
SWITCH_INTERVAL_S = 0.005
HEALTH_PATH = "/healthz"
WEBHOOKS_PREFIX = "/webhooks/"

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
    and beside them the outbox process (bot/slack/outbox_process.py), started by the master.

    Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new
    connections across them: on one shared socket the worker that wakes first takes most of
    them, and keeps them (keep-alive), while the other idles (40 of 50 connections on one of
    two workers, bench/ack_latency.py). ListenError when the port is not free."""
    from gunicorn.app.base import BaseApplication

    from bot.slack.outbox_process import OutboxSupervisor

    # The workers bind their own sockets after the fork: find out here, once, whether the
    # port can be had at all.
    spread = port != 0 and hasattr(socket, "SO_REUSEPORT")
    if spread:
        _probe(host, port)
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
            self.cfg.set("reuse_port", spread)
            self.cfg.set("accesslog", None)
            self.cfg.set("when_ready", lambda _server: supervisor.start())
            self.cfg.set("on_exit", lambda _server: supervisor.stop())

        def load(self) -> WSGIApp:
            # Called in each worker after the fork: connections and threads are its own.
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            bot = build()
            bot.start()
            return wsgi_app(bot)

    _Gunicorn().run()


def _probe(host: str, port: int) -> None:
    """Bind `host:port` and let go: ListenError when that fails. Without SO_REUSEPORT, so
    that another `ailex serve` already there (whose sockets have it) is found too."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except OSError as exc:
        raise ListenError(host, port, exc.strerror or str(exc)) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise ListenError(host, port, exc.strerror or str(exc)) from None


class ListenError(Exception):
    """The port `ailex serve` was given cannot be listened on (taken, or not ours to bind)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"{host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


def socket_mode_wsgi_app(bot: Bot) -> WSGIApp:
    """What the port serves in Socket Mode: /healthz and the alert webhooks, nothing else.

    Slack's requests come down the WebSocket; the Bolt app of Socket Mode has no signing
    secret and so checks no signature, and must never be reachable over HTTP."""
    app = wsgi_app(bot)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH or path.startswith(WEBHOOKS_PREFIX):
            return app(environ, start_response)
        data = b'{"error": "not found"}'
        start_response(
            "404 Not Found",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    return application


class _ServerHandler(ServerHandler):
    """wsgiref's per-request handler, with an application's exception sent to the log
    (whose formatter masks secrets) rather than printed raw on stderr."""

    def log_exception(self, exc_info: Any) -> None:
        log.error("HTTP: the request failed", exc_info=exc_info)


class _QuietHandler(WSGIRequestHandler):
    """wsgiref's request handler without its stderr lines: a request line carries the query
    string, and UptimeRobot's secret travels there. A request is logged at debug level by
    method, path and status only; a client that stalls is dropped after `timeout`."""

    timeout = 15

    def handle(self) -> None:
        # wsgiref's handle(), with the handler above and wsgi.multithread told the truth.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline, self.request_version, self.command = "", "", ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _ServerHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]  # a socket file, as wsgiref passes it
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = self.path.split("?", 1)[0]
        log.debug("%s %s %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        # wsgiref's errors quote the raw request line (query string included): say only that.
        log.debug("HTTP: a request could not be read")


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread a request, as gunicorn's gthread workers do; closing waits for them."""

    daemon_threads = False
    block_on_close = True


def _listen(bot: Bot, host: str, port: int) -> _ThreadingWSGIServer:
    try:
        server = _ThreadingWSGIServer((host, port), _QuietHandler)
    except OSError as exc:
        raise ListenError(host, port, exc.strerror or str(exc)) from None
    server.set_app(socket_mode_wsgi_app(bot))
    return server


# Slack's answers to apps.connections.open that mean the app-level token itself is wrong.
_APP_TOKEN_REFUSALS = {
    "invalid_auth",
    "not_authed",
    "not_allowed_token_type",
    "token_revoked",
    "account_inactive",
}
SOCKET_PING_INTERVAL_S = 5


def serve_socket_mode(bot: Bot, *, app_token: str, host: str, port: int) -> None:
    """Run over Socket Mode: Slack's requests come down a WebSocket the bot opens, while
    `host:port` serves /healthz and the alert webhooks (SPEC 6), which no WebSocket carries.
    Ends on SIGTERM or SIGINT after closing both and letting queued work finish."""
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

    # Bound first: a port that is taken stops start-up before Slack is called.
    server = _listen(bot, host, port)
    handler = _Handler(bot.app, app_token, ping_interval=SOCKET_PING_INTERVAL_S)
    try:
        handler.connect()
    except SlackApiError as exc:
        server.server_close()
        error = slack_error(exc)
        if error in _APP_TOKEN_REFUSALS:
            raise SettingsError(
                "SLACK_APP_TOKEN", "setting.rejected_by_slack", error=error
            ) from None
        raise
    except BaseException:
        server.server_close()
        raise
    bot.start()
    listening = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    listening.start()
    log.info("Socket Mode: HTTP on %s:%s (/healthz, /webhooks/*)", host, port)
    stopping.wait()
    log.info("Socket Mode: stopping")
    server.shutdown()  # no new requests; those under way finish (server_close joins them)
    server.server_close()
    handler.close()
    bot.close()
