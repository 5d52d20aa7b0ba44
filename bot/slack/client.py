"""The Slack Web API client and how its failures are told apart."""

from __future__ import annotations

import http.client
import socket
import urllib.error
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

# Waiting in line is fine for a short Retry-After; a longer one is left to the outbox.
INLINE_RETRY_AFTER_LIMIT_S = 3
SLACK_TIMEOUT_S = 10


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retries a 429 once in line only when Slack asks for a short wait."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after(response.headers) <= INLINE_RETRY_AFTER_LIMIT_S


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx, not only 500 and 503."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def build_slack_client(
    *, token: str | None, base_url: str, timeout: int = SLACK_TIMEOUT_S
) -> WebClient:
    """A WebClient that retries within bounds: connection errors, short 429s, 5xx once."""
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            BoundedRateLimitRetryHandler(max_retry_count=1),
            AnyServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def retry_after(headers: Any) -> int:
    """Seconds from a Retry-After header (1 when absent or unreadable)."""
    if not headers:
        return 1
    for name, value in dict(headers).items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0, int(float(raw)))
            except (TypeError, ValueError):
                return 1
    return 1


# ok:false errors that mean "try again later" rather than "this call is wrong".
_TRANSIENT_ERRORS = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "team_added_to_org",
}


@dataclass(frozen=True)
class Failure:
    """How a failed Slack call should be handled."""

    transient: bool
    error: str
    retry_after: int | None = None


def classify(exc: BaseException) -> Failure:
    """Tell a failure worth retrying from one that will fail again the same way."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        error = ""
        data = getattr(response, "data", None)
        if isinstance(data, dict):
            error = str(data.get("error") or "")
        if status == 429 or error == "ratelimited":
            return Failure(True, "ratelimited", retry_after(getattr(response, "headers", None)))
        if status >= 500:
            return Failure(True, f"http_{status}")
        if error in _TRANSIENT_ERRORS:
            return Failure(True, error)
        return Failure(False, error or f"http_{status}")
    if isinstance(
        exc,
        urllib.error.URLError
        | socket.timeout
        | TimeoutError
        | ConnectionError
        | http.client.HTTPException
        | OSError,
    ):
        return Failure(True, type(exc).__name__)
    return Failure(False, type(exc).__name__)


def slack_error(exc: BaseException) -> str | None:
    """The `error` string of a Slack ok:false answer, if that is what this is."""
    if isinstance(exc, SlackApiError) and isinstance(getattr(exc.response, "data", None), dict):
        return str(exc.response.data.get("error") or "") or None
    return None
