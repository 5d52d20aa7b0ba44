"""Hostile and broken answers (SPEC 5) become specific Findings through the shared HTTP layer.

The status page probe stands for every JSON API probe and the site probe for the symptom
checks; each case asserts the sentence that names the failure, not a catch-all.
"""

from __future__ import annotations

import asyncio
import re

from probes.base import CheckStatus, Finding, guarded
from probes.database import check_db_ping
from probes.dns import check_dns
from probes.http import MAX_BODY
from probes.site import check_site
from probes.statuspage import check_statuspage
from probes.text import scrub
from tests.fakes.base import FakeServer, Recorded, Response
from tests.fakes.dns_server import FakeDNS
from tests.fakes.findings import check, run
from tests.fakes.sockets import EndlessBodyServer, PlainTextServer, SilentServer, refused_port
from tests.fakes.statuspage import FakeStatusPage

SUMMARY = r"/api/v2/summary\.json"


def test_huge_declared_body_is_refused_unread() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, b"{" + b" " * (2 * MAX_BODY) + b"}"))
        finding = run(check_statuspage(base_url=page.url, timeout=5))
    check(finding, "error", "check.http.too_large")
    assert finding.data["error"] == "too_large"


def test_endless_body_without_length_is_cut_at_the_byte_limit() -> None:
    with EndlessBodyServer() as server:
        finding = run(check_statuspage(base_url=f"http://127.0.0.1:{server.port}", timeout=5))
    check(finding, "error", "check.http.too_large")


def test_slow_answer_ends_at_the_probe_timeout() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, {"status": {}}, delay=3))
        finding = run(check_statuspage(base_url=page.url, timeout=0.5), within=2.5)
    check(finding, "error", "check.http.timeout")
    assert finding.summary.params["seconds"] == "0.5"


def test_trickling_body_is_bounded_by_the_overall_deadline() -> None:
    # Each byte arrives well within the read timeout; only the whole-request deadline stops it.
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, b"x" * 200, chunk=1, chunk_pause=0.05))
        finding = run(check_statuspage(base_url=page.url, timeout=0.5), within=2.5)
    check(finding, "error", "check.http.timeout")


def test_server_that_accepts_but_never_answers_times_out() -> None:
    with SilentServer() as server:
        finding = run(
            check_statuspage(base_url=f"http://127.0.0.1:{server.port}", timeout=0.5), within=2.5
        )
    check(finding, "error", "check.http.timeout")


def test_invalid_json_is_named_as_such() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, b"<html>Service Unavailable</html>"))
        finding = run(check_statuspage(base_url=page.url, timeout=5))
    check(finding, "error", "check.http.invalid_json")


def test_json_of_an_unexpected_shape_is_named_as_such() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, [1, 2, 3]))
        page.fail("GET", SUMMARY, Response(200, {"status": "fine"}))
        first = run(check_statuspage(base_url=page.url, timeout=5))
        second = run(check_statuspage(base_url=page.url, timeout=5))
    check(first, "error", "check.http.bad_shape")
    check(second, "error", "check.http.bad_shape")


def test_connection_closed_mid_body_is_a_protocol_failure() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(200, b'{"status": {"indicator": "none"}}', cut_after=5))
        finding = run(check_statuspage(base_url=page.url, timeout=5))
    check(finding, "error", "check.http.protocol")


def test_tls_handshake_failure_is_named_tls() -> None:
    with PlainTextServer() as server:
        finding = run(check_statuspage(base_url=f"https://127.0.0.1:{server.port}", timeout=5))
    check(finding, "error", "check.http.tls")


def test_unknown_host_is_a_dns_failure() -> None:
    finding = run(check_statuspage(base_url="http://status.ailex.invalid", timeout=5))
    check(finding, "error", "check.http.dns")


def test_refused_connection_is_named_refused() -> None:
    finding = run(check_statuspage(base_url=f"http://127.0.0.1:{refused_port()}", timeout=5))
    check(finding, "error", "check.http.refused")


def test_redirect_loop_is_named() -> None:
    with FakeServer() as server:

        @server.route("GET", r"/api/v2/summary\.json")
        def _loop(request: Recorded, match: re.Match[str]) -> Response:
            return Response(302, b"", headers={"Location": "/api/v2/summary.json"})

        finding = run(check_statuspage(base_url=server.url, timeout=5))
    check(finding, "error", "check.http.redirects")


def test_url_of_an_unsupported_scheme_is_a_bad_url() -> None:
    finding = run(check_statuspage(base_url="ftp://status.example.com", timeout=5))
    check(finding, "error", "check.http.bad_url")


def test_server_error_status_says_the_code() -> None:
    with FakeStatusPage() as page:
        page.fail("GET", SUMMARY, Response(502, "Bad Gateway"))
        finding = run(check_statuspage(base_url=page.url, timeout=5))
    check(finding, "error", "check.http.server_error")
    assert finding.summary.params["code"] == 502


def test_the_symptom_check_calls_an_unreachable_site_a_failure() -> None:
    # The same transport failures, seen by the site check, are the outage itself: FAIL.
    with PlainTextServer() as server:
        tls = run(check_site(url=f"https://127.0.0.1:{server.port}/", timeout=5))
    refused = run(check_site(url=f"http://127.0.0.1:{refused_port()}/", timeout=5))
    dns = run(check_site(url="https://ailex.invalid/", timeout=5))
    check(tls, "fail", "check.http.tls")
    check(refused, "fail", "check.http.refused")
    check(dns, "fail", "check.http.dns")


def test_an_exception_nobody_foresaw_becomes_an_error_finding() -> None:
    @guarded
    async def broken_probe(*, timeout: float) -> Finding:
        raise KeyError("postgresql://user:hunter2@db/x")

    finding = run(broken_probe(timeout=1))
    check(finding, CheckStatus.ERROR, "check.unexpected", "hunter2")
    assert finding.summary.params == {"error": "KeyError"}


def test_scrub_removes_keys_tokens_and_url_passwords() -> None:
    text = (
        "Incorrect API key provided: sk-proj-abc123XYZ. Authorization: Bearer abc.def "
        "postgresql://postgres:s3cret@db.example.co:5432/postgres "
        "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl and my-own-secret"
    )
    cleaned = scrub(text, ["my-own-secret"], limit=500)
    for secret in ("sk-proj-abc123XYZ", "abc.def", "s3cret", "eyJhbGciOiJIUzI1NiJ9", "my-own"):
        assert secret not in cleaned
    assert "db.example.co" in cleaned
    assert len(scrub("x" * 500, limit=50)) == 50


def test_probes_cancelled_by_the_caller_stop_cleanly() -> None:
    # The diagnosis runner wraps each probe in asyncio.wait_for: cancelling one midway must
    # leave no task, socket or connection behind (unraisable warnings fail the test run).
    # Each probe's own timeout is an hour: one that swallowed its cancellation would answer
    # with a Finding instead of the TimeoutError, and one that went on waiting would hang
    # until the test's timeout fails it. No stopwatch needed.
    hour = 3600.0

    async def cancel_all(port: int, dns_address: str) -> list[BaseException | Finding]:
        probes = [
            check_statuspage(base_url=f"http://127.0.0.1:{port}", timeout=hour),
            check_site(url=f"http://127.0.0.1:{port}/", timeout=hour),
            check_db_ping(dsn=f"host=127.0.0.1 port={port} user=postgres", timeout=hour),
            check_dns(domain="ailex.app", timeout=hour, nameservers=[dns_address]),
        ]
        return await asyncio.gather(
            *(asyncio.wait_for(probe, 0.3) for probe in probes), return_exceptions=True
        )

    with SilentServer() as server, FakeDNS() as dns_server:
        dns_server.fail("ailex.app", "hang")
        outcomes = asyncio.run(cancel_all(server.port, dns_server.address))
    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes), outcomes
