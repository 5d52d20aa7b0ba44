"""HTTP for probes: bounded requests, their failures as specific sentences, JSON read safely.

Every probe that speaks HTTP goes through `HttpSession`: one deadline for all its requests,
bodies read by streaming and cut at a byte limit, and every way a request can go wrong
(timeout, refused, DNS, TLS, broken protocol, huge body, invalid JSON, a shape we did not
expect) raised as one `HttpFailure` that turns into a Finding with its own sentence.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from probes.base import CheckStatus, Finding, ProbeFailure, msg
from probes.text import round_ms, scrub, short_number

MAX_BODY = 1 << 20  # 1 MiB: every API answer we read is far smaller
USER_AGENT = "ailex-incident-bot"

# One sentence per way a request fails; every one takes {service}, a few more.
_FAILURE_KEYS = {
    "timeout": "check.http.timeout",  # + {seconds}
    "refused": "check.http.refused",
    "dns": "check.http.dns",
    "tls": "check.http.tls",
    "protocol": "check.http.protocol",
    "too_large": "check.http.too_large",  # + {limit_kb}
    "invalid_json": "check.http.invalid_json",
    "bad_shape": "check.http.bad_shape",
    "redirects": "check.http.redirects",
    "bad_url": "check.http.bad_url",
    "connect": "check.http.connect",
}


class HttpFailure(ProbeFailure):
    """A request that gave no usable answer; `kind` picks the sentence that explains it."""

    def __init__(self, kind: str, service: str, *, detail: str = "", **params: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.service = service
        self.detail = detail
        self.params = params

    def finding(self, status: CheckStatus = CheckStatus.ERROR, **data: Any) -> Finding:
        return Finding(
            status=status,
            summary=msg(_FAILURE_KEYS[self.kind], service=self.service, **self.params),
            data={"error": self.kind, "detail": self.detail, **data},
        )


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer whose body fit under the byte limit."""

    service: str
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    ttfb_ms: int
    total_ms: int
    redirects: int
    truncated: bool = False  # the body went past the limit and was cut (only when asked)

    def json(self) -> Any:
        """The body as JSON; HttpFailure('invalid_json') when it is not."""
        try:
            return json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
            raise HttpFailure(
                "invalid_json", self.service, detail=scrub(str(exc), limit=120)
            ) from None

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; HttpFailure('bad_shape') for any other JSON value."""
        value = self.json()
        if not isinstance(value, dict):
            raise self.bad_shape(f"expected an object, got {type(value).__name__}")
        return value

    def bad_shape(self, detail: str) -> HttpFailure:
        """The failure to raise when valid JSON is not what the API documents."""
        return HttpFailure("bad_shape", self.service, detail=scrub(detail, limit=160))

    def error_fields(self, secrets: Iterable[str | None] = ()) -> dict[str, str]:
        """Code, type and message of an API error body, scrubbed; empty when there are none."""
        try:
            body = self.json()
        except HttpFailure:
            return {}
        if not isinstance(body, dict):
            return {}
        # Vercel and OpenAI nest {"error": {...}}; GoTrue and GitHub answer flat.
        nested = body.get("error")
        source = nested if isinstance(nested, dict) else body
        fields: dict[str, str] = {}
        for name, keys in (
            ("code", ("error_code", "code")),
            ("type", ("type",)),
            ("message", ("message", "msg", "error_description")),
        ):
            for key in keys:
                value = source.get(key)
                if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
                    fields[name] = scrub(str(value), secrets, limit=160)
                    break
        if "code" not in fields and isinstance(nested, str):
            fields["code"] = scrub(nested, secrets, limit=80)
        return fields


def status_finding(
    answer: Answer,
    *,
    status: CheckStatus = CheckStatus.ERROR,
    secrets: Iterable[str | None] = (),
    **data: Any,
) -> Finding:
    """A Finding for an HTTP status the probe has no better sentence for."""
    code = answer.status
    if code in (401, 403):
        summary = msg("check.http.auth", service=answer.service, code=code)
    elif code == 404:
        summary = msg("check.http.not_found", service=answer.service)
    elif code == 429:
        summary = msg("check.http.rate_limited", service=answer.service)
    elif code >= 500:
        summary = msg("check.http.server_error", service=answer.service, code=code)
    else:
        summary = msg("check.http.status", service=answer.service, code=code)
    error = answer.error_fields(secrets)
    return Finding(
        status=status,
        summary=summary,
        data={"http_status": code, **({"api_error": error} if error else {}), **data},
    )


class StatusError(ProbeFailure):
    """An answer whose HTTP status the probe cannot use; says it with `status_finding`."""

    def __init__(self, answer: Answer, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(f"HTTP {answer.status}")
        self.kind = f"http_{answer.status}"
        self.answer = answer
        self.secrets = list(secrets)

    def finding(self, status: CheckStatus = CheckStatus.ERROR, **data: Any) -> Finding:
        return status_finding(self.answer, status=status, secrets=self.secrets, **data)


class HttpSession:
    """An httpx client bound to one deadline: all requests of a probe share `timeout` seconds."""

    def __init__(
        self,
        service: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        follow_redirects: bool = True,
        max_bytes: int = MAX_BODY,
        keepalive: bool = True,
    ) -> None:
        self.service = service
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._secrets = [s for s in secrets if s]
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=follow_redirects,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            # Without keep-alive every request pays DNS, TCP and TLS again, as curl's does.
            limits=httpx.Limits(
                max_connections=100, max_keepalive_connections=20 if keepalive else 0
            ),
        )
        self._deadline = 0.0

    async def __aenter__(self) -> HttpSession:
        self._deadline = asyncio.get_running_loop().time() + self.timeout
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def remaining(self) -> float:
        """Seconds left before this session's deadline."""
        return self._deadline - asyncio.get_running_loop().time()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        service: str | None = None,
        max_bytes: int | None = None,
        truncate: bool = False,
    ) -> Answer:
        """Send one request and read its whole body, or raise HttpFailure saying why not.

        A body past the byte limit is a 'too_large' failure, or with `truncate` is cut there
        (for checks that care about status and timing, not content).
        """
        service = service or self.service
        limit = self.max_bytes if max_bytes is None else max_bytes
        remaining = self.remaining()
        if remaining <= 0:
            raise HttpFailure("timeout", service, seconds=short_number(self.timeout))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            # The overall deadline also bounds a body that trickles in under the read timeout.
            async with asyncio.timeout(remaining):
                return await self._exchange(
                    method, url, params, headers, body, service, limit, truncate, started
                )
        except TimeoutError:
            raise HttpFailure(
                "timeout", service, detail="deadline", seconds=short_number(self.timeout)
            ) from None
        except httpx.InvalidURL as exc:
            raise HttpFailure("bad_url", service, detail=self._detail(exc)) from None
        except httpx.HTTPError as exc:
            kind = failure_kind(exc)
            params_ = {"seconds": short_number(self.timeout)} if kind == "timeout" else {}
            raise HttpFailure(kind, service, detail=self._detail(exc), **params_) from None

    async def get(self, url: str, **kwargs: Any) -> Answer:
        return await self.request("GET", url, **kwargs)

    async def get_ok(self, url: str, **kwargs: Any) -> Answer:
        """GET, raising StatusError unless the answer is a 2xx."""
        answer = await self.request("GET", url, **kwargs)
        if not 200 <= answer.status < 300:
            raise StatusError(answer, self._secrets)
        return answer

    async def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
        body: Any,
        service: str,
        limit: int,
        truncate: bool,
        started: float,
    ) -> Answer:
        loop = asyncio.get_running_loop()
        async with self._client.stream(
            method, url, params=params, headers=headers, json=body
        ) as response:
            ttfb = loop.time() - started
            too_large = HttpFailure("too_large", service, limit_kb=limit // 1024)
            declared = response.headers.get("content-length", "")
            if not truncate and declared.isdigit() and int(declared) > limit:
                raise too_large
            chunks: list[bytes] = []
            size = 0
            cut = False
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    if not truncate:
                        raise too_large
                    chunks.append(chunk[: limit - (size - len(chunk))])
                    cut = True
                    break
                chunks.append(chunk)
            return Answer(
                service=service,
                url=str(response.url),
                status=response.status_code,
                headers=response.headers,
                body=b"".join(chunks),
                ttfb_ms=round_ms(ttfb),
                total_ms=round_ms(loop.time() - started),
                redirects=len(response.history),
                truncated=cut,
            )

    def _detail(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return scrub(text, self._secrets, limit=160)


def failure_kind(exc: BaseException) -> str:
    """Which kind of failure an httpx exception stands for, from its chain of causes."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirects"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "bad_url"
    causes = list(_chain(exc))
    if any(isinstance(cause, ssl.SSLError | ssl.CertificateError) for cause in causes):
        return "tls"
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "dns"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "refused"
    # Some transports keep only the text of the cause.
    text = " ".join(str(cause) for cause in causes).lower()
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "tls"
    if "name or service not known" in text or "getaddrinfo" in text or "nodename" in text:
        return "dns"
    if "refused" in text:
        return "refused"
    if isinstance(exc, httpx.ConnectError):
        return "connect"
    return "protocol"


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
