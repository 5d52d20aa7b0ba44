"""The site over HTTP: is it up, as `curl -I` tells (상황 1), and how fast, as
`curl -w "%{time_starttransfer} %{time_total}"` tells (상황 5)."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field
from typing import Any

from probes.base import CheckStatus, Finding, guarded, msg
from probes.http import Answer, HttpFailure, HttpSession
from probes.text import round_ms

# Answers that mean "this server does not do HEAD", not "the site is down".
_HEAD_REFUSED = {405, 501}


@guarded
async def check_site(*, url: str, timeout: float) -> Finding:
    """HEAD the site (GET when HEAD is refused): 2xx/3xx ok, 4xx warn, 5xx or unreachable fail."""
    async with HttpSession(url, timeout=timeout) as http:
        try:
            answer, method = await _head_or_get(http, url)
        except HttpFailure as failure:
            # Unreachable is the very symptom this check looks for.
            return failure.finding(CheckStatus.FAIL, url=url)
    data = {
        "url": url,
        "final_url": answer.url,
        "method": method,
        "http_status": answer.status,
        "latency_ms": answer.total_ms,
        "ttfb_ms": answer.ttfb_ms,
        "redirects": answer.redirects,
        "server": answer.headers.get("server"),
    }
    params = {"url": url, "code": answer.status, "ms": answer.total_ms}
    if answer.status >= 500:
        return Finding(status=CheckStatus.FAIL, summary=msg("check.site.down", **params), data=data)
    if answer.status >= 400:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.site.client_error", **params), data=data
        )
    return Finding(status=CheckStatus.OK, summary=msg("check.site.up", **params), data=data)


async def _head_or_get(http: HttpSession, url: str) -> tuple[Answer, str]:
    try:
        answer = await http.request("HEAD", url)
    except HttpFailure as failure:
        # A server that drops a HEAD request may still serve GET; anything else fails both.
        if failure.kind != "protocol":
            raise
    else:
        if answer.status not in _HEAD_REFUSED:
            return answer, "HEAD"
    # Only the status and timing matter here: a large page is cut, not refused.
    return await http.request("GET", url, truncate=True), "GET"


_RANK = {CheckStatus.FAIL: 3, CheckStatus.ERROR: 2, CheckStatus.WARN: 1, CheckStatus.OK: 0}


@dataclass
class _Timing:
    """What the samples of one URL showed."""

    url: str
    ttfb_ms: list[int] = field(default_factory=list)
    total_ms: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    failure: HttpFailure | None = None
    timeouts: int = 0  # samples still unanswered at the deadline: at least `budget_ms` each
    budget_ms: int = 0
    truncated: bool = False
    status: CheckStatus = CheckStatus.OK

    @property
    def taken(self) -> int:
        return len(self.total_ms) + self.timeouts

    @property
    def too_slow(self) -> bool:
        """Half the samples or more had no answer in the time allowed: the slowness itself."""
        return self.timeouts > 0 and self.timeouts * 2 >= self.taken

    def durations(self) -> list[int]:
        """Each sample's total time, a timed-out one counted as the time it was given."""
        return self.total_ms + [self.budget_ms] * self.timeouts

    def report(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status.value,
            "samples": len(self.total_ms),
            "timed_out": self.timeouts,
            "http_status": self.codes,
            "ttfb_median_ms": _median(self.ttfb_ms),
            "ttfb_worst_ms": max(self.ttfb_ms, default=None),
            "total_median_ms": _median(self.durations()),
            "total_worst_ms": max(self.durations(), default=None),
            "error": self.failure.kind if self.failure else None,
            "truncated": self.truncated,
        }


@guarded
async def check_response_times(
    *,
    base_url: str,
    paths: list[str],
    timeout: float,
    samples: int = 3,
    warn_seconds: float = 2.0,
    fail_seconds: float = 5.0,
) -> Finding:
    """TTFB and total time of the site and each API path, as curl -w measures them: a median
    total of 5 s or more fails (the runbook's symptom), 2 s warns. Every sample of every URL
    is taken at once, so all of them fit the one budget; a URL whose samples mostly got no
    answer within it fails (that slowness is the symptom), never passes for "no symptom"."""
    urls = list(dict.fromkeys([base_url, *(base_url.rstrip("/") + path for path in paths)]))
    # Fresh connections, like curl; every URL and every sample concurrently.
    async with HttpSession(base_url, timeout=timeout, keepalive=False) as http:
        timings = await asyncio.gather(*(_sample(http, url, samples) for url in urls))
    for timing in timings:
        timing.status = _judge_timing(timing, warn_seconds * 1000, fail_seconds * 1000)
    worst = max(timings, key=lambda t: (_RANK[t.status], _median(t.durations()) or 0))
    data = {
        "urls": [timing.report() for timing in timings],
        "samples": samples,
        "warn_seconds": warn_seconds,
        "fail_seconds": fail_seconds,
    }
    if worst.too_slow and worst.failure is not None:
        # No answer in the time allowed: a timeout here is slowness (the symptom).
        return worst.failure.finding(CheckStatus.FAIL, **data)
    if worst.failure is not None and not worst.total_ms:
        # Not one answer, and not for slowness (refused, DNS, TLS): nothing was measured.
        return worst.failure.finding(CheckStatus.ERROR, **data)
    server_errors = [code for code in worst.codes if code >= 500]
    if server_errors:
        return Finding(
            status=worst.status,
            summary=msg("check.perf.server_error", url=worst.url, code=server_errors[-1]),
            data=data,
        )
    key = {
        CheckStatus.FAIL: "check.perf.slow",
        CheckStatus.WARN: "check.perf.sluggish",
    }.get(worst.status, "check.perf.fast")
    return Finding(
        status=worst.status,
        summary=msg(
            key,
            url=worst.url,
            median=_seconds(_median(worst.durations())),
            worst=_seconds(max(worst.durations())),
            ttfb=_seconds(_median(worst.ttfb_ms)),
        ),
        data=data,
    )


async def _sample(http: HttpSession, url: str, samples: int) -> _Timing:
    """Take the samples at once, each on its own connection, within the session's deadline."""
    timing = _Timing(url, budget_ms=round_ms(max(http.remaining(), 0.0)))
    results = await asyncio.gather(*(_one(http, url) for _ in range(max(samples, 1))))
    failures = [r for r in results if isinstance(r, HttpFailure)]
    timeouts = [f for f in failures if f.kind == "timeout"]
    timing.timeouts = len(timeouts)
    timing.failure = next(iter(timeouts or failures), None)
    for result in results:
        if isinstance(result, Answer):
            timing.ttfb_ms.append(result.ttfb_ms)
            timing.total_ms.append(result.total_ms)
            timing.codes.append(result.status)
            timing.truncated = timing.truncated or result.truncated
    return timing


async def _one(http: HttpSession, url: str) -> Answer | HttpFailure:
    try:
        # A page past the byte limit is timed up to the limit (reported as truncated).
        return await http.get(url, service=url, truncate=True)
    except HttpFailure as failure:
        return failure


def _judge_timing(timing: _Timing, warn_ms: float, fail_ms: float) -> CheckStatus:
    if timing.too_slow:
        return CheckStatus.FAIL
    if not timing.total_ms:
        return CheckStatus.ERROR
    median = _median(timing.durations()) or 0
    if median >= fail_ms or any(code >= 500 for code in timing.codes):
        return CheckStatus.FAIL
    if median >= warn_ms:
        return CheckStatus.WARN
    return CheckStatus.OK


def _median(values: list[int]) -> int | None:
    return round(statistics.median(values)) if values else None


def _seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.2f}"
