"""Is the OpenAI key usable? `GET /models` as the runbook's curl does (상황 3)."""

from __future__ import annotations

from typing import Any

from probes.base import CheckStatus, Finding, guarded, msg, skipped
from probes.http import Answer, HttpFailure, HttpSession, status_finding

SERVICE = "OpenAI API"


@guarded
async def check_openai_key(*, base_url: str, api_key: str | None, timeout: float) -> Finding:
    """Key validity: bad key or no quota fail (case B), rate limited warns (C), 5xx fails (A)."""
    if not api_key:
        return skipped("OPENAI_API_KEY")
    async with HttpSession(
        SERVICE,
        timeout=timeout,
        headers={"Authorization": f"Bearer {api_key}"},
        secrets=[api_key],
    ) as http:
        try:
            answer = await http.get(f"{base_url.rstrip('/')}/models")
            models = answer.json_object().get("data") if answer.status == 200 else []
            if not isinstance(models, list):
                raise answer.bad_shape("no data list")
        except HttpFailure as failure:
            return failure.finding()
    data: dict[str, Any] = {"http_status": answer.status, **_rate_headers(answer)}
    if answer.status == 200:
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.openai.key_ok", models=len(models)),
            data={**data, "models": len(models)},
        )
    # OpenAI's 401 message echoes part of the key: keep only its code and type, scrubbed.
    error = answer.error_fields([api_key])
    if answer.status == 401:
        error.pop("message", None)
    code = error.get("code") or error.get("type") or ""
    data["api_error"] = error
    if answer.status == 401:
        return _finding(CheckStatus.FAIL, "check.openai.key_invalid", "invalid_key", data)
    if answer.status == 429 and "insufficient_quota" in (code, error.get("type")):
        return _finding(CheckStatus.FAIL, "check.openai.quota", "insufficient_quota", data)
    if answer.status == 429:
        return _finding(CheckStatus.WARN, "check.openai.rate_limited", "rate_limited", data)
    if answer.status >= 500:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.openai.server_error", code=answer.status),
            data={**data, "reason": "server_error"},
        )
    if answer.status == 403:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.openai.forbidden", code=code or "403"),
            data={**data, "reason": "forbidden"},
        )
    return status_finding(answer, secrets=[api_key], **_rate_headers(answer))


def _finding(status: CheckStatus, key: str, reason: str, data: dict[str, Any]) -> Finding:
    return Finding(status=status, summary=msg(key), data={**data, "reason": reason})


def _rate_headers(answer: Answer) -> dict[str, Any]:
    """OpenAI's x-ratelimit-* headers and the request id, when present."""
    limits = {
        name.removeprefix("x-ratelimit-"): value[:40]
        for name, value in answer.headers.items()
        if name.lower().startswith("x-ratelimit-")
    }
    request_id = answer.headers.get("x-request-id")
    return {
        **({"rate_limits": limits} if limits else {}),
        **({"request_id": request_id[:80]} if request_id else {}),
    }
