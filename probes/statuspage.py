"""A provider's public status page (Atlassian Statuspage's summary.json, which incident.io
serves too): Vercel, Supabase and OpenAI in the runbook, and `/ailex contacts`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from probes.base import CheckStatus, Finding, ProbeFailure, guarded, msg
from probes.http import HttpSession
from probes.text import truncate

_SEVERE = {"major", "critical"}
_DONE = {"resolved", "postmortem", "completed"}


@guarded
async def check_statuspage(*, base_url: str, timeout: float, name: str | None = None) -> Finding:
    """The page's indicator, its components not operational and its open incidents."""
    name = name or urlsplit(base_url).hostname or base_url
    async with HttpSession(name, timeout=timeout) as http:
        try:
            answer = await http.get_ok(f"{base_url.rstrip('/')}/api/v2/summary.json")
            summary = answer.json_object()
            overall = summary.get("status")
            if not isinstance(overall, dict):
                raise answer.bad_shape("no status object")
        except ProbeFailure as failure:
            return failure.finding(name=name)
    indicator = str(overall.get("indicator") or "unknown")
    description = truncate(str(overall.get("description") or ""), 120)
    components = [
        {"name": truncate(str(c.get("name")), 80), "status": str(c.get("status"))}
        for c in _dicts(summary.get("components"))
        if c.get("status") not in (None, "operational") and not c.get("group")
    ]
    incidents = [
        {
            "name": truncate(str(i.get("name") or ""), 120),
            "status": i.get("status"),
            "impact": i.get("impact"),
            "shortlink": i.get("shortlink"),
        }
        for i in _dicts(summary.get("incidents"))
        if i.get("status") not in _DONE
    ]
    data = {
        "name": name,
        "url": base_url,
        "indicator": indicator,
        "description": description,
        "components": components,
        "incidents": incidents,
    }
    # The indicator alone can say "none" while an incident is open: weigh all three.
    severe = (
        indicator in _SEVERE
        or any(c["status"] == "major_outage" for c in components)
        or any(i["impact"] in _SEVERE for i in incidents)
    )
    if severe:
        status, key = CheckStatus.FAIL, "check.statuspage.outage"
    elif indicator != "none" or components or incidents:
        status, key = CheckStatus.WARN, "check.statuspage.degraded"
    else:
        status, key = CheckStatus.OK, "check.statuspage.operational"
    headline = incidents[0]["name"] if incidents else description or indicator
    return Finding(
        status=status,
        summary=msg(
            key,
            name=name,
            headline=truncate(str(headline), 80),
            components=len(components),
            incidents=len(incidents),
        ),
        data=data,
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
