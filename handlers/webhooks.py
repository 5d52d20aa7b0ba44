"""The alert webhooks' edge (SPEC 6): `POST /webhooks/<source>` as WSGI.

It reads the raw bytes (at most 1 MiB, never more), hands them to the core, and answers the
HTTP status the core chose: 202 stored, 200 repeated or ignored, 401, 400, 404, 413. The
answer never waits for the alert's handling, which runs in the background."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.alerts.intake import Answer
from bot.alerts.signal import Source
from bot.app import Core
from bot.logs import error_id

log = logging.getLogger(__name__)

PREFIX = "/webhooks/"
MAX_BODY_BYTES = 1_048_576

StartResponse = Callable[..., Any]

_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    500: "Internal Server Error",
}


def is_webhook(path: str) -> bool:
    return path.startswith(PREFIX)


def _answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if status == 405:
        headers.append(("Allow", "POST"))
    start_response(f"{status} {_REASONS.get(status, '')}".strip(), headers)
    return [data]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, lower-cased names (WSGI keeps two outside HTTP_)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def _body(environ: dict[str, Any]) -> bytes | int:
    """The raw body, or the status refusing it (413 over the limit, 400 unreadable)."""
    stream = environ.get("wsgi.input")
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            return 400
        if length < 0:
            return 400
        if length > MAX_BODY_BYTES:
            return 413
        return stream.read(length) if stream is not None and length else b""
    if stream is None:
        return b""
    # No length given (chunked): read no more than one byte past the limit.
    data = stream.read(MAX_BODY_BYTES + 1)
    return 413 if len(data) > MAX_BODY_BYTES else data


def webhook(core: Core, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Answer one webhook delivery."""
    name = environ.get("PATH_INFO", "")[len(PREFIX) :].strip("/")
    try:
        source = Source(name)
    except ValueError:
        return _answer(start_response, 404, {"error": "unknown source"})
    if not core.alerts.secrets.of(source):
        return _answer(start_response, 404, {"error": "not configured"})
    if environ.get("REQUEST_METHOD") != "POST":
        return _answer(start_response, 405, {"error": "POST only"})
    body = _body(environ)
    if isinstance(body, int):
        return _answer(start_response, body, {"error": "body refused"})
    try:
        answer: Answer = core.alerts.receive(
            source.value,
            body=body,
            headers=_headers(environ),
            query=str(environ.get("QUERY_STRING") or ""),
        )
    except Exception:
        # The store did not take it: the sender retries (Sentry, GitHub and Vercel do).
        log.exception("webhook %s could not be stored (error id %s)", source, error_id())
        return _answer(start_response, 500, {"error": "not stored"})
    payload: dict[str, Any] = {"ok": answer.status < 300}
    if answer.alert_id is not None:
        payload["alert"] = answer.alert_id
    if answer.reason:
        payload["reason" if answer.status < 300 else "error"] = answer.reason
    if answer.status >= 400:
        log.warning("webhook %s refused with %s: %s", source, answer.status, answer.reason)
    return _answer(start_response, answer.status, payload)
