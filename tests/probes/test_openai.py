"""상황 3 (OpenAI): the key check tells apart a good key, a bad key, no quota, a rate limit and
an OpenAI outage, and never lets the key out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from probes.base import Finding
from probes.openai import check_openai_key
from tests.fakes.base import Response
from tests.fakes.findings import check, run
from tests.fakes.openai import API_KEY, FakeOpenAI


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def key_check(fake: FakeOpenAI, key: str | None = API_KEY) -> Finding:
    return run(check_openai_key(base_url=fake.base_url, api_key=key, timeout=5))


def test_valid_key_lists_models_and_rate_limits(openai: FakeOpenAI) -> None:
    finding = check(key_check(openai), "ok", "check.openai.key_ok", API_KEY)
    assert finding.data["models"] == 3
    assert finding.data["rate_limits"]["remaining-requests"] == "9999"
    assert finding.data["request_id"] == "req_fake0002"
    assert openai.received("GET", r"/v1/models")[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_rejected_key_is_case_b_and_its_echo_is_dropped(openai: FakeOpenAI) -> None:
    wrong = "sk-proj-WRONGkey987654321"
    finding = check(key_check(openai, wrong), "fail", "check.openai.key_invalid", wrong, API_KEY)
    assert finding.data["reason"] == "invalid_key"
    assert finding.data["api_error"] == {"code": "invalid_api_key", "type": "invalid_request_error"}


def test_exhausted_quota_is_case_b(openai: FakeOpenAI) -> None:
    openai.mode = "quota"
    finding = check(key_check(openai), "fail", "check.openai.quota", API_KEY)
    assert finding.data["reason"] == "insufficient_quota"
    assert "billing" in finding.data["api_error"]["message"]


def test_rate_limit_is_a_warning_with_its_headers(openai: FakeOpenAI) -> None:
    openai.mode = "rate_limit"
    finding = check(key_check(openai), "warn", "check.openai.rate_limited", API_KEY)
    assert finding.data["reason"] == "rate_limited"
    assert finding.data["rate_limits"]["remaining-requests"] == "0"


def test_openai_server_error_is_case_a(openai: FakeOpenAI) -> None:
    openai.mode = "server_error"
    finding = check(key_check(openai), "fail", "check.openai.server_error", API_KEY)
    assert finding.summary.params["code"] == 503


def test_models_answer_that_is_not_json_is_an_error(openai: FakeOpenAI) -> None:
    openai.fail("GET", r"/v1/models", Response(200, b"<html>gateway</html>"))
    check(key_check(openai), "error", "check.http.invalid_json", API_KEY)


def test_models_answer_of_the_wrong_shape_is_an_error(openai: FakeOpenAI) -> None:
    openai.fail("GET", r"/v1/models", Response(200, {"object": "list", "data": "none"}))
    check(key_check(openai), "error", "check.http.bad_shape", API_KEY)


def test_slow_openai_ends_at_the_timeout(openai: FakeOpenAI) -> None:
    openai.fail("GET", r"/v1/models", Response(200, {"data": []}, delay=3))
    finding = run(
        check_openai_key(base_url=openai.base_url, api_key=API_KEY, timeout=0.5), within=2.5
    )
    check(finding, "error", "check.http.timeout", API_KEY)


def test_missing_key_skips_naming_the_setting(openai: FakeOpenAI) -> None:
    finding = check(key_check(openai, None), "skipped", "check.skipped")
    assert finding.data["missing"] == ["OPENAI_API_KEY"]
    assert openai.received() == []
