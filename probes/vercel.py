"""Vercel deployments: what serves production, whether it went live just before the incident,
and the error lines of its build events (runbook 상황 1 A and 상황 6), as `vercel ls` shows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NotRequired, TypedDict, TypeVar, Unpack

from probes.base import CheckStatus, Finding, ProbeFailure, guarded, msg, skipped_unless
from probes.http import HttpSession
from probes.text import age_text, ensure_aware, from_epoch_ms, iso, minutes_between, scrub, truncate

T = TypeVar("T")


class VercelArgs(TypedDict):
    """The VERCEL_* settings, as every Vercel check and remediation takes them."""

    api_url: str
    token: str | None
    project_id: str | None
    timeout: float
    team_id: NotRequired[str | None]


SERVICE = "Vercel API"
# A deployment that went live this long before the incident began is the runbook's case A.
RECENT_WINDOW_MINUTES = 60
_ERROR_EVENT_TYPES = {"stderr", "fatal", "error"}
_IN_PROGRESS = {"BUILDING", "INITIALIZING", "QUEUED"}


@guarded
async def check_vercel_deployments(
    *,
    limit: int = 20,
    incident_started_at: datetime | None = None,
    recent_window_minutes: int = RECENT_WINDOW_MINUTES,
    **vercel: Unpack[VercelArgs],
) -> Finding:
    """The current production deployment, its age, a recent go-live (case A) and newer failures."""
    now = datetime.now(UTC)
    deployments = await _reading(
        vercel,
        lambda http, project: list_deployments(
            http,
            api_url=vercel["api_url"],
            project_id=project,
            team_id=vercel.get("team_id"),
            limit=limit,
        ),
    )
    if isinstance(deployments, Finding):
        return deployments
    if not deployments:
        return Finding(status=CheckStatus.FAIL, summary=msg("check.vercel.none"), data={})
    current = current_production(deployments)
    failed = _newest_failed_after(deployments, current)
    data: dict[str, Any] = {
        "count": len(deployments),
        "current": describe(current, now) if current else None,
        "rollback_candidate": _described(rollback_candidate(deployments, current), now),
        "failed": _described(failed, now),
        "recent_deploy": False,
    }
    if current is None:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.vercel.no_ready", count=len(deployments)),
            data=data,
        )
    reference = ensure_aware(incident_started_at) if incident_started_at else now
    live_at = went_live(current)
    name = _display(current)
    if live_at and timedelta(0) <= reference - live_at <= timedelta(minutes=recent_window_minutes):
        data.update(
            recent_deploy=True,
            deployment=data["current"],
            reference=iso(reference),
            window_minutes=recent_window_minutes,
        )
        minutes = minutes_between(live_at, reference)
        key = (
            "check.vercel.recent_before_incident" if incident_started_at else "check.vercel.recent"
        )
        return Finding(
            status=CheckStatus.WARN, summary=msg(key, deployment=name, minutes=minutes), data=data
        )
    if failed is not None:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg(
                "check.vercel.newer_failed",
                deployment=name,
                failed=_display(failed),
                code=_error_code(failed),
            ),
            data=data,
        )
    age = age_text(minutes_between(live_at, now)) if live_at else "?"
    return Finding(
        status=CheckStatus.OK,
        summary=msg("check.vercel.current", deployment=name, age=age),
        data=data,
    )


@guarded
async def check_vercel_deployment_errors(
    *,
    deployment_id: str | None = None,
    limit: int = 200,
    max_lines: int = 5,
    **vercel: Unpack[VercelArgs],
) -> Finding:
    """Error lines (stderr, fatal, level error) in the current production deployment's events."""
    now = datetime.now(UTC)

    async def reads(
        http: HttpSession, project: str
    ) -> Finding | tuple[str, dict[str, Any], list[str], int]:
        if deployment_id is None:
            deployments = await list_deployments(
                http, api_url=vercel["api_url"], project_id=project, team_id=vercel.get("team_id")
            )
            current = current_production(deployments)
            if current is None:
                return Finding(
                    status=CheckStatus.WARN,
                    summary=msg("check.vercel.no_ready", count=len(deployments)),
                    data={"count": len(deployments)},
                )
            chosen, described = _id(current), describe(current, now)
        else:
            chosen, described = deployment_id, {"id": deployment_id}
        errors, read = await error_lines(
            http,
            api_url=vercel["api_url"],
            deployment_id=chosen,
            team_id=vercel.get("team_id"),
            limit=limit,
        )
        return chosen, described, errors, read

    outcome = await _reading(vercel, reads)
    if isinstance(outcome, Finding):
        return outcome
    deployment_id, described, errors, read = outcome
    data = {"deployment": described, "events_read": read, "error_count": len(errors)}
    name = _display(described or {"id": deployment_id})
    if not errors:
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.vercel.events_clean", deployment=name, events=read),
            data={**data, "lines": []},
        )
    return Finding(
        status=CheckStatus.WARN,
        summary=msg(
            "check.vercel.events_errors",
            deployment=name,
            count=len(errors),
            last=truncate(errors[-1], 80),
        ),
        data={**data, "lines": errors[-max_lines:]},
    )


@guarded
async def check_vercel_failed_build(
    *,
    limit: int = 20,
    max_lines: int = 8,
    **vercel: Unpack[VercelArgs],
) -> Finding:
    """Whether the newest production deployment failed, with its error code and build errors."""
    now = datetime.now(UTC)

    async def reads(http: HttpSession, project: str) -> Finding | dict[str, Any] | None:
        deployments = await list_deployments(
            http,
            api_url=vercel["api_url"],
            project_id=project,
            team_id=vercel.get("team_id"),
            limit=limit,
        )
        newest = deployments[0] if deployments else None
        if newest is None or state_of(newest) != "ERROR":
            return newest
        data: dict[str, Any] = {"newest": describe(newest, now), "state": "ERROR"}
        try:
            lines, _ = await error_lines(
                http,
                api_url=vercel["api_url"],
                deployment_id=_id(newest),
                team_id=vercel.get("team_id"),
            )
            data.update(lines=lines[-max_lines:], error_count=len(lines))
        except ProbeFailure as failure:
            # The build's failure is known without its log: say so rather than lose it.
            data.update(lines=[], events_error=failure.kind)
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg(
                "check.vercel.build_failed", deployment=_display(newest), code=_error_code(newest)
            ),
            data=data,
        )

    newest = await _reading(vercel, reads)
    if isinstance(newest, Finding):
        return newest
    if newest is None:
        return Finding(status=CheckStatus.WARN, summary=msg("check.vercel.none"), data={})
    state = state_of(newest)
    data = {"newest": describe(newest, now), "state": state}
    name = _display(newest)
    if state in _IN_PROGRESS:
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.vercel.build_running", deployment=name, state=state),
            data=data,
        )
    if state == "READY":
        return Finding(
            status=CheckStatus.OK, summary=msg("check.vercel.build_ok", deployment=name), data=data
        )
    return Finding(
        status=CheckStatus.WARN,
        summary=msg("check.vercel.build_other", deployment=name, state=state or "?"),
        data=data,
    )


# -- shared Vercel machinery -------------------------------------------------------------


async def _reading(
    vercel: VercelArgs, reads: Callable[[HttpSession, str], Awaitable[T]]
) -> T | Finding:
    """How every Vercel check starts: skipped without the token and project, else `reads` of
    the project in one session; a failed call comes back as its Finding."""
    token, project_id = vercel["token"], vercel["project_id"]
    if not token or not project_id:
        return skipped_unless(VERCEL_TOKEN=token, VERCEL_PROJECT_ID=project_id)
    async with _session(token, vercel["timeout"]) as http:
        try:
            return await reads(http, project_id)
        except ProbeFailure as failure:
            return failure.finding()


def _session(token: str, timeout: float) -> HttpSession:
    return HttpSession(
        SERVICE,
        timeout=timeout,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        secrets=[token],
    )


def _params(team_id: str | None, **params: str | int) -> dict[str, str | int]:
    return {**params, **({"teamId": team_id} if team_id else {})}


async def list_deployments(
    http: HttpSession,
    *,
    api_url: str,
    project_id: str,
    team_id: str | None,
    limit: int = 20,
    target: str = "production",
) -> list[dict[str, Any]]:
    """Deployments of a project for a target, newest first (GET /v6/deployments)."""
    answer = await http.get_ok(
        f"{api_url.rstrip('/')}/v6/deployments",
        params=_params(team_id, projectId=project_id, target=target, limit=limit),
    )
    deployments = answer.json_object().get("deployments")
    if not isinstance(deployments, list):
        raise answer.bad_shape("no deployments list")
    valid = [d for d in deployments if isinstance(d, dict) and _id(d)]
    return sorted(
        valid, key=lambda d: _created(d) or datetime.min.replace(tzinfo=UTC), reverse=True
    )


async def error_lines(
    http: HttpSession,
    *,
    api_url: str,
    deployment_id: str,
    team_id: str | None,
    limit: int = 200,
) -> tuple[list[str], int]:
    """A deployment's error lines, oldest first, and how many events were read."""
    answer = await http.get_ok(
        f"{api_url.rstrip('/')}/v3/deployments/{deployment_id}/events",
        params=_params(team_id, direction="backward", limit=limit),
    )
    body = answer.json()
    events = body.get("events") if isinstance(body, dict) else body
    if not isinstance(events, list):
        raise answer.bad_shape("events are not a list")
    lines = [line for event in events if (line := _error_line(event)) is not None]
    # direction=backward gives the newest first; a log reads oldest first.
    lines.reverse()
    return lines, len(events)


def _error_line(event: object) -> str | None:
    if not isinstance(event, dict):
        return None
    payload = event.get("payload")
    if not isinstance(payload, dict):
        payload = {}
    kind = event.get("type")
    level = event.get("level") or payload.get("level")
    if kind not in _ERROR_EVENT_TYPES and level != "error":
        return None
    text = event.get("text") or payload.get("text") or ""
    return scrub(str(text), limit=200) if str(text).strip() else None


def state_of(deployment: dict[str, Any]) -> str:
    """A deployment's state, under either of the names Vercel uses."""
    return str(deployment.get("state") or deployment.get("readyState") or "")


def current_production(deployments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The deployment serving production: the newest READY one PROMOTED, else the newest READY."""
    ready = [d for d in deployments if state_of(d) == "READY"]
    promoted = [d for d in ready if d.get("readySubstate") == "PROMOTED"]
    serving = promoted or ready
    return serving[0] if serving else None


def rollback_candidate(
    deployments: list[dict[str, Any]], current: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The newest READY deployment older than the current one: what a rollback would promote."""
    if current is None:
        return None
    current_created = _created(current)
    for deployment in deployments:
        created = _created(deployment)
        if (
            deployment is not current
            and state_of(deployment) == "READY"
            and created is not None
            and current_created is not None
            and created < current_created
        ):
            return deployment
    return None


def _newest_failed_after(
    deployments: list[dict[str, Any]], current: dict[str, Any] | None
) -> dict[str, Any] | None:
    newest = deployments[0] if deployments else None
    if newest is None or state_of(newest) != "ERROR" or newest is current:
        return None
    return newest


def went_live(deployment: dict[str, Any]) -> datetime | None:
    """When a deployment became ready (its creation time when Vercel does not say)."""
    return from_epoch_ms(deployment.get("ready")) or _created(deployment)


def describe(deployment: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The facts of a deployment an on-call engineer needs, JSON-ready and free of secrets."""
    meta = deployment.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    created = _created(deployment)
    live = went_live(deployment)
    url = deployment.get("url")
    facts: dict[str, Any] = {
        "id": _id(deployment),
        "url": f"https://{url}" if isinstance(url, str) and "://" not in url else url,
        "state": state_of(deployment),
        "ready_substate": deployment.get("readySubstate"),
        "target": deployment.get("target"),
        "created": iso(created),
        "ready": iso(live),
        "age_minutes": minutes_between(live, now) if live else None,
        "commit": str(meta.get("githubCommitSha") or "")[:7] or None,
        "branch": meta.get("githubCommitRef"),
        "message": truncate(str(meta.get("githubCommitMessage") or ""), 100) or None,
        "inspector_url": deployment.get("inspectorUrl"),
    }
    if deployment.get("errorCode") or deployment.get("errorMessage"):
        facts["error_code"] = _error_code(deployment)
        facts["error_message"] = scrub(str(deployment.get("errorMessage") or ""))
    return facts


def _described(deployment: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    return describe(deployment, now) if deployment else None


def _error_code(deployment: dict[str, Any]) -> str:
    return scrub(str(deployment.get("errorCode") or "ERROR"), limit=60)


def _id(deployment: dict[str, Any]) -> str:
    return str(deployment.get("uid") or deployment.get("id") or "")


def _created(deployment: dict[str, Any]) -> datetime | None:
    return from_epoch_ms(deployment.get("created")) or from_epoch_ms(deployment.get("createdAt"))


def _display(deployment: dict[str, Any]) -> str:
    """A short name for a sentence: its URL host, else its id."""
    url = deployment.get("url")
    if isinstance(url, str) and url:
        return url.split("://")[-1].rstrip("/")
    return _id(deployment) or "?"
