"""What is in effect in an incident right now, read from the store: the requests waiting for
approval or running, the site switches its remediations left on, the last diagnosis' verdict
and the last remediation's outcome. The card shows it; resolve warns about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.approvals.catalogue import SWITCHES
from storage import Session, approvals, diagnoses, incidents
from storage import alerts as alert_rows
from storage.approvals import State
from storage.models import Alert, ApprovalRequest, DiagnosisRun, Incident


@dataclass
class Live:
    pending: list[ApprovalRequest] = field(default_factory=list)
    running: list[ApprovalRequest] = field(default_factory=list)
    # Switches the incident's executed remediations turned on and did not turn off again.
    switches_on: list[str] = field(default_factory=list)
    last_run: DiagnosisRun | None = None
    # Check ids of the last diagnosis that failed, and the run's counts by status.
    failing: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    last_done: ApprovalRequest | None = None
    # The incident's alerts, the latest of each key (source, key): still firing or recovered.
    alerts: list[Alert] = field(default_factory=list)

    @property
    def firing(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.state == "firing"]

    @property
    def still_failing(self) -> bool:
        return bool(self.failing)

    @property
    def leftovers(self) -> bool:
        """Whether anything is left that resolving should mention."""
        return bool(self.switches_on or self.running or self.failing)


def site_recheck(request: ApprovalRequest) -> dict[str, Any] | None:
    """The site check a remediation ran after itself, if any."""
    data = (request.outcome or {}).get("data") or {}
    recheck = data.get("site_recheck")
    return recheck if isinstance(recheck, dict) else None


def live_state(
    session: Session, *, incident_id: int, counts: tuple[int, int, int] | None = None
) -> Live:
    """What is in effect; `counts` are the incident's `live_counts` when already read."""
    live = Live()
    # What there is to load at all (an incident without requests, runs or alerts is common).
    requests, runs, alerts = counts or incidents.live_counts(session, incident_id=incident_id)
    switches: dict[str, bool] = {}
    for request in approvals.for_incident(session, incident_id=incident_id) if requests else ():
        if request.state == State.PENDING:
            live.pending.append(request)
        elif request.state == State.EXECUTING:
            live.running.append(request)
        elif request.state in (State.SUCCEEDED, State.FAILED):
            if live.last_done is None or _finished(request) >= _finished(live.last_done):
                live.last_done = request
            value = (request.preview or {}).get("data", {}).get("value")
            if (
                request.action in SWITCHES
                and request.state == State.SUCCEEDED
                and isinstance(value, bool)
            ):
                switches[request.action] = value
    live.switches_on = [key for key in SWITCHES if switches.get(key)]
    run = diagnoses.last_finished_run(session, incident_id=incident_id) if runs else None
    if run is not None:
        live.last_run = run
        for result in diagnoses.results(session, run_id=run.id):
            live.counts[result.status] = live.counts.get(result.status, 0) + 1
            if result.status == "fail":
                live.failing.append(result.check_id)
        order = {check_id: n for n, check_id in enumerate(run.check_ids or [])}
        live.failing.sort(key=lambda check_id: order.get(check_id, len(order)))
    latest: dict[tuple[str, str], Alert] = {}
    for alert in alert_rows.for_incident(session, incident_id=incident_id) if alerts else ():
        if alert.state != "info":
            latest[(alert.source, alert.key)] = alert
    live.alerts = list(latest.values())
    return live


def card_state(session: Session, *, incident_id: int) -> tuple[list[str], Live]:
    """What the card is drawn from besides the incident itself: the kinds of event it has had
    (its phase) and what is in effect now."""
    found = with_card_state(session, incident_id=incident_id)
    return ([], Live()) if found is None else (found[1], found[2])


def with_card_state(
    session: Session, *, channel_id: str | None = None, incident_id: int | None = None
) -> tuple[Incident, list[str], Live] | None:
    """The incident of a channel (or of an id) and what its card is drawn from: one statement
    when nothing is in effect (storage.incidents.with_card)."""
    found = incidents.with_card(session, channel_id=channel_id, incident_id=incident_id)
    if found is None:
        return None
    incident, kinds, counts = found
    return incident, kinds, live_state(session, incident_id=incident.id, counts=counts)


def _finished(request: ApprovalRequest) -> Any:
    return (request.finished_at or request.requested_at, request.id)
