"""상황 4 (sign-in broken): Supabase Auth health, provider settings, a sign-in with the check
account (never a sign-up), and JWT inspection."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.messages import Catalogue
from probes.base import Finding
from probes.supabase_auth import (
    check_auth_health,
    check_auth_settings,
    check_auth_signin,
    inspect_jwt,
)
from tests.fakes.base import Response
from tests.fakes.findings import check, run
from tests.fakes.sockets import refused_port
from tests.fakes.supabase_auth import (
    ANON_KEY,
    CHECK_EMAIL,
    CHECK_PASSWORD,
    FakeSupabaseAuth,
    make_jwt,
)


@pytest.fixture
def auth() -> Iterator[FakeSupabaseAuth]:
    with FakeSupabaseAuth() as fake:
        yield fake


# -- health -------------------------------------------------------------------------------


def test_healthy_auth_reports_its_version(auth: FakeSupabaseAuth) -> None:
    finding = run(check_auth_health(supabase_url=auth.url, anon_key=ANON_KEY, timeout=5))
    check(finding, "ok", "check.auth.healthy", ANON_KEY)
    assert finding.data["version"] == "v2.170.0"
    assert auth.received()[0].headers["apikey"] == ANON_KEY


def test_auth_answering_5xx_is_case_a(auth: FakeSupabaseAuth) -> None:
    auth.health_status = 503
    finding = run(check_auth_health(supabase_url=auth.url, anon_key=ANON_KEY, timeout=5))
    check(finding, "fail", "check.auth.unhealthy", ANON_KEY)


def test_rejected_anon_key_fails_without_showing_it(auth: FakeSupabaseAuth) -> None:
    stale = make_jwt({"role": "anon", "iss": "supabase"}, secret="old-secret")
    finding = run(check_auth_health(supabase_url=auth.url, anon_key=stale, timeout=5))
    check(finding, "fail", "check.auth.key_rejected", stale)
    assert finding.data["api_error"]["message"] == "Invalid API key"


def test_unreachable_auth_is_the_outage_itself() -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    finding = run(check_auth_health(supabase_url=url, anon_key=ANON_KEY, timeout=2))
    check(finding, "fail", "check.http.refused", ANON_KEY)


def test_missing_supabase_settings_skip_and_name_them() -> None:
    finding = run(check_auth_health(supabase_url=None, anon_key=None, timeout=1))
    check(finding, "skipped", "check.skipped")
    assert finding.data["missing"] == ["SUPABASE_URL", "SUPABASE_ANON_KEY"]


# -- settings -----------------------------------------------------------------------------


def settings(fake: FakeSupabaseAuth) -> Finding:
    return run(check_auth_settings(supabase_url=fake.url, anon_key=ANON_KEY, timeout=5))


def test_settings_with_google_and_email_on_are_ok(auth: FakeSupabaseAuth) -> None:
    finding = check(settings(auth), "ok", "check.auth.settings_ok")
    assert finding.data["providers"] == ["email", "google"]
    assert finding.data["google"] is True


def test_google_sign_in_off_is_case_b(auth: FakeSupabaseAuth) -> None:
    auth.google = False
    check(settings(auth), "fail", "check.auth.google_off")


def test_email_sign_in_off_warns(auth: FakeSupabaseAuth) -> None:
    auth.email = False
    check(settings(auth), "warn", "check.auth.email_off")


def test_disabled_sign_ups_warn(auth: FakeSupabaseAuth) -> None:
    auth.disable_signup = True
    finding = check(settings(auth), "warn", "check.auth.signup_disabled")
    assert finding.data["disable_signup"] is True


def test_settings_without_providers_are_a_shape_error(auth: FakeSupabaseAuth) -> None:
    auth.fail("GET", r"/auth/v1/settings", Response(200, {"disable_signup": False}))
    check(settings(auth), "error", "check.http.bad_shape")


# -- sign-in ------------------------------------------------------------------------------


def signin(fake: FakeSupabaseAuth, password: str | None = CHECK_PASSWORD, **kwargs) -> Finding:
    return run(
        check_auth_signin(
            supabase_url=fake.url,
            anon_key=ANON_KEY,
            email=kwargs.pop("email", CHECK_EMAIL),
            password=password,
            timeout=5,
            **kwargs,
        )
    )


def test_check_account_signs_in_and_its_session_is_inspected(auth: FakeSupabaseAuth) -> None:
    finding = check(signin(auth), "ok", "check.auth.signin_ok", CHECK_PASSWORD, ANON_KEY)
    session = finding.data["session"]
    assert session["role"] == "authenticated"
    assert session["aud"] == "authenticated"
    assert session["alg"] == "HS256"
    assert 3500 < session["expires_in_seconds"] <= 3600
    dumped = json.dumps(finding.data)
    assert "eyJ" not in dumped and "rt-" not in dumped  # no access or refresh token
    request = auth.received("POST", r"/auth/v1/token")[0]
    assert request.arg("grant_type") == "password"


def test_sign_in_never_signs_up(auth: FakeSupabaseAuth) -> None:
    signin(auth)
    signin(auth, "wrong")
    assert auth.received("POST", r"/auth/v1/signup") == []


def test_wrong_credentials_fail(auth: FakeSupabaseAuth) -> None:
    finding = check(
        signin(auth, "not-the-password"), "fail", "check.auth.signin_invalid", "not-the-password"
    )
    assert finding.data["api_error"]["code"] == "invalid_credentials"


def test_other_refusals_name_their_code(auth: FakeSupabaseAuth) -> None:
    auth.fail(
        "POST",
        r"/auth/v1/token",
        Response(
            400, {"code": 400, "error_code": "email_not_confirmed", "msg": "Email not confirmed"}
        ),
    )
    finding = check(signin(auth), "fail", "check.auth.signin_rejected")
    assert finding.summary.params["code"] == "email_not_confirmed"


def test_sign_in_rate_limit_warns(auth: FakeSupabaseAuth) -> None:
    auth.fail(
        "POST",
        r"/auth/v1/token",
        Response(429, {"code": 429, "error_code": "over_request_rate_limit", "msg": "Too many"}),
    )
    check(signin(auth), "warn", "check.auth.signin_rate_limited")


def test_sign_in_without_a_check_account_skips_naming_both_settings(auth: FakeSupabaseAuth) -> None:
    finding = check(signin(auth, None, email=None), "skipped", "check.skipped")
    assert finding.data["missing"] == ["AILEX_AUTH_CHECK_EMAIL", "AILEX_AUTH_CHECK_PASSWORD"]
    assert auth.received() == []


# -- JWT inspection -----------------------------------------------------------------------

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def token(**claims: object) -> str:
    return make_jwt({"iss": "supabase", "role": "anon", "iat": int(NOW.timestamp()) - 60, **claims})


def test_valid_jwt_reports_its_claims_without_the_token() -> None:
    jwt = token(exp=int((NOW + timedelta(days=3650)).timestamp()), aud="authenticated", ref="abc")
    finding = check(inspect_jwt(jwt, now=NOW), "ok", "check.jwt.valid", jwt, jwt.split(".")[2])
    assert finding.data["role"] == "anon"
    assert finding.data["iss"] == "supabase"
    assert finding.data["alg"] == "HS256"
    assert finding.data["exp"].startswith("2035-")
    assert finding.data["iat"] == (NOW - timedelta(minutes=1)).isoformat()


def test_expired_jwt_fails() -> None:
    jwt = token(exp=int((NOW - timedelta(hours=2)).timestamp()))
    finding = check(inspect_jwt(jwt, now=NOW), "fail", "check.jwt.expired", jwt)
    assert Catalogue("ko").render(finding.summary) == "JWT 만료됨 (2시간 전, 역할 anon)"
    assert Catalogue("en").render(finding.summary) == "JWT expired 2h ago (role anon)"
    assert finding.data["expires_in_seconds"] == -7200


def test_jwt_about_to_expire_warns() -> None:
    jwt = token(exp=int((NOW + timedelta(minutes=4)).timestamp()))
    check(inspect_jwt(jwt, now=NOW), "warn", "check.jwt.expiring", jwt)


def test_jwt_without_expiry_warns() -> None:
    check(inspect_jwt(token(), now=NOW), "warn", "check.jwt.no_exp")


def test_bearer_prefix_is_accepted() -> None:
    jwt = token(exp=int((NOW + timedelta(days=1)).timestamp()))
    check(inspect_jwt(f"Bearer {jwt}", now=NOW), "ok", "check.jwt.valid", jwt)


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not-a-jwt",
        "a.b",
        "sb_publishable_abc123def456",
        "!!!.@@@.###",
        base64.urlsafe_b64encode(b"[1,2]").decode() + ".e30.sig",
        "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.sig",
    ],
)
def test_malformed_jwt_is_an_error_that_never_echoes_it(malformed: str) -> None:
    finding = check(inspect_jwt(malformed, now=NOW), "error", "check.jwt.malformed")
    assert finding.data == {}
