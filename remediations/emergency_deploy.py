"""Build and deploy the production branch's latest commit, bypassing CI (runbook 상황 6 긴급 배포).

The runbook runs `vercel --prod --yes` from a checkout; the bot has none, so it asks Vercel to
redeploy the production deployment with `withLatestCommit`: Vercel drops that deployment's
commit from its git source and builds the head of the same branch, with the project's
production settings and environment. The base is the deployment serving production (a Git
deployment known to build for this project); when none is READY, the newest production
deployment of any state. A reason is required: it is what the timeline keeps of why CI was
skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Unpack

from probes.base import ProbeFailure, msg
from probes.text import scrub
from probes.vercel import VercelArgs, current_production, state_of
from remediations.base import Outcome, Preview
from remediations.vercel_api import (
    DeploymentFacts,
    ProjectPlan,
    Refusal,
    VercelApi,
    failure_msg,
    preview_reads,
    previewed_plan,
    run_sync,
    unexpected,
)

ACTION = "emergency-deploy"
REASON_LIMIT = 300
_IN_PROGRESS = {"BUILDING", "INITIALIZING", "QUEUED"}
_FAILED = {"ERROR", "CANCELED"}

log = logging.getLogger(__name__)


class EmergencyDeployPlan(ProjectPlan):
    """What an approved emergency deploy acts on (Preview.data)."""

    # The project name Vercel's create-deployment call requires.
    name: str
    base: DeploymentFacts
    branch: str
    reason: str
    # A production build already running at preview time, if any (said, not blocking).
    in_progress: DeploymentFacts | None = None


def preview(
    *, argument: str | None = None, now: datetime | None = None, **vercel: Unpack[VercelArgs]
) -> Preview:
    """Say which branch would be built for production, from which deployment, and why."""
    title = msg("emergency_deploy.title", project=vercel["project_id"] or "?")
    # Free text typed in Slack: one line, nothing shaped like a credential.
    reason = scrub(argument or "", limit=REASON_LIMIT)

    async def reads(api: VercelApi, project: str) -> list[dict[str, Any]]:
        if not reason:
            raise Refusal(msg("emergency_deploy.no_reason"))
        return await _list(api, project)

    read = preview_reads(ACTION, title, reads, **vercel)
    if isinstance(read, Preview):
        return read
    project_id, deployments = read

    moment = now or datetime.now(UTC)
    chosen = current_production(deployments) or (deployments[0] if deployments else None)
    if chosen is None:
        return Preview(action=ACTION, summary=title, blocked=msg("emergency_deploy.no_base"))
    base = DeploymentFacts.of(chosen, moment)
    if not base.branch:
        # withLatestCommit needs a git source to take the branch from (a CLI upload has none).
        blocked = msg("emergency_deploy.no_git", deployment=base.host)
        return Preview(action=ACTION, summary=title, blocked=blocked)
    running = next((d for d in deployments if state_of(d) in _IN_PROGRESS), None)
    plan = EmergencyDeployPlan(
        project_id=project_id,
        name=base.name or project_id,
        base=base,
        branch=base.branch,
        reason=reason,
        in_progress=DeploymentFacts.of(running, moment) if running else None,
    )
    summary = msg("emergency_deploy.preview", branch=plan.branch, reason=reason)
    details = [
        msg("emergency_deploy.project", project=plan.name, project_id=project_id),
        msg("emergency_deploy.base", deployment=base.line(), state=base.state or "?", age=base.age),
    ]
    if plan.in_progress is not None:
        details.append(
            msg(
                "emergency_deploy.in_progress",
                deployment=plan.in_progress.host,
                state=plan.in_progress.state,
            )
        )
    return Preview(
        action=ACTION, summary=summary, details=details, data=plan.model_dump(mode="json")
    )


async def _list(api: VercelApi, project_id: str) -> list[dict[str, Any]]:
    async with api:
        return await api.deployments(project_id)


def execute(
    preview: Preview, *, now: datetime | None = None, **vercel: Unpack[VercelArgs]
) -> Outcome:
    """Start the production build of the branch head from the previewed base deployment."""
    checked = previewed_plan(ACTION, preview, EmergencyDeployPlan, **vercel)
    if isinstance(checked, Outcome):
        return checked
    plan, api = checked
    try:
        created = run_sync(_deploy(api, plan))
    except ProbeFailure as failure:
        failed = msg("emergency_deploy.failed", branch=plan.branch)
        return Outcome(ok=False, summary=failed, details=[failure_msg(failure)])
    except Exception as error:
        return Outcome(ok=False, summary=unexpected(ACTION, error))
    if created is None:
        gone = msg("emergency_deploy.base_gone", deployment=plan.base.host)
        return Outcome(ok=False, summary=gone)

    new = DeploymentFacts.of(created, now or datetime.now(UTC))
    log.info("emergency deploy: %s started from %s (%s)", new.id, plan.base.id, new.state)
    data = {
        "deployment": new.model_dump(mode="json"),
        "base": plan.base.id,
        "branch": plan.branch,
        "reason": plan.reason,
    }
    if new.state in _FAILED:
        summary = msg("emergency_deploy.errored", deployment=new.host, state=new.state)
        return Outcome(ok=False, summary=summary, data=data)
    summary = msg(
        "emergency_deploy.started", deployment=new.host, state=new.state or "?", branch=plan.branch
    )
    return Outcome(ok=True, summary=summary, details=[msg("emergency_deploy.watch")], data=data)


async def _deploy(api: VercelApi, plan: EmergencyDeployPlan) -> dict[str, Any] | None:
    """The created deployment, or None when the base deployment no longer exists."""
    async with api:
        if await api.deployment(plan.base.id) is None:
            return None
        return await api.redeploy(
            name=plan.name,
            project_id=plan.project_id,
            deployment_id=plan.base.id,
            latest_commit=True,
        )
