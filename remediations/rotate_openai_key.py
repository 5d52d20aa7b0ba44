"""Replace the production OPENAI_API_KEY and redeploy (runbook 상황 3 경우 B:
`vercel env rm/add OPENAI_API_KEY production`, then `vercel --prod`).

The new key is typed by the approver at approval time and handed to `execute` only: it is
never in the preview, the stored data, an outcome, a sentence or a log line. Execution first
checks the new key with OpenAI (`GET /models`, the runbook's own check) and changes nothing
unless it is accepted; then it replaces the value of the variable(s) production reads (or
creates one), then rebuilds the production deployment so that the new value takes effect.

A variable shared by production and other environments (preview, development) keeps its
targets: those get the new key too, and the preview says so. The runbook's rm/add would split
it in two instead; changing one shared variable in place leaves no environment without a key.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Unpack
from urllib.parse import quote

from pydantic import BaseModel

from probes.base import CheckStatus, Msg, ProbeFailure, msg
from probes.http import StatusError
from probes.openai import check_openai_key
from probes.text import scrub
from probes.vercel import VercelArgs, current_production
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

ACTION = "rotate-openai-key"
ENV_KEY = "OPENAI_API_KEY"
# Types whose value Vercel stores encrypted; anything else is upgraded to encrypted.
_KEPT_TYPES = {"encrypted", "sensitive"}

log = logging.getLogger(__name__)


class EnvVar(BaseModel):
    """One OPENAI_API_KEY variable production reads: its id and where it applies, no value."""

    id: str
    targets: list[str]
    type: str


class RotatePlan(ProjectPlan):
    """What an approved rotation acts on (Preview.data): ids only, never a key."""

    name: str
    # Empty: production has no OPENAI_API_KEY and one is created.
    env_vars: list[EnvVar]
    deployment: DeploymentFacts


class _Stop(Exception):
    """Execution stopped: the outcome to report."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.summary.key)
        self.outcome = outcome


def preview(
    *, argument: str | None = None, now: datetime | None = None, **vercel: Unpack[VercelArgs]
) -> Preview:
    """Find production's OPENAI_API_KEY variable(s) and the deployment to rebuild with it."""
    title = msg("rotate_key.title", project=vercel["project_id"] or "?")

    async def reads(api: VercelApi, project: str) -> tuple[list[EnvVar], list[dict[str, Any]]]:
        if argument and argument.strip():
            # Most likely the key itself, typed into the channel: never echo it, ask for the
            # modal.
            raise Refusal(msg("rotate_key.no_argument"))
        return await _read(api, project)

    read = preview_reads(ACTION, title, reads, **vercel)
    if isinstance(read, Preview):
        return read
    project_id, (env_vars, deployments) = read

    current = current_production(deployments)
    if current is None:
        blocked = msg("rotate_key.no_deployment", count=len(deployments))
        return Preview(action=ACTION, summary=title, blocked=blocked)
    deployment = DeploymentFacts.of(current, now or datetime.now(UTC))
    plan = RotatePlan(
        project_id=project_id,
        name=deployment.name or project_id,
        env_vars=env_vars,
        deployment=deployment,
    )
    summary = msg("rotate_key.preview", project=plan.name)
    details: list[Msg] = [msg("rotate_key.check_first")]
    for var in env_vars:
        details.append(
            msg("rotate_key.env", id=var.id, targets=", ".join(var.targets), type=var.type)
        )
        others = [target for target in var.targets if target != "production"]
        if others:
            details.append(msg("rotate_key.shared", id=var.id, targets=", ".join(others)))
    if not env_vars:
        details.append(msg("rotate_key.env_missing"))
    details.append(msg("rotate_key.redeploy", deployment=deployment.line(), age=deployment.age))
    return Preview(
        action=ACTION, summary=summary, details=details, data=plan.model_dump(mode="json")
    )


async def _read(api: VercelApi, project_id: str) -> tuple[list[EnvVar], list[dict[str, Any]]]:
    async with api:
        answer = await api.call("GET", f"/v10/projects/{quote(project_id, safe='')}/env")
        body = answer.json_object()
        envs = body.get("envs")
        if not isinstance(envs, list):
            raise answer.bad_shape("no envs list")
        deployments = await api.deployments(project_id)
    return [var for env in envs if (var := _production_key(env)) is not None], deployments


def _production_key(env: object) -> EnvVar | None:
    """The variable as an EnvVar if it is OPENAI_API_KEY and production reads it."""
    if not isinstance(env, dict) or env.get("key") != ENV_KEY or not env.get("id"):
        return None
    target = env.get("target")
    targets = [target] if isinstance(target, str) else target
    if not isinstance(targets, list) or "production" not in targets:
        return None
    return EnvVar(id=str(env["id"]), targets=[str(t) for t in targets], type=str(env.get("type")))


def execute(
    preview: Preview,
    *,
    new_key: str,
    openai_base_url: str,
    now: datetime | None = None,
    **vercel: Unpack[VercelArgs],
) -> Outcome:
    """Check the new key with OpenAI; only if accepted, put it in production's variable(s) and
    rebuild the production deployment with it."""
    key = new_key.strip()
    checked = previewed_plan(ACTION, preview, RotatePlan, secrets=[key], **vercel)
    if isinstance(checked, Outcome):
        return checked
    plan, api = checked
    if not key:
        return Outcome(ok=False, summary=msg("rotate_key.no_key"))
    if not key.isascii() or not key.isprintable() or " " in key:
        # It goes into an HTTP header: refuse what would break it (a pasted newline, say).
        return Outcome(ok=False, summary=msg("rotate_key.key_malformed"))
    try:
        return run_sync(_rotate(api, plan, key, openai_base_url, vercel["timeout"], now))
    except _Stop as stop:
        return stop.outcome
    except Exception as error:
        return Outcome(ok=False, summary=unexpected(ACTION, error))


async def _rotate(
    api: VercelApi,
    plan: RotatePlan,
    key: str,
    openai_base_url: str,
    timeout: float,
    now: datetime | None,
) -> Outcome:
    details = await _check_key(key, openai_base_url, timeout)
    async with api:
        # The build to redo must still exist before anything is changed.
        if await api.deployment(plan.deployment.id) is None:
            gone = msg("rotate_key.deployment_gone", deployment=plan.deployment.host)
            raise _Stop(Outcome(ok=False, summary=gone, data={"changed": False}))
    updated = await _put_key(api, plan, key)
    if plan.env_vars:
        details += [msg("rotate_key.env_updated", id=var_id) for var_id in updated]
    else:
        details += [msg("rotate_key.env_created", id=var_id) for var_id in updated]
    data: dict[str, Any] = {"env_vars": updated, "created": not plan.env_vars, "deployment": None}
    try:
        async with api:
            created = await api.redeploy(
                name=plan.name,
                project_id=plan.project_id,
                deployment_id=plan.deployment.id,
                latest_commit=False,
            )
    except ProbeFailure as failure:
        log.warning("openai key replaced in %s but the redeploy failed: %s", updated, failure.kind)
        details.append(failure_msg(failure))
        failed = msg("rotate_key.redeploy_failed")
        return Outcome(ok=False, summary=failed, details=details, data=data)
    new = DeploymentFacts.of(created, now or datetime.now(UTC))
    data["deployment"] = new.model_dump(mode="json")
    data["redeployed_from"] = plan.deployment.id
    log.info("openai key replaced in %s; production rebuilding as %s", updated, new.id)
    summary = msg("rotate_key.done", deployment=new.host, state=new.state or "?")
    return Outcome(ok=True, summary=summary, details=details, data=data)


async def _check_key(key: str, openai_base_url: str, timeout: float) -> list[Msg]:
    """The runbook's key check on the new key; _Stop, nothing changed, unless it is accepted."""
    finding = await check_openai_key(base_url=openai_base_url, api_key=key, timeout=timeout)
    if finding.status == CheckStatus.OK:
        return []
    reason = finding.data.get("reason")
    if reason == "rate_limited":
        # Throttled, but authenticated: the key is good.
        return [msg("rotate_key.key_rate_limited")]
    if reason == "invalid_key":
        refusal = msg("rotate_key.key_invalid")
    elif reason == "insufficient_quota":
        refusal = msg("rotate_key.key_quota")
    elif reason == "forbidden":
        refusal = msg("rotate_key.key_forbidden", code=_code(finding.data))
    elif reason == "server_error":
        refusal = msg("rotate_key.openai_error", code=finding.data.get("http_status", "?"))
    else:
        # A transport failure (its kind), another status, or an unforeseen error's type.
        error = finding.data.get("error") or f"HTTP {finding.data.get('http_status', '?')}"
        refusal = msg("rotate_key.key_unverified", error=str(error)[:60])
    log.warning("new openai key refused before any change: %s", reason or finding.summary.key)
    raise _Stop(Outcome(ok=False, summary=refusal, data={"changed": False}))


def _code(data: dict[str, Any]) -> str:
    error = data.get("api_error")
    code = error.get("code") if isinstance(error, dict) else None
    return str(code or data.get("http_status") or "?")[:60]


async def _put_key(api: VercelApi, plan: RotatePlan, key: str) -> list[str]:
    """Write the key into each previewed variable, or create production's; the ids written."""
    project = quote(plan.project_id, safe="")
    done: list[str] = []
    async with api:
        try:
            if not plan.env_vars:
                done.append(await _create(api, project, key))
            for var in plan.env_vars:
                kind = var.type if var.type in _KEPT_TYPES else "encrypted"
                body = {"value": key, "type": kind, "target": var.targets}
                try:
                    await api.call("PATCH", f"/v9/projects/{project}/env/{var.id}", body=body)
                except StatusError as error:
                    if error.answer.status == 404:
                        gone = msg("rotate_key.env_gone", id=var.id)
                        raise _Stop(_not_written(gone, done)) from None
                    raise
                done.append(var.id)
        except ProbeFailure as failure:
            raise _Stop(_not_written(failure_msg(failure), done)) from None
    return done


async def _create(api: VercelApi, project: str, key: str) -> str:
    """Create production's OPENAI_API_KEY (upsert: one created meanwhile is overwritten)."""
    body = {"key": ENV_KEY, "value": key, "type": "encrypted", "target": ["production"]}
    answer = await api.call(
        "POST", f"/v10/projects/{project}/env", params={"upsert": "true"}, body=body
    )
    result = answer.json_object()
    failed = result.get("failed")
    if isinstance(failed, list) and failed:
        # 201 with the variable under `failed`: Vercel refused it, say its reason.
        first = failed[0] if isinstance(failed[0], dict) else {}
        error = first.get("error")
        error = error if isinstance(error, dict) else {}
        reason = ": ".join(str(error.get(k)) for k in ("code", "message") if error.get(k))
        text = scrub(reason or "-", api.secrets, limit=160)
        raise _Stop(_not_written(msg("rotate_key.create_refused", error=text), []))
    created = result.get("created")
    created = created[0] if isinstance(created, list) and created else created
    if not isinstance(created, dict) or not created.get("id"):
        raise answer.bad_shape("no created variable")
    return str(created["id"])


def _not_written(reason: Msg, done: list[str]) -> Outcome:
    """The outcome of a write that failed: what was written before it, if anything."""
    if done:
        summary = msg("rotate_key.partly_updated", updated=", ".join(done))
    else:
        summary = msg("rotate_key.update_failed")
    return Outcome(
        ok=False, summary=summary, details=[reason], data={"changed": bool(done), "env_vars": done}
    )
