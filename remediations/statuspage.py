"""The customer status page: Atlassian Statuspage's manage API (SPEC 8).

`publish` creates the page's incident (the first notice) or updates it (later notices, and
`resolved` after the incident is resolved) with exactly the text it is given. It never raises:
a refused key, a server error or a timeout is a `Published` with `ok` False and a reason a
person can read, so an approved notice is never lost and never a crash. The key travels only in
the `Authorization: OAuth <key>` header and never in a reason.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel

PageStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]

# SPEC 8: the incident's severity as the page's impact, and what its components show meanwhile.
IMPACT_BY_SEVERITY: dict[str, Impact] = {"P1": "critical", "P2": "major", "P3": "minor"}
COMPONENT_BY_SEVERITY: dict[str, ComponentStatus] = {
    "P1": "major_outage",
    "P2": "partial_outage",
    "P3": "degraded_performance",
}


class PageIncident(BaseModel):
    """What a notice publishes on the page (stored in the approved preview)."""

    name: str
    status: PageStatus
    impact: Impact
    body: str
    component_ids: list[str] = []
    component_status: ComponentStatus = "operational"


class Published(BaseModel):
    """What the page answered: the page incident's id and link, or why it did not take it."""

    ok: bool
    created: bool = False
    incident_id: str | None = None
    shortlink: str | None = None
    # A short reason: `http 401`, `http 503`, `timeout`, `unreachable: ...`, `bad answer`.
    error: str | None = None
    status_code: int | None = None


def plan(
    *, name: str, severity: str, status: str, body: str, component_ids: list[str]
) -> PageIncident:
    """The page incident for an AILEX incident's severity and status (resolved: operational)."""
    page_status: PageStatus = status if status in _STATUSES else "investigating"  # type: ignore[assignment]
    return PageIncident(
        name=name,
        status=page_status,
        impact=IMPACT_BY_SEVERITY.get(severity, "major"),
        body=body,
        component_ids=list(component_ids),
        component_status="operational"
        if page_status == "resolved"
        else COMPONENT_BY_SEVERITY.get(severity, "partial_outage"),
    )


_STATUSES = ("investigating", "identified", "monitoring", "resolved")


def _payload(incident: PageIncident) -> dict[str, Any]:
    return {
        "incident": {
            "name": incident.name,
            "status": incident.status,
            "impact_override": incident.impact,
            "body": incident.body,
            "component_ids": incident.component_ids,
            "components": {cid: incident.component_status for cid in incident.component_ids},
            "deliver_notifications": True,
        }
    }


def publish(
    incident: PageIncident,
    *,
    api_url: str,
    api_key: str,
    page_id: str,
    existing_id: str | None = None,
    timeout: float = 10.0,
) -> Published:
    """Create the page incident (no `existing_id`) or update it; never raises."""
    base = api_url.rstrip("/")
    page = quote(page_id, safe="")
    if existing_id:
        method, url = "PATCH", f"{base}/pages/{page}/incidents/{quote(existing_id, safe='')}"
    else:
        method, url = "POST", f"{base}/pages/{page}/incidents"
    headers = {"Authorization": f"OAuth {api_key}", "Accept": "application/json"}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.request(method, url, json=_payload(incident), headers=headers)
    except httpx.TimeoutException:
        return Published(ok=False, error="timeout")
    except httpx.HTTPError as error:
        return Published(ok=False, error=f"unreachable: {type(error).__name__}")
    if response.status_code >= 300:
        return Published(
            ok=False, error=f"http {response.status_code}", status_code=response.status_code
        )
    try:
        answer = response.json()
        page_incident_id = str(answer["id"])
    except (ValueError, KeyError, TypeError):
        return Published(ok=False, error="bad answer", status_code=response.status_code)
    shortlink = answer.get("shortlink")
    return Published(
        ok=True,
        created=not existing_id,
        incident_id=page_incident_id,
        shortlink=shortlink if isinstance(shortlink, str) else None,
        status_code=response.status_code,
    )
