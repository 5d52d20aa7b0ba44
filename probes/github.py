"""GitHub Actions: the latest runs of the deploy workflow and, when one failed, which stage
(lint, typecheck, test, build, deploy) broke (상황 6)."""

from __future__ import annotations

import re
from typing import Any

from probes.base import CheckStatus, Finding, ProbeFailure, guarded, msg
from probes.http import Answer, HttpFailure, HttpSession, status_finding
from probes.text import scrub, truncate

SERVICE = "GitHub API"
_FAILED = {"failure", "timed_out", "startup_failure"}
# First match wins; a step's name is tried before its job's. "vercel build" is a build.
_STAGES = (
    ("typecheck", re.compile(r"\btsc\b|type[- ]?check", re.I)),
    ("lint", re.compile(r"lint", re.I)),
    ("test", re.compile(r"vitest|jest|\btest", re.I)),
    ("build", re.compile(r"\bbuild", re.I)),
    ("deploy", re.compile(r"vercel|deploy", re.I)),
)


def classify_stage(*names: str | None) -> str:
    """The runbook's stage of a failed step or job, from its names; 'unknown' when none fits."""
    for name in names:
        for stage, pattern in _STAGES:
            if name and pattern.search(name):
                return stage
    return "unknown"


@guarded
async def check_github_workflow(
    *,
    api_url: str,
    repository: str,
    workflow: str,
    timeout: float,
    token: str | None = None,
    per_page: int = 5,
) -> Finding:
    """The latest run of the workflow: success ok, running ok, failure fails with its stage."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        return Finding(
            status=CheckStatus.ERROR,
            summary=msg("check.github.bad_repository", repository=repository),
            data={"repository": repository},
        )
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    repo_url = f"{api_url.rstrip('/')}/repos/{repository}"
    where: dict[str, Any] = {"repository": repository, "workflow": workflow}
    async with HttpSession(SERVICE, timeout=timeout, headers=headers, secrets=[token]) as http:
        try:
            answer = await http.get(
                f"{repo_url}/actions/workflows/{workflow}/runs", params={"per_page": per_page}
            )
            if answer.status != 200:
                return _github_error(answer, token, where)
            runs_value = answer.json_object().get("workflow_runs")
            if not isinstance(runs_value, list):
                raise answer.bad_shape("no workflow_runs list")
            runs = [run for run in runs_value if isinstance(run, dict)]
            failed = _first_failed(runs)
            failure = await _failure_details(http, repo_url, failed) if failed else None
        except HttpFailure as error:
            return error.finding(repository=repository, workflow=workflow)
    if not runs:
        return Finding(
            status=CheckStatus.WARN, summary=msg("check.github.no_runs", **where), data=where
        )
    latest = runs[0]
    data: dict[str, Any] = {
        **where,
        "latest": _describe(latest),
        "runs": [_describe(run) for run in runs],
        "failure": failure,
    }
    run_name = _run_name(latest)
    if latest.get("status") != "completed":
        if failed is not None and failure is not None:
            return Finding(
                status=CheckStatus.WARN,
                summary=msg(
                    "check.github.running_after_failure",
                    run=run_name,
                    failed=_run_name(failed),
                    stage=_stage(failure["stage"]),
                ),
                data=data,
            )
        return Finding(
            status=CheckStatus.OK,
            summary=msg(
                "check.github.running", run=run_name, status=truncate(str(latest.get("status")), 40)
            ),
            data=data,
        )
    conclusion = truncate(str(latest.get("conclusion")), 40)
    if conclusion == "success":
        return Finding(
            status=CheckStatus.OK,
            summary=msg(
                "check.github.passed",
                run=run_name,
                branch=truncate(str(latest.get("head_branch")), 60),
            ),
            data=data,
        )
    if conclusion in _FAILED and failure is not None:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg(
                "check.github.failed",
                run=run_name,
                stage=_stage(failure["stage"]),
                step=failure.get("step") or failure.get("job") or "?",
            ),
            data=data,
        )
    return Finding(
        status=CheckStatus.WARN,
        summary=msg("check.github.other", run=run_name, conclusion=conclusion),
        data=data,
    )


def _stage(stage: str) -> dict[str, Any]:
    """A stage's name as a Msg-shaped parameter, translated with its sentence."""
    return {"key": f"stage.{stage}", "params": {}}


def _run_name(run: dict[str, Any]) -> str:
    return truncate(f"#{run.get('run_number', '?')}", 20)


def _first_failed(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest completed run, when it failed."""
    for run in runs:
        if run.get("status") == "completed":
            return run if run.get("conclusion") in _FAILED else None
    return None


async def _failure_details(http: HttpSession, repo_url: str, run: dict[str, Any]) -> dict[str, Any]:
    """The failed job and step of a run and their stage; a jobs list we cannot read says so."""
    details: dict[str, Any] = {
        "run_id": run.get("id"),
        "run_url": run.get("html_url"),
        "stage": "unknown",
    }
    try:
        answer = await http.get_ok(
            f"{repo_url}/actions/runs/{run.get('id')}/jobs", params={"per_page": 100}
        )
        jobs = answer.json_object().get("jobs")
    except ProbeFailure as failure:
        # The run's failure is known even when its jobs are not: keep going.
        details["jobs_error"] = failure.kind
        return details
    job = next(
        (
            j
            for j in (jobs if isinstance(jobs, list) else [])
            if isinstance(j, dict) and j.get("conclusion") in _FAILED
        ),
        None,
    )
    if job is None:
        return details
    steps = job.get("steps")
    if not isinstance(steps, list):
        steps = []
    step = next((s for s in steps if isinstance(s, dict) and s.get("conclusion") in _FAILED), None)
    step_name = truncate(str(step.get("name")), 120) if step else None
    job_name = truncate(str(job.get("name")), 120)
    details.update(
        job=job_name,
        job_url=job.get("html_url"),
        step=step_name,
        step_number=step.get("number") if step else None,
        stage=classify_stage(step_name, job_name),
    )
    return details


def _describe(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": run.get("id"),
        "run_number": run.get("run_number"),
        "title": truncate(str(run.get("display_title") or run.get("name") or ""), 100),
        "status": run.get("status"),
        "conclusion": run.get("conclusion"),
        "branch": run.get("head_branch"),
        "commit": str(run.get("head_sha") or "")[:7] or None,
        "event": run.get("event"),
        "created_at": run.get("created_at"),
        "html_url": run.get("html_url"),
    }


def _github_error(answer: Answer, token: str | None, where: dict[str, Any]) -> Finding:
    """404 (no such workflow, or a private repository without a token), bad token, rate limit."""
    data = {**where, "http_status": answer.status, "authenticated": bool(token)}
    error = answer.error_fields([token])
    if error:
        data["api_error"] = error
    if answer.status == 404:
        return Finding(
            status=CheckStatus.ERROR, summary=msg("check.github.not_found", **where), data=data
        )
    if answer.status == 401:
        return Finding(status=CheckStatus.ERROR, summary=msg("check.github.bad_token"), data=data)
    if answer.status in (403, 429) and (
        answer.headers.get("x-ratelimit-remaining") == "0" or answer.status == 429
    ):
        reset = scrub(answer.headers.get("x-ratelimit-reset", ""), limit=20)
        return Finding(
            status=CheckStatus.ERROR,
            summary=msg("check.github.rate_limited"),
            data={**data, "rate_limit_reset": reset or None},
        )
    return status_finding(answer, secrets=[token], **where)
