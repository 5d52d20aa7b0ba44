"""The Statuspage manage API client against a fake manage API served on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from remediations.statuspage import plan, publish
from tests.fakes.base import Response
from tests.fakes.statuspage_manage import INCIDENT, INCIDENTS, FakeStatuspageManage


@pytest.fixture
def page() -> Iterator[FakeStatuspageManage]:
    with FakeStatuspageManage() as fake:
        yield fake  # type: ignore[misc]


def _notice(status: str = "investigating", severity: str = "P1") -> object:
    return plan(
        name="결제 지연",
        severity=severity,
        status=status,
        body="확인 중입니다",
        component_ids=["c1"],
    )


def test_first_notice_creates_the_page_incident_with_impact_and_components(
    page: FakeStatuspageManage,
) -> None:
    result = publish(_notice(), api_url=page.api_url, api_key=page.api_key, page_id="pg1")  # type: ignore[arg-type]
    assert result.ok and result.created and result.incident_id == "inc1"
    sent = page.received("POST", INCIDENTS)[0]
    assert sent.headers["authorization"] == "OAuth sp-key-7f3a9c"
    body = sent.json()["incident"]
    assert body["status"] == "investigating"
    assert body["impact_override"] == "critical"
    assert body["component_ids"] == ["c1"]
    assert body["components"] == {"c1": "major_outage"}
    assert page.incidents["inc1"]["incident_updates"] == [
        {"status": "investigating", "body": "확인 중입니다"}
    ]


def test_later_notice_updates_it_and_resolved_sets_components_operational(
    page: FakeStatuspageManage,
) -> None:
    first = publish(_notice(), api_url=page.api_url, api_key=page.api_key, page_id="pg1")  # type: ignore[arg-type]
    later = publish(
        _notice("resolved", "P2"),  # type: ignore[arg-type]
        api_url=page.api_url,
        api_key=page.api_key,
        page_id="pg1",
        existing_id=first.incident_id,
    )
    assert later.ok and not later.created and later.incident_id == "inc1"
    assert len(page.received("PATCH", INCIDENT)) == 1
    assert page.incidents["inc1"]["status"] == "resolved"
    assert page.incidents["inc1"]["components"] == [{"id": "c1", "status": "operational"}]


def test_refused_key_is_a_readable_failure_without_the_key(page: FakeStatuspageManage) -> None:
    result = publish(_notice(), api_url=page.api_url, api_key="wrong-key-xyz", page_id="pg1")  # type: ignore[arg-type]
    assert not result.ok and result.error == "http 401"
    assert "wrong-key-xyz" not in result.model_dump_json()
    assert page.incidents == {}


def test_server_error_and_timeout_are_failures_not_crashes(page: FakeStatuspageManage) -> None:
    page.fail("POST", INCIDENTS, 503)
    failed = publish(_notice(), api_url=page.api_url, api_key=page.api_key, page_id="pg1")  # type: ignore[arg-type]
    assert not failed.ok and failed.error == "http 503"
    page.fail("POST", INCIDENTS, Response(status=201, body={"id": "late"}, delay=1.0))
    slow = publish(
        _notice(),  # type: ignore[arg-type]
        api_url=page.api_url,
        api_key=page.api_key,
        page_id="pg1",
        timeout=0.2,
    )
    assert not slow.ok and slow.error == "timeout"
