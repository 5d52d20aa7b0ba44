"""The Slack Web API client and how its failures are told apart."""

from __future__ import annotations

import http.client
import io
import select
import socket
import threading
import urllib.error
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request

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


class KeepAliveWebClient(WebClient):
    """A WebClient that keeps its HTTP connection to Slack open between calls, one per thread,
    where slack_sdk's urlopen opens (and closes) a connection for every call.

    It replaces only the transport step of slack_sdk (`_perform_urllib_http_request_internal`:
    a urllib Request in, status, headers and body out, urllib's errors raised), so retry
    handlers, timeouts, SlackApiError and `classify` see what they see with urlopen. Through
    a proxy it leaves the call to slack_sdk as it is.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme.lower() not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        connection = self._connection(parts.scheme.lower(), parts.netloc)
        selector = parts.path + (f"?{parts.query}" if parts.query else "")
        # The headers urlopen would send, but Connection: close.
        headers = {name.title(): value for name, value in req.header_items()}
        try:
            try:
                connection.request("POST", selector, req.data, headers)
            except OSError as err:  # as urllib does: a failure to send is a URLError
                raise urllib.error.URLError(err) from err
            response = connection.getresponse()
            body = response.read()
        except BaseException:
            self._drop(connection)
            raise
        if response.will_close:
            self._drop(connection)
        if not 200 <= response.status < 300:
            # urllib's answer to an error status, which slack_sdk reads headers and body from.
            raise urllib.error.HTTPError(
                url, response.status, response.reason, response.headers, io.BytesIO(body)
            )
        if response.headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.headers, "body": body}
        charset = response.headers.get_content_charset() or "utf-8"
        return {
            "status": response.status,
            "headers": response.headers,
            "body": body.decode(charset),
        }

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        """This thread's open connection to `netloc`, or a new one if it has none or the
        server has closed it meanwhile (an idle connection Slack let go)."""
        connections = self._connections()
        connection = connections.get((scheme, netloc))
        if connection is not None and _closed_by_peer(connection):
            connection.close()
            connection = None
        if connection is None:
            if scheme == "https":
                connection = http.client.HTTPSConnection(
                    netloc, timeout=self.timeout, context=self.ssl
                )
            else:
                connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
            connections[(scheme, netloc)] = connection
        return connection

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        connections = self._connections()
        for key, kept in list(connections.items()):
            if kept is connection:
                del connections[key]


def _closed_by_peer(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle connection can be read from: the server closed it (or sent what no
    request asked for); either way it is not one to send on."""
    sock = connection.sock
    if sock is None:
        return False  # not connected yet: request() connects
    poller = select.poll()  # not select(): it takes no descriptor past 1023
    poller.register(sock, select.POLLIN)
    try:
        return bool(poller.poll(0))
    except OSError:
        return True


def build_slack_client(
    *, token: str | None, base_url: str, timeout: int = SLACK_TIMEOUT_S
) -> WebClient:
    """A WebClient that retries within bounds (connection errors, short 429s, 5xx once) and
    keeps its connection to Slack alive between calls."""
    if not base_url.endswith("/"):
        base_url += "/"
    return KeepAliveWebClient(
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
