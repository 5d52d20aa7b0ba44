"""상황 1 (service down): site status, DNS, Vercel deployments and their error events, and the
status page, against fakes on 127.0.0.1."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dns.message
import dns.query
import httpx
import pytest

from bot.messages import Catalogue
from probes.base import Finding
from probes.dns import check_dns
from probes.http import MAX_BODY
from probes.site import check_site
from probes.statuspage import check_statuspage
from probes.vercel import check_vercel_deployment_errors, check_vercel_deployments
from tests.fakes.base import FakeServer, Recorded, Response
from tests.fakes.dns_server import FakeDNS
from tests.fakes.findings import check, run
from tests.fakes.sockets import HeadDroppingServer
from tests.fakes.statuspage import FakeStatusPage
from tests.fakes.vercel import TOKEN, FakeVercel, event

# -- site ---------------------------------------------------------------------------------


@pytest.fixture
def site() -> Iterator[FakeServer]:
    with FakeServer() as server:

        @server.route("*", r"/")
        def _home(request: Recorded, match: re.Match[str]) -> Response:
            return Response(200, "<html>AILEX</html>", headers={"Content-Type": "text/html"})

        yield server


def test_site_answering_200_to_head_is_up(site: FakeServer) -> None:
    finding = check(run(check_site(url=site.url + "/", timeout=5)), "ok", "check.site.up")
    assert finding.data["method"] == "HEAD"
    assert finding.data["http_status"] == 200
    assert isinstance(finding.data["latency_ms"], int)


def test_site_refusing_head_is_asked_with_get(site: FakeServer) -> None:
    site.fail("HEAD", r"/", Response(405, ""))
    finding = check(run(check_site(url=site.url + "/", timeout=5)), "ok", "check.site.up")
    assert finding.data["method"] == "GET"
    assert [r.method for r in site.received()] == ["HEAD", "GET"]


def test_site_serving_a_huge_page_to_get_is_still_up(site: FakeServer) -> None:
    site.fail("HEAD", r"/", Response(405, ""))
    site.fail("GET", r"/", Response(200, b"<html>" + b"x" * (2 * MAX_BODY)))
    finding = check(run(check_site(url=site.url + "/", timeout=5)), "ok", "check.site.up")
    assert finding.data["method"] == "GET"


def test_site_dropping_a_head_request_is_asked_with_get() -> None:
    with HeadDroppingServer() as server:
        finding = run(check_site(url=f"http://127.0.0.1:{server.port}/", timeout=5))
    check(finding, "ok", "check.site.up")
    assert finding.data["method"] == "GET"


def test_site_redirect_is_followed_and_up(site: FakeServer) -> None:
    site.fail("*", r"/old", Response(301, b"", headers={"Location": "/"}))
    finding = check(run(check_site(url=site.url + "/old", timeout=5)), "ok", "check.site.up")
    assert finding.data["redirects"] == 1


def test_site_answering_5xx_is_down(site: FakeServer) -> None:
    site.fail("*", r"/", Response(502, "Bad Gateway"), times=2)
    finding = check(run(check_site(url=site.url + "/", timeout=5)), "fail", "check.site.down")
    assert finding.summary.params["code"] == 502


def test_site_answering_4xx_is_a_warning(site: FakeServer) -> None:
    site.fail("*", r"/", Response(403, "Forbidden"), times=2)
    check(run(check_site(url=site.url + "/", timeout=5)), "warn", "check.site.client_error")


def test_site_that_hangs_fails_within_the_timeout(site: FakeServer) -> None:
    site.fail("*", r"/", Response(200, "late", delay=3), times=2)
    finding = run(check_site(url=site.url + "/", timeout=0.5), within=2.5)
    check(finding, "fail", "check.http.timeout")


# -- DNS ----------------------------------------------------------------------------------


@pytest.fixture
def dns_server() -> Iterator[FakeDNS]:
    with FakeDNS() as server:
        yield server


def resolve(server: FakeDNS, domain: str, timeout: float = 3) -> Finding:
    return run(check_dns(domain=domain, timeout=timeout, nameservers=[server.address]))


def test_apex_a_record_on_vercel_anycast_is_ok(dns_server: FakeDNS) -> None:
    dns_server.add("ailex.app", a=["76.76.21.21"])
    finding = check(resolve(dns_server, "ailex.app"), "ok", "check.dns.vercel")
    assert finding.data["a"] == ["76.76.21.21"]
    assert finding.data["vercel_match"] == "a:76.76.21.21"
    assert finding.data["points_to_vercel"] is True


@pytest.mark.parametrize(
    "target", ["cname.vercel-dns.com", "3a69a5bb27875189.vercel-dns-017.com", "ailex.vercel.app"]
)
def test_cname_to_vercel_is_ok(dns_server: FakeDNS, target: str) -> None:
    dns_server.add("www.ailex.app", cname=target)
    dns_server.add(target, a=["66.33.60.34"])
    finding = check(resolve(dns_server, "www.ailex.app"), "ok", "check.dns.vercel")
    assert finding.data["cname"] == [target + "."]
    assert finding.data["a"] == ["66.33.60.34"]


def test_a_record_elsewhere_is_a_warning_not_a_failure(dns_server: FakeDNS) -> None:
    dns_server.add("ailex.app", a=["104.21.3.7"], aaaa=["2606:4700::6812:307"])
    finding = check(resolve(dns_server, "ailex.app"), "warn", "check.dns.not_vercel")
    assert finding.data["aaaa"] == ["2606:4700::6812:307"]


def test_nxdomain_fails(dns_server: FakeDNS) -> None:
    dns_server.fail("ailex.app", "nxdomain")
    check(resolve(dns_server, "ailex.app"), "fail", "check.dns.nxdomain")


def test_servfail_fails(dns_server: FakeDNS) -> None:
    dns_server.fail("ailex.app", "servfail")
    check(resolve(dns_server, "ailex.app"), "fail", "check.dns.servfail")


def test_name_with_no_records_fails(dns_server: FakeDNS) -> None:
    dns_server.add("ailex.app")
    check(resolve(dns_server, "ailex.app"), "fail", "check.dns.no_answer")


def test_silent_name_server_fails_within_the_timeout(dns_server: FakeDNS) -> None:
    dns_server.fail("ailex.app", "hang")
    finding = resolve(dns_server, "ailex.app", timeout=0.5)
    check(finding, "fail", "check.dns.timeout")
    assert finding.summary.params["seconds"] == "0.5"


def test_unusable_name_server_setting_is_an_error() -> None:
    finding = run(check_dns(domain="ailex.app", timeout=1, nameservers=["ns.ailex.invalid:53"]))
    check(finding, "error", "check.dns.resolver")


# -- Vercel deployments -------------------------------------------------------------------


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        yield fake


def deployments(fake: FakeVercel, **kwargs) -> Finding:
    return run(
        check_vercel_deployments(
            api_url=fake.url,
            token=kwargs.pop("token", TOKEN),
            project_id=fake.project_id,
            timeout=5,
            **kwargs,
        )
    )


def test_current_production_deployment_and_its_age(vercel: FakeVercel) -> None:
    older = vercel.add_deployment(minutes_ago=3000)
    current = vercel.add_deployment(minutes_ago=600)
    vercel.add_deployment(minutes_ago=30, target="preview")
    finding = check(deployments(vercel), "ok", "check.vercel.current")
    assert finding.data["current"]["id"] == current["uid"]
    assert finding.data["current"]["url"] == f"https://{current['url']}"
    assert finding.data["current"]["ready_substate"] == "PROMOTED"
    assert finding.data["rollback_candidate"]["id"] == older["uid"]
    assert finding.data["recent_deploy"] is False
    assert "(9시간 59분 전 배포)" in Catalogue("ko").render(finding.summary)
    assert "(deployed 9h 59m ago)" in Catalogue("en").render(finding.summary)
    request = vercel.received("GET", r"/v6/deployments")[0]
    assert request.arg("target") == "production"
    assert request.arg("projectId") == vercel.project_id


def test_deploy_that_went_live_just_before_the_incident_is_case_a(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=3000)
    suspect = vercel.add_deployment(minutes_ago=50)  # ready a minute later: 49 min ago
    started = datetime.now(UTC) - timedelta(minutes=9)
    finding = check(
        deployments(vercel, incident_started_at=started),
        "warn",
        "check.vercel.recent_before_incident",
    )
    assert finding.data["recent_deploy"] is True
    assert finding.data["deployment"]["id"] == suspect["uid"]
    assert finding.summary.params["minutes"] == 40
    json.dumps(finding.data)


def test_recent_deploy_without_an_incident_is_measured_from_now(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=20)
    finding = check(deployments(vercel), "warn", "check.vercel.recent")
    assert finding.data["recent_deploy"] is True


def test_deploy_after_the_incident_began_is_not_its_cause(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=10)
    started = datetime.now(UTC) - timedelta(minutes=30)
    finding = check(deployments(vercel, incident_started_at=started), "ok", "check.vercel.current")
    assert finding.data["recent_deploy"] is False


def test_promoted_deployment_is_current_even_when_a_newer_one_is_staged(
    vercel: FakeVercel,
) -> None:
    serving = vercel.add_deployment(minutes_ago=900)
    vercel.add_deployment(minutes_ago=300, ready_substate="STAGED")
    finding = check(deployments(vercel), "ok", "check.vercel.current")
    assert finding.data["current"]["id"] == serving["uid"]


def test_newest_deployment_in_error_is_reported(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=900)
    failed = vercel.add_deployment(minutes_ago=15, state="ERROR", error_code="BUILD_FAILED")
    finding = check(deployments(vercel), "warn", "check.vercel.newer_failed")
    assert finding.data["failed"]["id"] == failed["uid"]
    assert finding.data["failed"]["error_code"] == "BUILD_FAILED"


def test_no_ready_production_deployment_fails(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=15, state="ERROR")
    vercel.add_deployment(minutes_ago=5, state="BUILDING")
    check(deployments(vercel), "fail", "check.vercel.no_ready")


def test_team_scope_is_sent_when_configured() -> None:
    with FakeVercel(team_id="team_ailex") as fake:
        fake.add_deployment(minutes_ago=900)
        denied = deployments(fake)
        allowed = deployments(fake, team_id="team_ailex")
    check(denied, "error", "check.http.auth")
    check(allowed, "ok", "check.vercel.current")


def test_wrong_token_is_an_auth_error_without_the_token(vercel: FakeVercel) -> None:
    finding = deployments(vercel, token="wrong-token-abc")
    check(finding, "error", "check.http.auth", "wrong-token-abc", TOKEN)
    assert finding.data["api_error"]["code"] == "forbidden"


def test_missing_vercel_settings_skip_and_name_them() -> None:
    finding = run(
        check_vercel_deployments(api_url="http://x", token=None, project_id=None, timeout=1)
    )
    check(finding, "skipped", "check.skipped")
    assert finding.data["missing"] == ["VERCEL_TOKEN", "VERCEL_PROJECT_ID"]


# -- deployment error events --------------------------------------------------------------


def events(fake: FakeVercel, **kwargs) -> Finding:
    return run(
        check_vercel_deployment_errors(
            api_url=fake.url, token=TOKEN, project_id=fake.project_id, timeout=5, **kwargs
        )
    )


def test_error_events_in_both_shapes_are_counted_newest_last(vercel: FakeVercel) -> None:
    current = vercel.add_deployment(minutes_ago=600)
    vercel.add_events(
        current,
        event("Installing dependencies...", seconds_ago=50),
        event("Error: connect ECONNREFUSED 10.0.0.5:5432", kind="stderr", seconds_ago=40),
        event("Unhandled rejection", kind="stdout", level="error", nested=True, seconds_ago=30),
        event("Build failed " + "x" * 500, kind="fatal", nested=True, seconds_ago=20),
        event("Done", seconds_ago=10),
    )
    finding = check(events(vercel), "warn", "check.vercel.events_errors")
    assert finding.data["error_count"] == 3
    lines = finding.data["lines"]
    assert lines[0].startswith("Error: connect ECONNREFUSED")
    assert lines[1] == "Unhandled rejection"
    assert lines[2].startswith("Build failed") and len(lines[2]) <= 200
    assert finding.data["deployment"]["id"] == current["uid"]
    request = vercel.received("GET", r"/v3/deployments/.*/events")[0]
    assert request.arg("direction") == "backward"


def test_error_lines_never_carry_secrets_from_the_log(vercel: FakeVercel) -> None:
    current = vercel.add_deployment(minutes_ago=600)
    vercel.add_events(
        current,
        event("DATABASE_URL=postgresql://postgres:pa55word@db:5432/postgres failed", kind="stderr"),
        event("OpenAI error with key sk-live-0123456789abcdef", kind="stderr"),
    )
    check(events(vercel), "warn", "check.vercel.events_errors", "pa55word", "sk-live-0123456789")


def test_clean_event_log_is_ok(vercel: FakeVercel) -> None:
    current = vercel.add_deployment(minutes_ago=600)
    vercel.add_events(current, event("Compiled successfully"), event("Done"))
    finding = check(events(vercel), "ok", "check.vercel.events_clean")
    assert finding.summary.params["events"] == 2


def test_events_of_a_given_deployment_id(vercel: FakeVercel) -> None:
    other = vercel.add_deployment(minutes_ago=600, target="preview")
    vercel.add_events(other, event("boom", kind="stderr"))
    finding = check(
        events(vercel, deployment_id=other["uid"]), "warn", "check.vercel.events_errors"
    )
    assert finding.data["lines"] == ["boom"]


def test_events_that_are_not_a_list_are_a_shape_error(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=600)
    vercel.fail("GET", r"/v3/deployments/.*/events", Response(200, {"unexpected": True}))
    check(events(vercel), "error", "check.http.bad_shape")


# -- status page --------------------------------------------------------------------------


@pytest.fixture
def page() -> Iterator[FakeStatusPage]:
    with FakeStatusPage("Vercel") as fake:
        yield fake


def status(page: FakeStatusPage) -> Finding:
    return run(check_statuspage(base_url=page.url, timeout=5, name="Vercel"))


def test_operational_status_page_is_ok(page: FakeStatusPage) -> None:
    finding = check(status(page), "ok", "check.statuspage.operational")
    assert finding.data["indicator"] == "none"
    assert finding.data["components"] == []
    assert finding.data["incidents"] == []


def test_minor_indicator_is_a_warning(page: FakeStatusPage) -> None:
    page.indicator = "minor"
    page.set_component("Dashboard", "degraded_performance")
    finding = check(status(page), "warn", "check.statuspage.degraded")
    assert finding.data["components"] == [{"name": "Dashboard", "status": "degraded_performance"}]
    assert "(영향 구성요소 1개, 진행 중 사고 0건)" in Catalogue("ko").render(finding.summary)
    english = Catalogue("en").render(finding.summary)
    assert "(components affected: 1, open incidents: 0)" in english


def test_open_incident_counts_even_when_the_indicator_says_none(page: FakeStatusPage) -> None:
    page.open_incident("Elevated build failures", impact="minor")
    finding = check(status(page), "warn", "check.statuspage.degraded")
    assert finding.data["incidents"][0]["name"] == "Elevated build failures"
    assert finding.data["incidents"][0]["shortlink"].startswith("https://stspg.io/")
    assert finding.summary.params["headline"] == "Elevated build failures"


def test_component_in_major_outage_fails_even_when_the_indicator_says_none(
    page: FakeStatusPage,
) -> None:
    page.set_component("Edge Network", "major_outage")
    check(status(page), "fail", "check.statuspage.outage")


def test_critical_indicator_fails(page: FakeStatusPage) -> None:
    page.indicator = "critical"
    page.open_incident("Global outage", impact="critical")
    check(status(page), "fail", "check.statuspage.outage")


def test_resolved_incidents_are_ignored(page: FakeStatusPage) -> None:
    page.open_incident("Yesterday's issue", status="resolved", impact="major")
    check(status(page), "ok", "check.statuspage.operational")


# -- the fakes' other faces (used by remediation tests) -----------------------------------


def test_fake_vercel_serves_one_deployment_in_the_v13_shape(vercel: FakeVercel) -> None:
    deployment = vercel.add_deployment(minutes_ago=5)
    answer = httpx.get(
        f"{vercel.url}/v13/deployments/{deployment['uid']}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 200
    assert answer.json()["id"] == deployment["uid"]
    assert answer.json()["readyState"] == "READY"
    assert httpx.get(f"{vercel.url}/v13/deployments/nope").status_code == 403


def test_fake_status_page_serves_status_json(page: FakeStatusPage) -> None:
    page.indicator = "major"
    body = httpx.get(f"{page.url}/api/v2/status.json").json()
    assert body["status"] == {"indicator": "major", "description": "Partial System Outage"}


def test_fake_dns_answers_over_tcp_too(dns_server: FakeDNS) -> None:
    dns_server.add("ailex.app", a=["76.76.21.21"])
    query = dns.message.make_query("ailex.app", "A")
    response = dns.query.tcp(query, "127.0.0.1", port=dns_server.port, timeout=2)
    assert [rdata.to_text() for rdata in response.answer[0]] == ["76.76.21.21"]
