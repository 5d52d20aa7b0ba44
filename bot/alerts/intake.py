"""The intake: a delivery read, authenticated and stored before it is answered; then, in the
background, grouped (SPEC 6) and turned into an incident's work: opened or joined, diagnosed,
announced, or held for triage.

Every alert is stored once (a repeated delivery changes nothing) and handled once, inside one
transaction that holds the intake lock: two replicas never open two incidents for one burst,
and a replica that dies midway leaves the alert unhandled for the next one to pick up. Slack
hears of it through the outbox, after the commit: a Slack outage delays messages, never
alerts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.alerts.catalogue import classify
from bot.alerts.signal import AlertState, Ignored, Refused, Source
from bot.alerts.sources import Secrets, read
from bot.clock import Clock
from bot.diagnosis.flows import Diagnoses
from bot.errors import UserError
from bot.incidents.flows import (
    TITLE_LIMIT,
    Actor,
    Incidents,
    claim,
    incident_queue,
    record,
    redraw_card,
)
from bot.incidents.vocabulary import EventKind, Severity
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.outbox import Operation, Sender
from bot.text import clip
from storage import Session, Store, incidents
from storage import alerts as rows
from storage.alerts import Triage
from storage.models import Alert, Incident

log = logging.getLogger(__name__)

# A scenario diagnosed in the incident this recently is not diagnosed again for a firing alert.
REDIAGNOSE_AFTER = timedelta(minutes=5)
# An alert nobody handled this long after it was stored: its replica died; another takes it.
ORPHAN_AFTER = timedelta(seconds=5)
# The queue of messages in the alert channel that belong to no incident (triage, SSL).
ALERTS_QUEUE = "alerts"


@dataclass(frozen=True)
class Answer:
    """What the webhook answers: its HTTP status and, when stored, the alert's id."""

    status: int
    alert_id: int | None = None
    reason: str = ""


@dataclass
class _After:
    """What a handled alert owes once its transaction is committed."""

    runs: list[tuple[int, Incident]]
    queues: set[str]


def _redo_when(now: datetime) -> datetime:
    return now - REDIAGNOSE_AFTER


class Alerts:
    """Receive alerts and act on them."""

    def __init__(
        self,
        *,
        store: Store,
        sender: Sender,
        settings: Settings,
        clock: Clock,
        incidents: Incidents,
        diagnoses: Diagnoses,
        spawn: Callable[..., Any],
        stored: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._incidents = incidents
        self._diagnoses = diagnoses
        self._spawn = spawn
        # How a stored alert gets handled once answered (by default: on a worker thread here).
        self._stored = stored or (lambda alert_id: spawn(self.handle, alert_id))
        self._t = Catalogue(settings.locale)
        self.secrets = Secrets(
            uptimerobot=settings.secret("uptimerobot_secret"),
            sentry=settings.secret("sentry_client_secret"),
            vercel=settings.secret("vercel_webhook_secret"),
            github=settings.secret("github_webhook_secret"),
        )

    # -- the webhook: store, answer -----------------------------------------------------------
    def receive(
        self, source: str, *, body: bytes, headers: Mapping[str, str], query: str
    ) -> Answer:
        """Read, authenticate and store one delivery; the handling runs after the answer."""
        try:
            kind = Source(source)
        except ValueError:
            return Answer(404, reason="unknown source")
        now = self._clock()
        try:
            signal = read(
                kind,
                body=body,
                headers=headers,
                query=query,
                secrets=self.secrets,
                now=now,
                workflow=self._settings.github_workflow,
            )
        except Refused as refused:
            return Answer(refused.status, reason=refused.reason)
        if isinstance(signal, Ignored):
            return Answer(200, reason=signal.reason)
        found = classify(signal)
        with self._store.write() as session:
            alert_id = rows.add(
                session,
                source=signal.source.value,
                delivery_id=clip(signal.delivery_id, 200),
                key=clip(signal.key, 300),
                state=signal.state.value,
                kind=signal.kind,
                name=clip(signal.name, 300),
                summary=signal.summary,
                level=signal.level,
                url=signal.url,
                details=dict(signal.details),
                scenario=found.scenario,
                severity=found.severity.value,
                received_at=now,
                occurred_at=signal.occurred_at,
            )
        if alert_id is None:
            return Answer(200, reason="repeated delivery")
        self._stored(alert_id)
        return Answer(202, alert_id=alert_id)

    # -- handling -----------------------------------------------------------------------------
    def handle(self, alert_id: int) -> bool:
        """Act on a stored alert once, whichever replica gets here first; True when this call
        did."""
        now = self._clock()
        after = _After(runs=[], queues=set())
        with self._store.write() as session:
            rows.lock_intake(session)
            alert = rows.get(session, alert_id=alert_id)
            if alert is None or alert.handled_at is not None:
                return False
            if alert.state == AlertState.INFO:
                self._post_in_alert_channel(session, alert, after)
            elif alert.state == AlertState.RESOLVED:
                self._recovered(session, alert, now, after)
            else:
                self._firing(session, alert, now, after)
            alert.handled_at = now
        self._after(after)
        return True

    def handle_orphans(self, older_than: timedelta = ORPHAN_AFTER) -> int:
        """Handle alerts stored `older_than` ago and not handled yet (a replica died, or its
        ring to the outbox process was lost); how many this call handled."""
        with self._store.read() as session:
            ids = rows.unhandled(session, before=self._clock() - older_than)
        return sum(1 for alert_id in ids if self.handle(alert_id))

    def _firing(self, session: Session, alert: Alert, now: datetime, after: _After) -> None:
        incident = rows.open_with_key(session, source=alert.source, key=alert.key)
        if incident is not None:
            self._join(session, alert, incident, now, after, repeat=True)
            return
        if self._settings.alert_mode == "triage":
            pending = rows.pending_triage(session, source=alert.source, key=alert.key)
            if pending is not None:
                alert.parent_id = pending.id
                self._redraw_alert(session, pending.id, after)
                return
        window = timedelta(minutes=self._settings.alert_group_minutes)
        incident = rows.recent_open(session, since=now - window) if window else None
        if incident is None and not self._settings.incident_channels:
            # Incidents live in the alert channel, one open at a time: an alert joins it.
            channel = self._settings.alert_channel
            incident = incidents.open_in_channel(session, channel_id=channel) if channel else None
        if incident is not None:
            self._join(session, alert, incident, now, after, repeat=False)
            return
        if self._settings.alert_mode == "triage":
            alert.triage = Triage.PENDING
            self._post_in_alert_channel(session, alert, after)
            return
        self._open(session, [alert], now, after)

    def _open(
        self,
        session: Session,
        alerts: list[Alert],
        now: datetime,
        after: _After,
        *,
        by: str | None = None,
    ) -> Incident:
        """Open an incident for these alerts (the first names it), announced in the alert
        channel; `by`: the person who declared it from triage (they acknowledge it too)."""
        first = alerts[0]
        severity = min((Severity(a.severity) for a in alerts), key=list(Severity).index)
        incident = self._incidents.open(
            session,
            title=self.title(first),
            severity=severity,
            actor="bot",
            channel_id=self._settings.alert_channel or "",
            at=now,
            alert_source=first.source,
        )
        after.queues.add(incident_queue(incident.id))
        if self._settings.alert_channel:
            self._sender.enqueue(
                session,
                queue=incident_queue(incident.id),
                op=Operation.ALERT_ANNOUNCE,
                payload={"incident_id": incident.id, "alert_id": first.id},
            )
        scenarios: list[str] = []
        for alert in alerts:
            alert.incident_id = incident.id
            self._record(session, alert, incident, now)
            if alert.scenario not in scenarios:
                scenarios.append(alert.scenario)
        for scenario in scenarios:
            self._diagnose(session, incident, scenario, now, after)
        if by is not None:
            incident.acknowledged_at = now
            incident.acknowledged_by = by
            incident.commander_id = by
            record(
                session,
                incident_id=incident.id,
                kind=EventKind.ACKNOWLEDGED,
                actor=by,
                at=now,
                data={"mtta_s": int((now - first.received_at).total_seconds())},
            )
        return incident

    def _join(
        self,
        session: Session,
        alert: Alert,
        incident: Incident,
        now: datetime,
        after: _After,
        *,
        repeat: bool,
    ) -> None:
        """The alert joins an open incident: recorded, diagnosed unless that scenario was
        just diagnosed there, announced in its channel unless its key was there already,
        and a higher severity raises the incident's."""
        alert.incident_id = incident.id
        self._record(session, alert, incident, now)
        locked = incidents.get(session, incident_id=incident.id, for_update=True) or incident
        if not repeat:
            self._incidents.announce(
                session,
                incident.id,
                "notice.alert_joined",
                source=self._t(f"alert.source.{alert.source}"),
                name=alert.name,
                scenario=self._t(f"scenario.{alert.scenario}"),
            )
        self._incidents.raise_severity(
            session,
            incident=locked,
            severity=Severity(alert.severity),
            at=now,
            why=f"{self._t(f'alert.source.{alert.source}')}: {clip(alert.name, 80)}",
        )
        if not self._diagnoses.ran_since(
            session, incident_id=incident.id, scenario=alert.scenario, since=_redo_when(now)
        ):
            self._diagnose(session, locked, alert.scenario, now, after)
        redraw_card(self._sender, session, incident.id)
        after.queues.add(incident_queue(incident.id))

    def _recovered(self, session: Session, alert: Alert, now: datetime, after: _After) -> None:
        """A resolved alert: a recovery signal on the incident holding its key, and that
        scenario's diagnosis again (복구 확인). The bot never resolves by itself."""
        incident = rows.open_with_key(session, source=alert.source, key=alert.key)
        if incident is None:
            pending = rows.pending_triage(session, source=alert.source, key=alert.key)
            if pending is not None:
                alert.parent_id = pending.id
                self._redraw_alert(session, pending.id, after)
                return
            # Recovered after its incident was resolved: kept with it, nothing to do.
            earlier = rows.last_with_key(session, source=alert.source, key=alert.key)
            if earlier is not None:
                alert.incident_id = earlier.id
                self._record(session, alert, earlier, now)
            return
        alert.incident_id = incident.id
        self._record(session, alert, incident, now)
        self._sender.enqueue(
            session,
            queue=incident_queue(incident.id),
            op=Operation.ALERT_RECOVERY,
            payload={"incident_id": incident.id, "alert_id": alert.id},
        )
        self._diagnose(session, incident, alert.scenario, now, after)
        redraw_card(self._sender, session, incident.id)
        after.queues.add(incident_queue(incident.id))

    def _record(self, session: Session, alert: Alert, incident: Incident, now: datetime) -> None:
        kind = EventKind.ALERT_RECOVERED if alert.state == AlertState.RESOLVED else EventKind.ALERT
        record(
            session,
            incident_id=incident.id,
            kind=kind,
            actor="bot",
            at=now,
            text=alert.name,
            data={
                "alert_id": alert.id,
                "source": alert.source,
                "key": alert.key,
                "state": alert.state,
                "severity": alert.severity,
                "scenario": alert.scenario,
                "summary_text": clip(alert.summary, 300),
                "received_at": alert.received_at.isoformat(),
            },
        )

    def _diagnose(
        self, session: Session, incident: Incident, scenario: str, now: datetime, after: _After
    ) -> None:
        run_id = self._diagnoses.begin(
            session, scenario=scenario, incident=incident, actor="bot", at=now
        )
        after.runs.append((run_id, incident))

    def _post_in_alert_channel(self, session: Session, alert: Alert, after: _After) -> None:
        if not self._settings.alert_channel:
            log.warning(
                "alert %s has no channel to go to: AILEX_ALERT_CHANNEL is not set", alert.id
            )
            return
        self._sender.enqueue(
            session, queue=ALERTS_QUEUE, op=Operation.ALERT_POST, payload={"alert_id": alert.id}
        )
        after.queues.add(ALERTS_QUEUE)

    def _redraw_alert(self, session: Session, alert_id: int, after: _After) -> None:
        self._sender.enqueue(
            session,
            queue=ALERTS_QUEUE,
            op=Operation.ALERT_UPDATE,
            payload={"alert_id": alert_id},
            coalesce=True,
        )
        after.queues.add(ALERTS_QUEUE)

    def _after(self, after: _After) -> None:
        for run_id, incident in after.runs:
            self._diagnoses.kick(run_id, incident)
            self._spawn(self._diagnoses.run, run_id)
        for queue in after.queues:
            self._sender.kick(queue)

    # -- people decide --------------------------------------------------------------------------
    def decide(self, *, alert_id: int, declare: bool, actor: Actor) -> Incident | None:
        """A triage-mode alert declared (an incident opens, the person acknowledging it) or
        dismissed (it keeps no incident); UserError when it was decided already."""
        now = self._clock()
        after = _After(runs=[], queues=set())
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            rows.lock_intake(session)
            alert = rows.get(session, alert_id=alert_id)
            if alert is None or alert.triage is None:
                raise UserError("error.alert_unknown", id=alert_id)
            to = Triage.DECLARED if declare else Triage.DISMISSED
            if not rows.decide(session, alert_id=alert_id, to=to, by=actor.user_id, at=now):
                raise UserError(
                    "error.alert_decided",
                    id=alert_id,
                    user=alert.decided_by or "",
                    decision=self._t(f"alert.decision.{alert.triage}"),
                )
            incident = None
            if declare:
                joined = [a for a in rows.joined(session, parent_id=alert.id)]
                firing = [a for a in [alert, *joined] if a.state != AlertState.RESOLVED]
                incident = self._open(session, firing or [alert], now, after, by=actor.user_id)
                for other in joined:
                    other.incident_id = incident.id
            self._redraw_alert(session, alert_id, after)
        self._after(after)
        return incident

    def acknowledge(self, *, incident_id: int, actor: Actor) -> Incident:
        """장애 인지 (`/ailex ack`, the card's button)."""
        return self._incidents.acknowledge(incident_id=incident_id, actor=actor)

    # -- reading ------------------------------------------------------------------------------
    def list_all(self, *, limit: int | None = None) -> list[Alert]:
        with self._store.read() as session:
            return list(rows.list_all(session, limit=limit))

    def title(self, alert: Alert) -> str:
        """The incident's title from what the alert names: `UptimeRobot: ailex.app 다운`."""
        key = f"alert.title.{alert.source}"
        name = " ".join(alert.name.split()) or alert.key
        return clip(self._t(key, name=name), TITLE_LIMIT)
