"""Point production back at an earlier deployment (runbook 상황 1 경우 A:
`vercel promote <이전-배포-url> --yes`).

The target is the READY production deployment just before the one serving production, or the
one named by id (`dpl_...`) or URL. Only deployments built for production qualify: a preview
deployment was built with preview environment variables, so promoting it means building it
again for production (what `vercel promote` asks to confirm), which is not a rollback. The
promote call points production at the existing build, no rebuild. Execution promotes only if the
target is still READY and production is still served by the deployment the approver saw
replaced, then watches briefly for the switch.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any, Unpack
from urllib.parse import quote

from probes.base import ProbeFailure, msg
from probes.http import StatusError
from probes.text import scrub
from probes.vercel import VercelArgs, current_production, rollback_candidate, state_of
from remediations.base import Outcome, Preview
from remediations.vercel_api import (
    DeploymentFacts,
    ProjectPlan,
    Refusal,
    VercelApi,
    api_error,
    failure_msg,
    preview_reads,
    previewed_plan,
    run_sync,
    unexpected,
)

ACTION = "rollback"
WAIT_S = 10.0
POLL_INTERVAL_S = 1.0

_DEPLOYMENT_ID = re.compile(r"dpl_[A-Za-z0-9]{4,64}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{4,253}}$){_LABEL}(?:\.{_LABEL})+")

log = logging.getLogger(__name__)


class RollbackPlan(ProjectPlan):
    """What an approved rollback acts on (Preview.data)."""

    target: DeploymentFacts
    # The deployment serving production at preview time; execution refuses if that changed.
    replaces: DeploymentFacts | None
    # The deployment as the requester named it, or None for 'the previous one'.
    named: str | None = None


def deployment_reference(argument: str) -> str | None:
    """A deployment id or hostname from what a person typed (a URL, a Slack link, a bare host)."""
    text = argument.strip().strip("<>").split("|")[0].strip()
    if _DEPLOYMENT_ID.fullmatch(text):
        return text
    host = re.sub(r"^[a-z]+://", "", text.lower()).split("/")[0].split("?")[0]
    return host if _HOSTNAME.fullmatch(host) else None


def _is(deployment: dict[str, Any] | None, reference: str) -> bool:
    if deployment is None:
        return False
    url = str(deployment.get("url") or "").split("://")[-1].rstrip("/").lower()
    return reference in (deployment.get("uid"), deployment.get("id"), url)


def _id(deployment: dict[str, Any] | None) -> str | None:
    return str(deployment.get("uid") or deployment.get("id")) if deployment else None


def preview(
    *, argument: str | None = None, now: datetime | None = None, **vercel: Unpack[VercelArgs]
) -> Preview:
    """Name the deployment a rollback would promote and the one it would replace."""
    title = msg("rollback.title", project=vercel["project_id"] or "?")

    async def reads(api: VercelApi, project: str) -> RollbackPlan:
        reference = None
        if argument and argument.strip():
            reference = deployment_reference(argument)
            if reference is None:
                raise Refusal(msg("rollback.bad_argument", argument=scrub(argument, limit=80)))
        return await _plan(api, project, reference, now or datetime.now(UTC))

    read = preview_reads(ACTION, title, reads, **vercel)
    if isinstance(read, Preview):
        return read
    _, plan = read
    current = plan.replaces
    summary = msg(
        "rollback.preview", target=plan.target.host, current=current.host if current else "-"
    )
    details = [msg("rollback.target", deployment=plan.target.line(), age=plan.target.age)]
    if current is not None:
        details.append(msg("rollback.current", deployment=current.line(), age=current.age))
    else:
        details.append(msg("rollback.no_current_serving"))
    return Preview(
        action=ACTION, summary=summary, details=details, data=plan.model_dump(mode="json")
    )


async def _plan(
    api: VercelApi, project_id: str, reference: str | None, now: datetime
) -> RollbackPlan:
    async with api:
        deployments = await api.deployments(project_id)
        current = current_production(deployments)
        if reference is None:
            if current is None:
                raise Refusal(msg("rollback.no_ready", count=len(deployments)))
            target = rollback_candidate(deployments, current)
            if target is None:
                here = DeploymentFacts.of(current, now).host
                raise Refusal(msg("rollback.no_previous", current=here, count=len(deployments)))
        else:
            # The list is the newest 20; anything older is looked up by id or hostname.
            listed = next((d for d in deployments if _is(d, reference)), None)
            target = listed or await api.deployment(reference)
            if target is None:
                raise Refusal(msg("rollback.not_found", deployment=reference))
    facts = DeploymentFacts.of(target, now)
    _check_target(target, facts, project_id)
    if current is not None and _id(current) == facts.id:
        raise Refusal(msg("rollback.already_serving", deployment=facts.host))
    replaces = DeploymentFacts.of(current, now) if current is not None else None
    return RollbackPlan(project_id=project_id, target=facts, replaces=replaces, named=reference)


def _check_target(target: dict[str, Any], facts: DeploymentFacts, project_id: str) -> None:
    """Refuse a deployment of another project, one not READY, or one not built for production."""
    if facts.project_id and facts.project_id != project_id:
        raise Refusal(
            msg("rollback.other_project", deployment=facts.host, project=facts.project_id)
        )
    if state_of(target) != "READY":
        raise Refusal(msg("rollback.not_ready", deployment=facts.host, state=facts.state or "?"))
    if facts.target != "production":
        raise Refusal(msg("rollback.not_production", deployment=facts.host))


def execute(
    preview: Preview,
    *,
    wait_s: float = WAIT_S,
    poll_interval_s: float = POLL_INTERVAL_S,
    **vercel: Unpack[VercelArgs],
) -> Outcome:
    """Promote the previewed deployment if it is still READY and production has not moved since,
    then watch up to wait_s for production to switch to it."""
    checked = previewed_plan(ACTION, preview, RollbackPlan, **vercel)
    if isinstance(checked, Outcome):
        return checked
    plan, api = checked
    try:
        return run_sync(_promote(api, plan, wait_s, poll_interval_s))
    except Refusal as refusal:
        return Outcome(ok=False, summary=refusal.sentence)
    except ProbeFailure as failure:
        return Outcome(
            ok=False,
            summary=msg("rollback.failed", deployment=plan.target.host),
            details=[failure_msg(failure)],
        )
    except Exception as error:
        return Outcome(ok=False, summary=unexpected(ACTION, error))


async def _promote(
    api: VercelApi, plan: RollbackPlan, wait_s: float, poll_interval_s: float
) -> Outcome:
    target = plan.target
    async with api:
        found = await api.deployment(target.id)
        if found is None:
            raise Refusal(msg("rollback.target_gone", deployment=target.host))
        if state_of(found) != "READY":
            state = state_of(found) or "?"
            raise Refusal(msg("rollback.not_ready", deployment=target.host, state=state))
        serving = _id(current_production(await api.deployments(plan.project_id)))
        if serving == target.id:
            return Outcome(
                ok=True,
                summary=msg("rollback.already_done", deployment=target.host),
                data={"promoted": None, "serving": target.id, "confirmed": True},
            )
        expected = plan.replaces.id if plan.replaces else None
        if serving != expected:
            raise Refusal(
                msg("rollback.production_changed", expected=expected or "-", actual=serving or "-")
            )
        log.info("rollback: promoting %s to production (replacing %s)", target.id, serving)
        path = f"/v10/projects/{quote(plan.project_id, safe='')}/promote/{target.id}"
        try:
            answer = await api.call("POST", path)
        except StatusError as error:
            if error.answer.status == 409:
                conflict = msg("rollback.conflict", error=api_error(error.answer, api.secrets))
                return Outcome(ok=False, summary=conflict)
            raise
    confirmed = await _wait_for_production(api, plan, wait_s, poll_interval_s)
    log.info("rollback: promote %s -> HTTP %d, confirmed %s", target.id, answer.status, confirmed)
    data = {
        "promoted": target.id,
        "replaced": expected,
        "http_status": answer.status,
        "confirmed": confirmed,
        "target": target.model_dump(mode="json"),
    }
    if confirmed:
        replaced = plan.replaces.host if plan.replaces else "-"
        summary = msg("rollback.done", deployment=target.host, replaced=replaced)
        return Outcome(ok=True, summary=summary, data=data)
    pending = msg("rollback.accepted", deployment=target.host, seconds=f"{wait_s:g}")
    return Outcome(ok=True, summary=pending, data=data)


async def _switched(api: VercelApi, plan: RollbackPlan) -> bool:
    """Whether production now serves the target, as the list shows it; for a target older than
    the listed twenty, by its own substate when no listed deployment is promoted."""
    deployments = await api.deployments(plan.project_id)
    if any(_is(d, plan.target.id) for d in deployments):
        return _id(current_production(deployments)) == plan.target.id
    if any(d.get("readySubstate") == "PROMOTED" for d in deployments if state_of(d) == "READY"):
        return False
    target = await api.deployment(plan.target.id)
    return target is not None and target.get("readySubstate") == "PROMOTED"


async def _wait_for_production(
    api: VercelApi, plan: RollbackPlan, wait_s: float, poll_interval_s: float
) -> bool:
    """Whether production switched to the target within wait_s (Vercel may promote async)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            async with api:  # a fresh deadline for each look
                if await _switched(api, plan):
                    return True
        except ProbeFailure:
            pass  # a failed look is no answer; keep watching until the deadline
        if time.monotonic() + poll_interval_s > deadline:
            return False
        await asyncio.sleep(poll_interval_s)
