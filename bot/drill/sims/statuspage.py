"""A fake Atlassian Statuspage (the format www.vercel-status.com and status.supabase.com serve,
and incident.io's compatible endpoint for status.openai.com)."""

from __future__ import annotations

import re
from typing import Any

from bot.drill.sims.http import Recorded, Response, SimServer, json_response

_DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
}
UPDATED_AT = "2025-06-02T01:23:45.678Z"


class SimStatusPage(SimServer):
    """Set `indicator`, `components` and `incidents` (or use the helpers) between requests."""

    def __init__(self, name: str = "Vercel") -> None:
        super().__init__()
        self.name = name
        self.indicator = "none"
        self.description: str | None = None
        self.components: list[dict[str, Any]] = [
            self._component("API", "operational"),
            self._component("Dashboard", "operational"),
            self._component("Edge Network", "operational"),
        ]
        self.incidents: list[dict[str, Any]] = []
        self.scheduled_maintenances: list[dict[str, Any]] = []
        self.route("GET", r"/api/v2/summary\.json")(self._summary)
        self.route("GET", r"/api/v2/status\.json")(self._status)

    def _component(self, name: str, status: str) -> dict[str, Any]:
        return {
            "id": re.sub(r"\W", "", name.lower())[:12] or "component",
            "name": name,
            "status": status,
            "created_at": "2020-01-01T00:00:00.000Z",
            "updated_at": UPDATED_AT,
            "position": len(getattr(self, "components", [])) + 1,
            "description": None,
            "showcase": False,
            "group_id": None,
            "page_id": "pg123",
            "group": False,
            "only_show_if_degraded": False,
        }

    def set_component(self, name: str, status: str) -> None:
        """Set a component's status, adding it when new."""
        for component in self.components:
            if component["name"] == name:
                component["status"] = status
                return
        self.components.append(self._component(name, status))

    def recover(self) -> None:
        """The provider's outage is over: every component operational, no open incident."""
        self.indicator = "none"
        for component in self.components:
            component["status"] = "operational"
        self.incidents.clear()

    def open_incident(
        self, name: str, *, status: str = "investigating", impact: str = "major"
    ) -> dict[str, Any]:
        incident = {
            "id": f"inc{len(self.incidents) + 1}",
            "name": name,
            "status": status,
            "impact": impact,
            "created_at": UPDATED_AT,
            "updated_at": UPDATED_AT,
            "shortlink": f"https://stspg.io/{len(self.incidents) + 1:04d}",
            "started_at": UPDATED_AT,
            "page_id": "pg123",
            "incident_updates": [
                {
                    "id": "upd1",
                    "status": status,
                    "body": "We are investigating elevated error rates.",
                    "created_at": UPDATED_AT,
                }
            ],
            "components": [],
        }
        self.incidents.append(incident)
        return incident

    def _page(self) -> dict[str, Any]:
        return {
            "id": "pg123",
            "name": self.name,
            "url": self.url,
            "time_zone": "Etc/UTC",
            "updated_at": UPDATED_AT,
        }

    def _status_object(self) -> dict[str, str]:
        description = self.description or _DESCRIPTIONS.get(self.indicator, self.indicator)
        return {"indicator": self.indicator, "description": description}

    def _summary(self, request: Recorded, match: re.Match[str]) -> Response:
        return json_response(
            {
                "page": self._page(),
                "components": self.components,
                "incidents": self.incidents,
                "scheduled_maintenances": self.scheduled_maintenances,
                "status": self._status_object(),
            }
        )

    def _status(self, request: Recorded, match: re.Match[str]) -> Response:
        return json_response({"page": self._page(), "status": self._status_object()})
