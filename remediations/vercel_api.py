"""Vercel's REST API for the remediations: the probes' HTTP machinery driven from sync code.

The remediations are sync; the probes' `HttpSession` (one deadline, bounded bodies, every
transport failure named) is async. `run_sync` runs a remediation's async steps to completion
on a fresh event loop, so there is one HTTP layer, and `probes.vercel` keeps the one reading of
deployments. What is added here: the team scope on every call, the v13 one-deployment read,
the create-deployment call, Vercel's `{"error": {"code", "message"}}` and every other failure
as a sentence, and the facts of a deployment an approver reads.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar, Unpack
from urllib.parse import quote

from pydantic import BaseModel

from probes.base import Msg, ProbeFailure, msg
from probes.http import Answer, HttpFailure, HttpSession, StatusError
from probes.text import age_text, scrub, truncate
from probes.vercel import SERVICE, VercelArgs, describe, list_deployments
from remediations.base import Outcome, Preview, plan_of

T = TypeVar("T")
P = TypeVar("P", bound="ProjectPlan")

log = logging.getLogger(__name__)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even on a thread that runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # asyncio.run refuses to nest: a caller already inside a loop gets a worker thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def not_configured(**settings: object) -> Msg | None:
    """The sentence naming those settings (by their SPEC 3.2 names) that have no value, if any."""
    missing = [name for name, value in settings.items() if not value]
    return msg("remediation.not_configured", settings=", ".join(missing)) if missing else None


def unexpected(action: str, error: BaseException) -> Msg:
    """Log a failure nobody foresaw by type and place (its text may quote a URL) and say it."""
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f"{frame.filename}:{frame.lineno}" if frame else "?"
    log.error("remediation %s failed: %s at %s", action, type(error).__name__, where)
    return msg("remediation.unexpected", error=type(error).__name__)


class Refusal(Exception):
    """A reason not to go on, already said as a sentence."""

    def __init__(self, sentence: Msg) -> None:
        super().__init__(sentence.key)
        self.sentence = sentence


def preview_reads(
    action: str,
    title: Msg,
    reads: Callable[[VercelApi, str], Coroutine[Any, Any, T]],
    **vercel: Unpack[VercelArgs],
) -> tuple[str, T] | Preview:
    """How every Vercel preview starts: the settings it cannot do without, then `reads` of the
    project. The project id and what `reads` returned, or the preview blocked by the reason
    (the missing settings, a `Refusal` that `reads` raised, a failed or unforeseen call)."""
    token, project_id = vercel["token"], vercel["project_id"]
    missing = not_configured(VERCEL_TOKEN=token, VERCEL_PROJECT_ID=project_id)
    if missing is not None or not token or not project_id:
        return Preview(action=action, summary=title, blocked=missing)
    api = VercelApi.of(vercel, token)
    try:
        return project_id, run_sync(reads(api, project_id))
    except Refusal as refusal:
        blocked = refusal.sentence
    except ProbeFailure as failure:
        blocked = failure_msg(failure)
    except Exception as error:
        blocked = unexpected(action, error)
    return Preview(action=action, summary=title, blocked=blocked)


class ProjectPlan(BaseModel):
    """What an approved action on a Vercel project acts on (Preview.data)."""

    project_id: str


def previewed_plan(
    action: str,
    preview: Preview,
    plan: type[P],
    *,
    secrets: Iterable[str] = (),
    **vercel: Unpack[VercelArgs],
) -> tuple[P, VercelApi] | Outcome:
    """How every execution on the Vercel project starts: the plan its own preview stored, the
    settings it needs, and VERCEL_PROJECT_ID still naming the previewed project. The plan and
    the API (never saying `secrets`), or the outcome that refuses to go on."""
    token, project_id = vercel["token"], vercel["project_id"]
    found = plan_of(preview, plan)
    if found is None or preview.action != action:
        return Outcome(ok=False, summary=msg("remediation.bad_preview", action=action))
    missing = not_configured(VERCEL_TOKEN=token, VERCEL_PROJECT_ID=project_id)
    if missing or not token:
        return Outcome(ok=False, summary=missing or msg("remediation.bad_preview", action=action))
    if project_id != found.project_id:
        return Outcome(ok=False, summary=config_changed("VERCEL_PROJECT_ID"))
    return found, VercelApi.of(vercel, token, secrets)


def config_changed(setting: str) -> Msg:
    """The sentence for a setting that no longer matches the one the preview was made with."""
    return msg("remediation.config_changed", setting=setting)


# -- failures as sentences ------------------------------------------------------------------


def failure_msg(failure: ProbeFailure) -> Msg:
    """The sentence for a request that went wrong: a transport failure or an HTTP error status."""
    if isinstance(failure, StatusError):
        return status_msg(failure.answer, failure.secrets)
    if not isinstance(failure, HttpFailure):
        return msg("remediation.unexpected", error=failure.kind)
    service = failure.service
    match failure.kind:
        case "timeout":
            seconds = failure.params.get("seconds", "?")
            return msg("remediation.http.timeout", service=service, seconds=seconds)
        case "refused":
            return msg("remediation.http.refused", service=service)
        case "dns":
            return msg("remediation.http.dns", service=service)
        case "tls":
            return msg("remediation.http.tls", service=service)
        case "too_large":
            limit_kb = failure.params.get("limit_kb", "?")
            return msg("remediation.http.too_large", service=service, limit_kb=limit_kb)
        case "invalid_json":
            return msg("remediation.http.invalid_json", service=service)
        case "bad_shape":
            return msg("remediation.http.bad_shape", service=service)
        case "redirects":
            return msg("remediation.http.redirects", service=service)
        case "bad_url":
            return msg("remediation.http.bad_url", service=service)
        case "connect":
            return msg("remediation.http.connect", service=service)
        case _:
            return msg("remediation.http.protocol", service=service)


def api_error(answer: Answer, secrets: Iterable[str | None] = ()) -> str:
    """An API error body as 'code: message', scrubbed; '-' when it carries neither."""
    fields = answer.error_fields(secrets)
    return ": ".join(v for v in (fields.get("code"), fields.get("message")) if v) or "-"


def status_msg(answer: Answer, secrets: Iterable[str | None] = ()) -> Msg:
    """The sentence for an HTTP error status, quoting the API's own code and message."""
    service, code, error = answer.service, answer.status, api_error(answer, secrets)
    if code in (401, 403):
        return msg("remediation.http.auth", service=service, code=code, error=error)
    if code == 404:
        return msg("remediation.http.not_found", service=service, error=error)
    if code == 409:
        return msg("remediation.http.conflict", service=service, error=error)
    if code == 429:
        return msg("remediation.http.rate_limited", service=service, error=error)
    if code >= 500:
        return msg("remediation.http.server_error", service=service, code=code, error=error)
    return msg("remediation.http.status", service=service, code=code, error=error)


# -- the client ---------------------------------------------------------------------------


class VercelApi:
    """Vercel's REST API: bearer token and `teamId` on every call. Each `async with` opens a
    session with its own deadline of `timeout` seconds, so one client can be used step by step."""

    def __init__(
        self,
        *,
        api_url: str,
        token: str,
        team_id: str | None,
        timeout: float,
        secrets: Iterable[str | None] = (),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.team_id = team_id
        self.timeout = timeout
        self._token = token
        # Every secret this step handles, so that no error text can carry one out.
        self.secrets = [s for s in (token, *secrets) if s]
        self._http: HttpSession | None = None

    @classmethod
    def of(cls, vercel: VercelArgs, token: str, secrets: Iterable[str] = ()) -> VercelApi:
        """The API for these settings (their token, checked to be set)."""
        return cls(
            api_url=vercel["api_url"],
            token=token,
            team_id=vercel.get("team_id"),
            timeout=vercel["timeout"],
            secrets=secrets,
        )

    async def __aenter__(self) -> VercelApi:
        self._http = HttpSession(
            SERVICE,
            timeout=self.timeout,
            headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
            secrets=self.secrets,
        )
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.__aexit__(*exc)
            self._http = None

    @property
    def http(self) -> HttpSession:
        """The open session; only inside `async with`."""
        if self._http is None:
            raise RuntimeError("VercelApi used outside `async with`")
        return self._http

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        body: Any = None,
    ) -> Answer:
        """Send one request in the team's scope; StatusError unless the answer is a 2xx."""
        scope = {"teamId": self.team_id} if self.team_id else {}
        answer = await self.http.request(
            method, f"{self.api_url}{path}", params={**(params or {}), **scope}, body=body
        )
        if not 200 <= answer.status < 300:
            raise StatusError(answer, self.secrets)
        return answer

    async def deployments(self, project_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The project's production deployments of any state, newest first."""
        return await list_deployments(
            self.http,
            api_url=self.api_url,
            project_id=project_id,
            team_id=self.team_id,
            limit=limit,
        )

    async def deployment(self, id_or_url: str) -> dict[str, Any] | None:
        """One deployment by id or hostname (GET /v13/deployments/{idOrUrl}); None when unknown."""
        try:
            answer = await self.call("GET", f"/v13/deployments/{quote(id_or_url, safe='')}")
        except StatusError as error:
            if error.answer.status == 404:
                return None
            raise
        body = answer.json_object()
        if not (body.get("id") or body.get("uid")):
            raise answer.bad_shape("deployment without an id")
        return body

    async def redeploy(
        self, *, name: str, project_id: str, deployment_id: str, latest_commit: bool
    ) -> dict[str, Any]:
        """Start a production build from an existing deployment (POST /v13/deployments): its
        own commit, or with `latest_commit` the head of the branch it was built from."""
        body: dict[str, Any] = {
            "name": name,
            "project": project_id,
            "deploymentId": deployment_id,
            "target": "production",
        }
        if latest_commit:
            body["withLatestCommit"] = True
        # forceNew: build even when Vercel finds a similar deployment it could reuse.
        answer = await self.call("POST", "/v13/deployments", params={"forceNew": 1}, body=body)
        created = answer.json_object()
        if not (created.get("id") or created.get("uid")):
            raise answer.bad_shape("created deployment without an id")
        return created


# -- what an approver reads of a deployment -----------------------------------------------


class DeploymentFacts(BaseModel):
    """One deployment as an approver reads it and as an execution finds it again by id."""

    id: str
    url: str | None = None
    state: str = ""
    ready_substate: str | None = None
    target: str | None = None
    project_id: str | None = None
    # The project name, which a create-deployment call needs.
    name: str | None = None
    created: str | None = None
    age_minutes: int | None = None
    commit: str | None = None
    branch: str | None = None
    message: str | None = None
    creator: str | None = None

    @classmethod
    def of(cls, deployment: dict[str, Any], now: datetime) -> DeploymentFacts:
        """The facts of a v6 or v13 deployment, read with probes.vercel.describe."""
        facts = describe(deployment, now)
        creator = deployment.get("creator")
        creator = creator if isinstance(creator, dict) else {}
        message = str(facts.get("message") or "").strip()
        return cls(
            id=facts["id"],
            url=facts["url"],
            state=facts["state"],
            ready_substate=facts["ready_substate"],
            target=facts["target"],
            project_id=_text(deployment.get("projectId")),
            name=_text(deployment.get("name")),
            created=facts["created"],
            age_minutes=facts["age_minutes"],
            commit=facts["commit"],
            branch=_text(facts["branch"]),
            message=scrub(message.splitlines()[0], limit=72) if message else None,
            creator=_text(creator.get("username") or creator.get("email") or creator.get("uid")),
        )

    @property
    def host(self) -> str:
        """The deployment's hostname, else its id: how a sentence names it."""
        return (self.url or "").split("://")[-1].rstrip("/") or self.id

    @property
    def age(self) -> str | dict[str, Any]:
        """Its age as a Msg-shaped parameter ('2시간 5분' / '2h 5m'), or '?'."""
        return age_text(self.age_minutes) if self.age_minutes is not None else "?"

    def line(self) -> str:
        """One language-neutral line: id · host · commit message (branch) · @creator."""
        commit = " ".join(part for part in (self.commit, self.message) if part)
        if self.branch:
            commit = f"{commit} ({self.branch})" if commit else f"({self.branch})"
        parts = [self.id, self.host, commit, f"@{self.creator}" if self.creator else ""]
        return " · ".join(part for part in parts if part)


def _text(value: object) -> str | None:
    return truncate(str(value), 120) if isinstance(value, str) and value else None
