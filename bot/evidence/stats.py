"""Incident statistics over a period (SPEC 9): counts by severity and scenario, MTTA and MTTR.

Definitions, named because "MTTR" has several meanings (Atlassian):

- The period is the `days` days ending at `until` (the app's clock); it counts the incidents
  that *started* in it (`storage.figures.counted_incidents`, the one place that chooses them).
- An incident's scenario is that of its first alert if an alert opened it, else that of its
  first diagnosis of one scenario (a triage of all of them names none), else "unknown".
- MTTA (mean time to acknowledge) covers the incidents an alert opened: from their first
  alert's arrival to `acknowledged_at` (장애 인지). A declared incident is acknowledged by its
  declaration and has none.
- MTTR (mean time to resolve, here: to *recovery*) runs from the impact start when one was
  set (`/ailex started`, the resolve form), else the declaration, to `resolved_at` (the last
  resolution of a reopened incident). Open incidents have none.
- Each is given as median, p90 and mean in seconds (Google's SRE paper: means alone hide
  trends), null when no incident has one. Percentiles use linear interpolation between the
  closest ranks (Hyndman and Fan's type 7, numpy's and Excel PERCENTILE.INC's default): the
  p-quantile of n sorted values is at 0-based position (n - 1) * p. The median is its p = 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.incidents.report import impact_started
from bot.incidents.vocabulary import EventKind, Severity
from storage import Session, figures
from storage.models import Incident

UNKNOWN_SCENARIO = "unknown"
# The periods `/ailex stats` accepts (SPEC 3.3), in days.
SLACK_PERIODS = (7, 30, 90)
DEFAULT_DAYS = 30


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-quantile (0 <= p <= 1) by linear interpolation (type 7); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """Median, p90 and mean of some durations in seconds (None: no data)."""

    median: float | None
    p90: float | None
    mean: float | None
    count: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        mean = sum(seconds) / len(seconds) if seconds else None
        return cls(
            median=_round(percentile(seconds, 0.5)),
            p90=_round(percentile(seconds, 0.9)),
            mean=_round(mean),
            count=len(seconds),
        )

    def as_json(self) -> dict[str, float | None]:
        return {"median": self.median, "p90": self.p90, "mean": self.mean}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class Counted:
    """One incident as the statistics see it."""

    id: int
    severity: str
    scenario: str
    started_at: datetime
    tta_s: float | None  # first alert to acknowledgement
    ttr_s: float | None  # (impact) start to resolved


@dataclass(frozen=True)
class Week:
    """One calendar week (Monday 00:00 in the team's zone) of the chart."""

    start: datetime
    by_severity: dict[str, int]
    mttr_median_s: float | None


@dataclass
class Figures:
    days: int
    since: datetime
    until: datetime
    incidents: list[Counted] = field(default_factory=list)

    @property
    def by_severity(self) -> dict[str, int]:
        counts = {severity.value: 0 for severity in Severity}
        for incident in self.incidents:
            if incident.severity in counts:
                counts[incident.severity] += 1
        return counts

    @property
    def by_scenario(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for incident in self.incidents:
            counts[incident.scenario] = counts.get(incident.scenario, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    @property
    def mtta(self) -> Summary:
        return Summary.of([i.tta_s for i in self.incidents if i.tta_s is not None])

    @property
    def mttr(self) -> Summary:
        return Summary.of([i.ttr_s for i in self.incidents if i.ttr_s is not None])

    def as_json(self) -> dict[str, Any]:
        """`ailex stats --json` (SPEC 9), exactly these keys."""
        return {
            "days": self.days,
            "incidents": len(self.incidents),
            "by_severity": self.by_severity,
            "by_scenario": self.by_scenario,
            "mtta_s": self.mtta.as_json(),
            "mttr_s": self.mttr.as_json(),
        }

    def weeks(self, zone: ZoneInfo) -> list[Week]:
        """Incidents per calendar week of the period by severity, and each week's MTTR median
        (of the incidents that started in it), oldest week first."""
        first = _week_start(self.since, zone)
        starts = []
        start = first
        while start < self.until:
            starts.append(start)
            start = _week_start(start + timedelta(days=7, hours=12), zone)
        weeks = []
        for index, start in enumerate(starts):
            last = index + 1 == len(starts)
            end = self.until if last else starts[index + 1]
            inside = [
                i
                for i in self.incidents
                if start <= i.started_at and (i.started_at < end or (last and i.started_at == end))
            ]
            counts = {severity.value: 0 for severity in Severity}
            for incident in inside:
                if incident.severity in counts:
                    counts[incident.severity] += 1
            median = percentile([i.ttr_s for i in inside if i.ttr_s is not None], 0.5)
            weeks.append(Week(start=start, by_severity=counts, mttr_median_s=_round(median)))
        return weeks


def _week_start(at: datetime, zone: ZoneInfo) -> datetime:
    local = at.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    # Rebuilt in the zone so that a change of offset within the week is accounted for.
    return datetime(monday.year, monday.month, monday.day, tzinfo=zone)


def compute(session: Session, *, days: int, until: datetime) -> Figures:
    """The statistics of the `days` days ending at `until`."""
    since = until - timedelta(days=days)
    rows = figures.counted_incidents(session, since=since, until=until)
    ids = [incident.id for incident in rows]
    alerts = figures.first_alerts(session, incident_ids=ids)
    diagnosed = figures.first_diagnosis_scenarios(session, incident_ids=ids)
    impacts = figures.events_of_kind(session, incident_ids=ids, kind=EventKind.IMPACT_STARTED)
    result = Figures(days=days, since=since, until=until)
    for incident in rows:
        alert = alerts.get(incident.id)
        scenario = (
            alert.scenario
            if incident.alert_source and alert is not None
            else diagnosed.get(incident.id, UNKNOWN_SCENARIO)
        )
        result.incidents.append(
            Counted(
                id=incident.id,
                severity=incident.severity,
                scenario=scenario or UNKNOWN_SCENARIO,
                started_at=incident.started_at,
                tta_s=_tta(incident, alert.received_at if alert is not None else None),
                ttr_s=_ttr(incident, impact_started(impacts.get(incident.id, []))),
            )
        )
    return result


def _tta(incident: Incident, first_alert: datetime | None) -> float | None:
    if not incident.alert_source or first_alert is None or incident.acknowledged_at is None:
        return None
    return max(0.0, (incident.acknowledged_at - first_alert).total_seconds())


def _ttr(incident: Incident, impact: datetime | None) -> float | None:
    if incident.resolved_at is None:
        return None
    start = impact or incident.started_at
    return max(0.0, (incident.resolved_at - start).total_seconds())
