"""Supabase Auth (GoTrue): health, provider settings, a sign-in with a check account, and JWT
inspection (상황 4). Never a sign-up: that creates a user."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from probes.base import CheckStatus, Finding, guarded, msg, skipped_unless
from probes.http import Answer, HttpFailure, HttpSession, status_finding
from probes.text import age_text, ensure_aware, from_epoch_ms, iso, scrub

SERVICE = "Supabase Auth"
# GoTrue's word for wrong credentials; older versions answer {"error": "invalid_grant"}.
_INVALID_CREDENTIALS = {"invalid_credentials", "invalid_grant"}


def _session(anon_key: str, timeout: float, *secrets: str) -> HttpSession:
    # Only `apikey`: the newer sb_publishable_ keys are not JWTs and must not go as Bearer.
    return HttpSession(
        SERVICE, timeout=timeout, headers={"apikey": anon_key}, secrets=[anon_key, *secrets]
    )


def _auth_url(supabase_url: str, path: str) -> str:
    return f"{supabase_url.rstrip('/')}/auth/v1/{path}"


@guarded
async def check_auth_health(
    *, supabase_url: str | None, anon_key: str | None, timeout: float
) -> Finding:
    """GET /auth/v1/health: unreachable or 5xx fails (case A), a rejected key fails (case C)."""
    if not (supabase_url and anon_key):
        return skipped_unless(SUPABASE_URL=supabase_url, SUPABASE_ANON_KEY=anon_key)
    async with _session(anon_key, timeout) as http:
        try:
            answer = await http.get(_auth_url(supabase_url, "health"))
            body = answer.json_object() if answer.status == 200 else {}
        except HttpFailure as failure:
            # The health endpoint exists to answer; not answering is the outage itself.
            return failure.finding(CheckStatus.FAIL)
    if answer.status == 200:
        version = scrub(str(body.get("version") or "?"), limit=40)
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.auth.healthy", version=version, ms=answer.total_ms),
            data={"version": version, "name": body.get("name"), "elapsed_ms": answer.total_ms},
        )
    return _auth_error(answer, anon_key)


@guarded
async def check_auth_settings(
    *, supabase_url: str | None, anon_key: str | None, timeout: float
) -> Finding:
    """GET /auth/v1/settings: Google sign-in off fails (case B); email off or sign-up off warn."""
    if not (supabase_url and anon_key):
        return skipped_unless(SUPABASE_URL=supabase_url, SUPABASE_ANON_KEY=anon_key)
    async with _session(anon_key, timeout) as http:
        try:
            answer = await http.get(_auth_url(supabase_url, "settings"))
            if answer.status != 200:
                return _auth_error(answer, anon_key)
            settings = answer.json_object()
            external = settings.get("external")
            if not isinstance(external, dict):
                raise answer.bad_shape("no external providers object")
        except HttpFailure as failure:
            return failure.finding()
    providers = sorted(name for name, on in external.items() if on is True)
    data = {
        "providers": providers,
        "google": external.get("google") is True,
        "email": external.get("email") is True,
        "disable_signup": settings.get("disable_signup") is True,
        "mailer_autoconfirm": settings.get("mailer_autoconfirm") is True,
    }
    if not data["google"]:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.auth.google_off"),
            data={**data, "reason": "google_off"},
        )
    if not data["email"]:
        return Finding(status=CheckStatus.WARN, summary=msg("check.auth.email_off"), data=data)
    if data["disable_signup"]:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.auth.signup_disabled"), data=data
        )
    return Finding(
        status=CheckStatus.OK,
        summary=msg("check.auth.settings_ok", providers=", ".join(providers)),
        data=data,
    )


@guarded
async def check_auth_signin(
    *,
    supabase_url: str | None,
    anon_key: str | None,
    email: str | None,
    password: str | None,
    timeout: float,
    now: datetime | None = None,
) -> Finding:
    """Sign in the dedicated check account with a password grant; wrong credentials fail."""
    if not (supabase_url and anon_key and email and password):
        return skipped_unless(
            SUPABASE_URL=supabase_url,
            SUPABASE_ANON_KEY=anon_key,
            AILEX_AUTH_CHECK_EMAIL=email,
            AILEX_AUTH_CHECK_PASSWORD=password,
        )
    async with _session(anon_key, timeout, password) as http:
        try:
            answer = await http.request(
                "POST",
                _auth_url(supabase_url, "token"),
                params={"grant_type": "password"},
                body={"email": email, "password": password},
            )
            token = answer.json_object().get("access_token") if answer.status == 200 else None
            if answer.status == 200 and not isinstance(token, str):
                raise answer.bad_shape("no access_token")
        except HttpFailure as failure:
            return failure.finding()
    data: dict[str, Any] = {"account": email, "http_status": answer.status}
    if answer.status == 200 and isinstance(token, str):
        session = inspect_jwt(token, now=now or datetime.now(UTC))
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.auth.signin_ok", ms=answer.total_ms),
            data={**data, "elapsed_ms": answer.total_ms, "session": session.data},
        )
    error = answer.error_fields([anon_key, password])
    data["api_error"] = error
    code = error.get("code", "")
    if answer.status == 400 and code in _INVALID_CREDENTIALS:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.auth.signin_invalid"),
            data={**data, "reason": "invalid_credentials"},
        )
    if answer.status == 429:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg("check.auth.signin_rate_limited"),
            data={**data, "reason": "rate_limited"},
        )
    if answer.status in (400, 403, 422):
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.auth.signin_rejected", code=code or str(answer.status)),
            data={**data, "reason": "signin_rejected"},
        )
    return _auth_error(answer, anon_key, password)


def _auth_error(answer: Answer, *secrets: str) -> Finding:
    """401/403 means the project rejects our key; 5xx means Auth itself is failing."""
    if answer.status in (401, 403):
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.auth.key_rejected", code=answer.status),
            data={
                "http_status": answer.status,
                "api_error": answer.error_fields(secrets),
                "reason": "key_rejected",
            },
        )
    if answer.status >= 500:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.auth.unhealthy", code=answer.status),
            data={
                "http_status": answer.status,
                "api_error": answer.error_fields(secrets),
                "reason": "unhealthy",
            },
        )
    return status_finding(answer, secrets=secrets)


def inspect_jwt(token: str, *, now: datetime, expiring_minutes: float = 10.0) -> Finding:
    """Decode a JWT without verifying it: expiry, issuer, role, audience and algorithm.

    The token and its signature never appear in the result.
    """
    claims = _decode(token)
    if claims is None:
        return Finding(status=CheckStatus.ERROR, summary=msg("check.jwt.malformed"), data={})
    header, payload = claims
    now = ensure_aware(now)
    exp, iat = from_epoch_ms(_ms(payload.get("exp"))), from_epoch_ms(_ms(payload.get("iat")))
    aud = payload.get("aud")
    data: dict[str, Any] = {
        "alg": _short(header.get("alg")),
        "typ": _short(header.get("typ")),
        "kid": _short(header.get("kid")),
        "iss": _short(payload.get("iss")),
        "role": _short(payload.get("role")),
        "aud": [_short(a) for a in aud] if isinstance(aud, list) else _short(aud),
        "ref": _short(payload.get("ref")),
        "exp": iso(exp),
        "iat": iso(iat),
        "expires_in_seconds": int((exp - now).total_seconds()) if exp else None,
    }
    role = data["role"] or "-"
    if exp is None:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.jwt.no_exp", role=role), data=data
        )
    seconds = (exp - now).total_seconds()
    if seconds <= 0:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.jwt.expired", role=role, ago=age_text(int(-seconds // 60))),
            data=data,
        )
    left = age_text(int(seconds // 60))
    if seconds <= expiring_minutes * 60:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg("check.jwt.expiring", role=role, left=left),
            data=data,
        )
    return Finding(
        status=CheckStatus.OK, summary=msg("check.jwt.valid", role=role, left=left), data=data
    )


def _decode(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Header and payload of a compact JWS, or None when it is not one."""
    parts = token.strip().removeprefix("Bearer ").strip().split(".")
    if len(parts) != 3:
        return None
    try:
        header, payload = (
            json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            for part in parts[:2]
        )
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return header, payload


def _ms(seconds: object) -> float | None:
    """JWT times are seconds since the epoch; from_epoch_ms wants milliseconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    return seconds * 1000


def _short(value: object) -> str | None:
    return scrub(str(value), limit=100) if value is not None else None
