"""상황 5 (slow responses): TTFB and total time of the site and its API paths, and the slowest
statements from pg_stat_statements."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest

from probes.base import Finding
from probes.database import check_slow_queries
from probes.http import MAX_BODY
from probes.site import check_response_times
from tests.fakes.base import FakeServer, Recorded, Response
from tests.fakes.findings import check, run
from tests.fakes.sockets import refused_port

API = "/api/v1/dashboard/summary"


@pytest.fixture
def site() -> Iterator[FakeServer]:
    with FakeServer() as server:

        @server.route("GET", r"/")
        def _home(request: Recorded, match: re.Match[str]) -> Response:
            return Response(200, "<html>AILEX</html>")

        @server.route("GET", re.escape(API))
        def _api(request: Recorded, match: re.Match[str]) -> Response:
            return Response(401, {"error": "unauthorized"})

        yield server


def times(site: FakeServer, **kwargs) -> Finding:
    return run(
        check_response_times(
            base_url=site.url,
            paths=kwargs.pop("paths", [API]),
            timeout=kwargs.pop("timeout", 5),
            **kwargs,
        )
    )


def test_fast_site_and_api_are_ok_with_every_sample(site: FakeServer) -> None:
    finding = check(times(site, samples=3), "ok", "check.perf.fast")
    urls = {entry["url"]: entry for entry in finding.data["urls"]}
    assert set(urls) == {site.url, site.url + API}
    for entry in urls.values():
        assert entry["samples"] == 3
        assert entry["ttfb_median_ms"] <= entry["total_median_ms"]
        assert entry["total_worst_ms"] >= entry["total_median_ms"]
    # An API that wants a session still answers in time: its 401 is not a slowness.
    assert urls[site.url + API]["http_status"] == [401, 401, 401]
    assert len(site.received("GET", re.escape(API))) == 3


def test_huge_page_is_timed_up_to_the_byte_limit(site: FakeServer) -> None:
    site.fail("GET", r"/", Response(200, b"x" * (2 * MAX_BODY)), times=3)
    finding = check(times(site, paths=[]), "ok", "check.perf.fast")
    assert finding.data["urls"][0]["truncated"] is True
    assert finding.data["urls"][0]["samples"] == 3


def test_median_over_the_warning_threshold_warns(site: FakeServer) -> None:
    site.fail("GET", re.escape(API), Response(200, "{}", delay=0.3), times=3)
    finding = times(site, warn_seconds=0.2, fail_seconds=1.0)
    check(finding, "warn", "check.perf.sluggish")
    assert finding.summary.params["url"] == site.url + API


def test_median_over_the_failure_threshold_fails(site: FakeServer) -> None:
    site.fail("GET", r"/", Response(200, "slow", delay=0.3), times=3)
    finding = times(site, paths=[], warn_seconds=0.1, fail_seconds=0.25)
    check(finding, "fail", "check.perf.slow")
    assert float(finding.summary.params["median"]) >= 0.25


def test_one_slow_sample_does_not_move_the_median(site: FakeServer) -> None:
    site.fail("GET", r"/", Response(200, "slow", delay=0.4))
    finding = times(site, paths=[], warn_seconds=0.3, fail_seconds=1.0)
    check(finding, "ok", "check.perf.fast")
    assert finding.data["urls"][0]["total_worst_ms"] >= 400


def test_server_errors_fail_even_when_fast(site: FakeServer) -> None:
    site.fail("GET", re.escape(API), Response(500, "boom"), times=3)
    finding = check(times(site), "fail", "check.perf.server_error")
    assert finding.summary.params["code"] == 500


def test_answer_slower_than_the_timeout_fails_within_the_bound(site: FakeServer) -> None:
    site.fail("GET", r"/", Response(200, "late", delay=3), times=3)
    finding = run(
        check_response_times(base_url=site.url, paths=[], timeout=0.5, samples=3), within=2.5
    )
    check(finding, "fail", "check.http.timeout")


def test_unreachable_site_is_an_error_here() -> None:
    # Reachability is the outage check's business; here it only means nothing was measured.
    url = f"http://127.0.0.1:{refused_port()}"
    finding = run(check_response_times(base_url=url, paths=[API], timeout=2))
    check(finding, "error", "check.http.refused")


def test_samples_are_taken_at_once_so_all_fit_the_budget(site: FakeServer) -> None:
    # Three sequential samples of 0.6 s do not fit 1 s; taken at once, all three do.
    site.fail("GET", r"/", Response(200, "ok", delay=0.6), times=3)
    finding = run(
        check_response_times(
            base_url=site.url, paths=[], timeout=1, samples=3, warn_seconds=0.5, fail_seconds=2
        ),
        within=1.5,
    )
    check(finding, "warn", "check.perf.sluggish")
    entry = finding.data["urls"][0]
    assert entry["samples"] == 3 and entry["timed_out"] == 0 and entry["error"] is None
    assert entry["total_median_ms"] >= 600


def test_samples_mostly_unanswered_in_time_fail_and_keep_what_was_measured(
    site: FakeServer,
) -> None:
    site.fail("GET", r"/", Response(200, "late", delay=2), times=2)  # two of three samples
    finding = run(
        check_response_times(base_url=site.url, paths=[], timeout=0.8, samples=3), within=2
    )
    check(finding, "fail", "check.http.timeout")
    entry = finding.data["urls"][0]
    assert entry["samples"] == 1 and entry["timed_out"] == 2 and entry["error"] == "timeout"
    assert entry["total_worst_ms"] >= 700  # a timed-out sample took at least its budget


# -- slow statements ----------------------------------------------------------------------


def test_slow_queries_without_the_extension_say_it_is_not_enabled(pg_dsn: str) -> None:
    finding = run(check_slow_queries(dsn=pg_dsn, timeout=5))
    check(finding, "warn", "check.db.statements_missing")
    assert finding.data["enabled"] is False


def _preloaded(dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SHOW shared_preload_libraries").fetchone()
    return row is not None and "pg_stat_statements" in row[0]


def _create_extension(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION pg_stat_statements")
        except psycopg.Error as exc:
            pytest.skip(f"pg_stat_statements is not available on this server: {exc}")


def test_extension_installed_but_not_preloaded_is_named(pg_dsn: str) -> None:
    if _preloaded(pg_dsn):
        pytest.skip("pg_stat_statements is preloaded on this server")
    _create_extension(pg_dsn)
    finding = run(check_slow_queries(dsn=pg_dsn, timeout=5))
    check(finding, "warn", "check.db.statements_not_loaded")


def test_slowest_statements_by_mean_time(pg_dsn: str) -> None:
    if not _preloaded(pg_dsn):
        pytest.skip("pg_stat_statements needs shared_preload_libraries, not set on this server")
    _create_extension(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        conn.execute("SELECT pg_sleep(0.05)")
    finding = run(check_slow_queries(dsn=pg_dsn, timeout=5, slow_ms=30))
    check(finding, "warn", "check.db.statements_slow")
    assert finding.data["statements"][0]["mean_ms"] >= 30
    assert len(finding.data["statements"][0]["query"]) <= 200
