"""A fake Vercel REST API with Vercel's auth and error shapes: deployments (v6 list, v13 one,
v3 events, v13 create/redeploy), promote, project environment variables and one Edge Config.

State lives in plain attributes a test sets or appends to (`deployments`, `events`, `envs`,
`edge_items`, `branch_head`); every route is registered in `_register_routes`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from typing import Any

from bot.drill.sims.http import Handler, Recorded, Response, SimServer, json_response

TOKEN = "vercel-test-token-7f3a9c"


def vercel_error(status: int, code: str, message: str, **extra: Any) -> Response:
    """An error in Vercel's `{"error": {"code", "message"}}` shape."""
    return json_response({"error": {"code": code, "message": message, **extra}}, status)


def now_ms(minutes_ago: float = 0.0) -> int:
    return int((time.time() - minutes_ago * 60) * 1000)


class SimVercel(SimServer):
    """Vercel's API for one project; `token` and (when set) `team_id` are required."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        team_id: str | None = None,
        project_id: str = "prj_ailex0001",
        project_name: str = "ailex",
        edge_config_id: str = "ecfg_ailex0001",
    ) -> None:
        super().__init__()
        self.token = token
        self.team_id = team_id
        self.project_id = project_id
        self.project_name = project_name
        self.edge_config_id = edge_config_id
        self.deployments: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        # Environment variables as stored, plaintext `value` included (the API never shows it).
        self.envs: list[dict[str, Any]] = []
        # Edge Config items: key -> JSON value.
        self.edge_items: dict[str, Any] = {}
        # The production branch's newest commit: what `withLatestCommit` builds.
        self.branch_head: dict[str, str] = {
            "sha": uuid.uuid4().hex + uuid.uuid4().hex[:8],
            "message": "Fix login redirect loop",
        }
        # False: promote answers 202 and production does not switch (Vercel still working).
        self.promote_applies = True
        # The state a created deployment starts in.
        self.new_deployment_state = "QUEUED"
        self._register_routes()

    # -- routes -----------------------------------------------------------------------------
    def _register_routes(self) -> None:
        self.route("GET", r"/v6/deployments")(self._guard(self._list_deployments))
        self.route("GET", r"/v13/deployments/(?P<id>[^/]+)")(self._guard(self._get_deployment))
        self.route("GET", r"/v3/deployments/(?P<id>[^/]+)/events")(self._guard(self._events))
        self.route("POST", r"/v13/deployments")(self._guard(self._create_deployment))
        self.route("POST", r"/v10/projects/(?P<project>[^/]+)/promote/(?P<id>[^/]+)")(
            self._guard(self._promote)
        )
        self.route("GET", r"/v10/projects/(?P<project>[^/]+)/env")(self._guard(self._list_envs))
        self.route("POST", r"/v10/projects/(?P<project>[^/]+)/env")(self._guard(self._create_env))
        self.route("PATCH", r"/v9/projects/(?P<project>[^/]+)/env/(?P<id>[^/]+)")(
            self._guard(self._edit_env)
        )
        self.route("GET", r"/v1/edge-config/(?P<config>[^/]+)")(self._guard(self._edge_config))
        self.route("GET", r"/v1/edge-config/(?P<config>[^/]+)/item/(?P<key>[^/]+)")(
            self._guard(self._edge_item)
        )
        self.route("PATCH", r"/v1/edge-config/(?P<config>[^/]+)/items")(
            self._guard(self._patch_edge_items)
        )

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
        return json_response(self.v13(deployment))

    def v13(self, deployment: dict[str, Any]) -> dict[str, Any]:
        """A deployment as v13 shows it: `id` not `uid`, `readyState`/`status`, `gitSource`."""
        one = {k: v for k, v in deployment.items() if k not in ("uid", "state")}
        meta = deployment.get("meta") or {}
        one.update(
            id=deployment["uid"],
            readyState=deployment["state"],
            status=deployment["state"],
            alias=[f"{self.project_name}.vercel.app"] if deployment["state"] == "READY" else [],
            gitSource={
                "type": "github",
                "repoId": 700100200,
                "ref": meta.get("githubCommitRef"),
                "sha": meta.get("githubCommitSha"),
            },
        )
        return one

    def _create_deployment(self, request: Recorded, match: re.Match[str]) -> Response:
        body = _json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return vercel_error(
                400, "bad_request", "Invalid request: missing required property `name`"
            )
        base = None
        if body.get("deploymentId") is not None:
            base = self.find(str(body["deploymentId"]))
            if base is None:
                return vercel_error(404, "not_found", "Deployment not found")
        if base is None:
            return vercel_error(400, "missing_files", "Missing files")  # no file uploads here
        meta = dict(base.get("meta") or {})
        if body.get("withLatestCommit"):
            meta.update(
                githubCommitSha=self.branch_head["sha"],
                githubCommitMessage=self.branch_head["message"],
            )
        created = self.add_deployment(
            state=self.new_deployment_state,
            target=body.get("target"),
            minutes_ago=0,
            ready_substate=None,
            commit_message=str(meta.get("githubCommitMessage") or ""),
        )
        created["meta"].update(meta)
        created["name"] = body["name"]
        created["source"] = "redeploy"
        created["isRollbackCandidate"] = False
        return json_response(self.v13(created))

    def _promote(self, request: Recorded, match: re.Match[str]) -> Response:
        if not self._is_project(match["project"]):
            return vercel_error(404, "not_found", "Project not found")
        deployment = self.find(match["id"])
        if deployment is None or deployment["projectId"] != self.project_id:
            return vercel_error(404, "not_found", "Deployment not found")
        if deployment["state"] != "READY":
            return vercel_error(400, "bad_request", "Deployment is not ready")
        if not self.promote_applies:
            return Response(status=202)
        self.promote(deployment)
        return Response(status=201)

    def _list_envs(self, request: Recorded, match: re.Match[str]) -> Response:
        if not self._is_project(match["project"]):
            return vercel_error(404, "not_found", "Project not found")
        envs = [_env_view(env) for env in self.envs]
        return json_response({"envs": envs, "pagination": {"count": len(envs), "next": None}})

    def _create_env(self, request: Recorded, match: re.Match[str]) -> Response:
        if not self._is_project(match["project"]):
            return vercel_error(404, "not_found", "Project not found")
        body = _json_body(request)
        wanted = body if isinstance(body, list) else [body]
        upsert = request.arg("upsert") == "true"
        created: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for item in wanted:
            if not isinstance(item, dict) or not item.get("key") or "value" not in item:
                return vercel_error(400, "bad_request", "Invalid request: missing key or value")
            targets = set(item.get("target") or [])
            existing = next(
                (e for e in self.envs if e["key"] == item["key"] and targets & set(e["target"])),
                None,
            )
            if existing is not None and not upsert:
                failed.append(
                    {
                        "error": {
                            "code": "ENV_ALREADY_EXISTS",
                            "message": f"A variable with the name `{item['key']}` already exists",
                            "key": item["key"],
                            "envVarId": existing["id"],
                        }
                    }
                )
                continue
            if existing is not None:
                existing.update(value=item["value"], type=item.get("type", existing["type"]))
                created.append(_env_view(existing))
                continue
            env = self.add_env(
                item["key"], item["value"], target=sorted(targets), type=item.get("type", "plain")
            )
            created.append(_env_view(env))
        return json_response(
            {"created": created[0] if len(created) == 1 else created, "failed": failed}, 201
        )

    def _edit_env(self, request: Recorded, match: re.Match[str]) -> Response:
        if not self._is_project(match["project"]):
            return vercel_error(404, "not_found", "Project not found")
        env = next((e for e in self.envs if e["id"] == match["id"]), None)
        if env is None:
            return vercel_error(404, "not_found", "Environment Variable not found")
        body = _json_body(request)
        if not isinstance(body, dict):
            return vercel_error(400, "bad_request", "Invalid request body")
        for field in ("key", "value", "type", "target", "gitBranch", "comment"):
            if field in body:
                env[field] = body[field]
        env["updatedAt"] = now_ms()
        return json_response(_env_view(env))

    def _edge_config(self, request: Recorded, match: re.Match[str]) -> Response:
        if match["config"] != self.edge_config_id:
            return vercel_error(404, "not_found", "The Edge Config could not be found.")
        return json_response(
            {
                "id": self.edge_config_id,
                "slug": "ailex-flags",
                "ownerId": self.team_id or "usr_oncall",
                "digest": hashlib.sha1(json.dumps(self.edge_items).encode()).hexdigest(),
                "itemCount": len(self.edge_items),
                "sizeInBytes": len(json.dumps(self.edge_items)),
                "createdAt": now_ms(60 * 24 * 30),
                "updatedAt": now_ms(),
            }
        )

    def _edge_item(self, request: Recorded, match: re.Match[str]) -> Response:
        if match["config"] != self.edge_config_id:
            return vercel_error(404, "not_found", "The Edge Config could not be found.")
        if match["key"] not in self.edge_items:
            return vercel_error(404, "not_found", "The Edge Config item could not be found.")
        return json_response(
            {
                "key": match["key"],
                "value": self.edge_items[match["key"]],
                "edgeConfigId": self.edge_config_id,
                "createdAt": now_ms(60),
                "updatedAt": now_ms(),
            }
        )

    def _patch_edge_items(self, request: Recorded, match: re.Match[str]) -> Response:
        if match["config"] != self.edge_config_id:
            return vercel_error(404, "not_found", "The Edge Config could not be found.")
        body = _json_body(request)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return vercel_error(
                400, "bad_request", "Invalid request: missing required property `items`"
            )
        for item in items:
            key = item.get("key") if isinstance(item, dict) else None
            operation = item.get("operation") if isinstance(item, dict) else None
            if not isinstance(key, str) or not re.fullmatch(r"[\w-]+", key):
                return vercel_error(400, "bad_request", "Invalid request: `key` is invalid")
            if operation == "create" and key in self.edge_items:
                return vercel_error(409, "conflict", f"The item `{key}` already exists")
            if operation in ("update", "delete") and key not in self.edge_items:
                return vercel_error(404, "not_found", f"The item `{key}` does not exist")
            if operation not in ("create", "update", "upsert", "delete"):
                return vercel_error(400, "bad_request", "Invalid request: unknown `operation`")
        for item in items:
            if item["operation"] == "delete":
                self.edge_items.pop(item["key"], None)
            else:
                self.edge_items[item["key"]] = item.get("value")
        return json_response({"status": "ok"})

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
    def _is_project(self, id_or_name: str) -> bool:
        return id_or_name in (self.project_id, self.project_name)

    def promote(self, deployment: dict[str, Any]) -> None:
        """Point production at `deployment`; the one it replaces reads STAGED (?)."""
        for other in self.deployments:
            if other is not deployment and other.get("readySubstate") == "PROMOTED":
                other["readySubstate"] = "STAGED"
        deployment["readySubstate"] = "PROMOTED"

    def add_env(
        self,
        key: str,
        value: str,
        *,
        target: list[str] | None = None,
        type: str = "encrypted",
    ) -> dict[str, Any]:
        """Add a project environment variable (stored with its plaintext value)."""
        env = {
            "id": "env_" + uuid.uuid4().hex[:16],
            "key": key,
            "value": value,
            "type": type,
            "target": list(target or ["production"]),
            "gitBranch": None,
            "configurationId": None,
            "createdAt": now_ms(60 * 24),
            "updatedAt": now_ms(60 * 24),
            "createdBy": "usr_oncall",
        }
        self.envs.append(env)
        return env

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


def _json_body(request: Recorded) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return None


def _env_view(env: dict[str, Any]) -> dict[str, Any]:
    """A variable as the API lists it: an encrypted value is never shown in the clear."""
    view = dict(env)
    if env["type"] in ("encrypted", "secret"):
        view["value"] = "enc_" + hashlib.sha256(str(env["value"]).encode()).hexdigest()[:32]
    elif env["type"] == "sensitive":
        view.pop("value")
    return view


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
