"""A fake Vercel REST API: deployments (v6 list, v13 one, v3 events) with Vercel's auth and
error shapes.

State lives in plain attributes a test sets or appends to (`deployments`, `events`, and for
later routes `envs` and `edge_items`); every route is registered in `_register_routes`, the
one place to add promote, redeploy, env and Edge Config handlers.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from tests.fakes.base import FakeServer, Handler, Recorded, Response, json_response

TOKEN = "vercel-test-token-7f3a9c"


def vercel_error(status: int, code: str, message: str, **extra: Any) -> Response:
    """An error in Vercel's `{"error": {"code", "message"}}` shape."""
    return json_response({"error": {"code": code, "message": message, **extra}}, status)


def now_ms(minutes_ago: float = 0.0) -> int:
    return int((time.time() - minutes_ago * 60) * 1000)


class FakeVercel(FakeServer):
    """Vercel's API for one project; `token` and (when set) `team_id` are required."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        team_id: str | None = None,
        project_id: str = "prj_ailex0001",
        project_name: str = "ailex",
    ) -> None:
        super().__init__()
        self.token = token
        self.team_id = team_id
        self.project_id = project_id
        self.project_name = project_name
        self.deployments: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.envs: list[dict[str, Any]] = []
        self.edge_items: dict[str, Any] = {}
        self._register_routes()

    # -- routes -----------------------------------------------------------------------------
    def _register_routes(self) -> None:
        self.route("GET", r"/v6/deployments")(self._guard(self._list_deployments))
        self.route("GET", r"/v13/deployments/(?P<id>[^/]+)")(self._guard(self._get_deployment))
        self.route("GET", r"/v3/deployments/(?P<id>[^/]+)/events")(self._guard(self._events))

    def _guard(self, handler: Handler) -> Handler:
        """Vercel's checks before any route: a bearer token, then the team scope."""

        def checked(request: Recorded, match: re.Match[str]) -> Response:
            auth = request.headers.get("authorization", "")
            if not auth:
                return vercel_error(
                    403, "forbidden", "The request is missing an authentication token"
                )
            if auth != f"Bearer {self.token}":
                return vercel_error(403, "forbidden", "Not authorized", invalidToken=True)
            if self.team_id and request.arg("teamId") != self.team_id:
                return vercel_error(
                    403, "forbidden", "You don't have permission to access this resource"
                )
            return handler(request, match)

        return checked

    def _list_deployments(self, request: Recorded, match: re.Match[str]) -> Response:
        states = request.arg("state")
        found = [
            d
            for d in self.deployments
            if request.arg("projectId") in (None, d["projectId"])
            and request.arg("target") in (None, d["target"])
            and (states is None or d["state"] in states.split(","))
        ]
        found.sort(key=lambda d: d["created"], reverse=True)
        limit = int(request.arg("limit") or 20)
        page = found[:limit]
        return json_response(
            {
                "pagination": {
                    "count": len(page),
                    "next": page[-1]["created"] if len(found) > limit else None,
                    "prev": page[0]["created"] if page else None,
                },
                "deployments": page,
            }
        )

    def _get_deployment(self, request: Recorded, match: re.Match[str]) -> Response:
        deployment = self.find(match["id"])
        if deployment is None:
            return vercel_error(404, "not_found", "Deployment not found")
        # v13 names the id `id` and the state `readyState`/`status`.
        one = {k: v for k, v in deployment.items() if k not in ("uid", "state")}
        one.update(
            id=deployment["uid"],
            readyState=deployment["state"],
            status=deployment["state"],
            alias=[f"{self.project_name}.vercel.app"] if deployment["state"] == "READY" else [],
        )
        return json_response(one)

    def _events(self, request: Recorded, match: re.Match[str]) -> Response:
        deployment = self.find(match["id"])
        if deployment is None:
            return vercel_error(404, "not_found", "Deployment not found")
        events = sorted(self.events.get(deployment["uid"], []), key=lambda e: e["created"])
        if request.arg("direction") == "backward":
            events.reverse()
        limit = int(request.arg("limit") or 100)
        return json_response(events[:limit] if limit > 0 else events)

    # -- state helpers ----------------------------------------------------------------------
    def find(self, id_or_url: str) -> dict[str, Any] | None:
        for deployment in self.deployments:
            if id_or_url in (deployment["uid"], deployment["url"]):
                return deployment
        return None

    def add_deployment(
        self,
        *,
        state: str = "READY",
        target: str | None = "production",
        minutes_ago: float = 120.0,
        ready_substate: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        commit_message: str = "Update dashboard",
    ) -> dict[str, Any]:
        """Add a deployment created `minutes_ago` (ready a minute later when READY)."""
        uid = "dpl_" + uuid.uuid4().hex[:24]
        created = now_ms(minutes_ago)
        sha = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        if ready_substate is None and state == "READY" and target == "production":
            ready_substate = "PROMOTED"
        deployment: dict[str, Any] = {
            "uid": uid,
            "name": self.project_name,
            "projectId": self.project_id,
            "url": f"{self.project_name}-{uid[4:13].lower()}-ailex-team.vercel.app",
            "created": created,
            "createdAt": created,
            "buildingAt": created + 2_000,
            "ready": created + 60_000 if state == "READY" else None,
            "state": state,
            "readyState": state,
            "readySubstate": ready_substate,
            "type": "LAMBDAS",
            "target": target,
            "source": "git",
            "isRollbackCandidate": state == "READY" and target == "production",
            "creator": {"uid": "usr_oncall", "username": "oncall"},
            "inspectorUrl": f"https://vercel.com/ailex-team/{self.project_name}/{uid[4:]}",
            "meta": {
                "githubCommitSha": sha,
                "githubCommitRef": "main",
                "githubCommitMessage": commit_message,
                "githubOrg": "cheesom-max",
                "githubRepo": "AILEX",
            },
        }
        if error_code or state == "ERROR":
            deployment["errorCode"] = error_code or "BUILD_FAILED"
            deployment["errorMessage"] = error_message or 'Command "npm run build" exited with 1'
        self.deployments.append(deployment)
        return deployment

    def add_events(self, deployment: dict[str, Any], *events: dict[str, Any]) -> None:
        """Append build events (see `event`) to a deployment's log."""
        self.events.setdefault(deployment["uid"], []).extend(events)


def event(
    text: str,
    *,
    kind: str = "stdout",
    nested: bool = False,
    level: str | None = None,
    seconds_ago: float = 60.0,
    deployment_id: str = "dpl_x",
) -> dict[str, Any]:
    """One build event in Vercel's flat form, or the nested `payload` form."""
    created = int((time.time() - seconds_ago) * 1000)
    serial = f"{created}-{uuid.uuid4().hex[:6]}"
    fields: dict[str, Any] = {
        "id": serial,
        "date": created,
        "text": text,
        "serial": serial,
        "deploymentId": deployment_id,
        "info": {"type": "build", "name": "bld_fake", "entrypoint": "."},
        **({"level": level} if level else {}),
    }
    if nested:
        return {"type": kind, "created": created, "payload": fields}
    return {"type": kind, "created": created, **fields}
