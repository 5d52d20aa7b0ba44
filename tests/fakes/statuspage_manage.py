"""A fake Atlassian Statuspage manage API (the page owner's side, SPEC 8) as a real HTTP server.

Real paths (`/v1/pages/{page_id}/incidents`, `.../incidents/{id}`), the `Authorization: OAuth
<key>` check (401 otherwise) and the incident object it answers with `id`, `shortlink` and
`incident_updates[]`. `incidents` is what the page shows; faults come from FakeServer.fail.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any

from tests.fakes.base import FakeServer, Recorded, Response, json_response

INCIDENTS = r"/v1/pages/(?P<page>[^/]+)/incidents"
INCIDENT = r"/v1/pages/(?P<page>[^/]+)/incidents/(?P<id>[^/]+)"


class FakeStatuspageManage(FakeServer):
    def __init__(self, *, api_key: str = "sp-key-7f3a9c", page_id: str = "pg1") -> None:
        super().__init__()
        self.api_key = api_key
        self.page_id = page_id
        self.incidents: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._page_lock = threading.Lock()
        self.route("POST", INCIDENTS)(self._create)
        self.route("PATCH", INCIDENT)(self._update)

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def _refused(self, request: Recorded, match: re.Match[str]) -> Response | None:
        if request.headers.get("authorization") != f"OAuth {self.api_key}":
            return json_response({"error": "Could not authenticate"}, 401)
        if match["page"] != self.page_id:
            return json_response({"error": "page not found"}, 404)
        return None

    def _create(self, request: Recorded, match: re.Match[str]) -> Response:
        refused = self._refused(request, match)
        if refused is not None:
            return refused
        body = (request.json() or {}).get("incident") or {}
        with self._page_lock:
            incident_id = f"inc{next(self._ids)}"
            incident = {
                "id": incident_id,
                "page_id": self.page_id,
                "shortlink": f"https://stspg.io/{incident_id}",
                "incident_updates": [],
                "components": [],
            }
            self._apply(incident, body)
            self.incidents[incident_id] = incident
            return json_response(incident, 201)

    def _update(self, request: Recorded, match: re.Match[str]) -> Response:
        refused = self._refused(request, match)
        if refused is not None:
            return refused
        with self._page_lock:
            incident = self.incidents.get(match["id"])
            if incident is None:
                return json_response({"error": "incident not found"}, 404)
            self._apply(incident, (request.json() or {}).get("incident") or {})
            return json_response(incident)

    @staticmethod
    def _apply(incident: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("name", "status", "impact_override"):
            if key in body:
                incident[key] = body[key]
        if "components" in body:
            incident["components"] = [
                {"id": cid, "status": status} for cid, status in body["components"].items()
            ]
        if body.get("body"):
            incident["incident_updates"].append(
                {"status": body.get("status"), "body": body["body"]}
            )
