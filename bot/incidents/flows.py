"""The incident flows: declare, note, severity, status, resolve, report.

Every state change happens here, in one transaction with its timeline event and the Slack
messages it owes (the outbox); Slack hears of it only after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.errors import Duplicate, UserError
from bot.incidents.live import Live, with_card_state
from bot.incidents.report import impact_started as impact_started_of
from bot.incidents.vocabulary import EventKind, Severity, Status, phase_boundaries
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.outbox import Operation, Sender
from bot.text import clip, escape, fmt_datetime, fmt_short_duration
from storage import Session, Store, Together, deliveries, incidents, timeline
from storage import alerts as alert_rows
from storage.errors import Conflict
from storage.models import Incident, TimelineEvent
from storage.outbox import NewMessage

TITLE_LIMIT = 200
TEXT_LIMIT = 3000

# The report's fields the team writes (the resolve form's), in the form's order.
REPORT_FIELDS = ("cause", "impact", "actions", "prevention_short", "prevention_long")

_LOCAL_TIME = re.compile(r"^(?:(\d{4})-(\d{1,2})-(\d{1,2})\s+)?(\d{1,2}):(\d{2})$")


class SameTitleOpen(UserError):
    """An open incident has this title already: point at it, and let the user declare anyway."""

    def __init__(self, incident: Incident) -> None:
        super().__init__(
            "error.same_title_open",
            id=incident.id,
            title=escape(incident.title),
            channel=f"<#{incident.channel_id}>" if incident.channel_id else "-",
        )
        self.incident = incident


def same_title(a: str, b: str) -> bool:
    """Titles that read the same (case and spacing aside)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_length(text: str, limit: int, key: str) -> None:
    """Refuse text over `limit` characters, saying the limit; never cut it silently."""
    if len(text) > limit:
        raise UserError(key, limit=f"{limit:,}", length=f"{len(text):,}")


@dataclass(frozen=True)
class Actor:
    """Who asked, where, and which Slack delivery carried it."""

    user_id: str
    channel_id: str
    delivery_key: str | None = None
    response_url: str | None = None


def incident_queue(incident_id: int) -> str:
    """The outbox queue of an incident's messages: they go out in order."""
    return f"incident:{incident_id}"


def phase_queue(incident_id: int) -> str:
    """The outbox queue of an incident's card redraws due when its phase turns over: waiting
    for their time, they hold back none of the incident's messages."""
    return f"{incident_queue(incident_id)}:phase"


def redraw_card(
    sender: Sender, session: Session, incident_id: int, *, delay: timedelta | None = None
) -> None:
    """Owe Slack a redraw of the incident's card, which renders the incident as it is when
    sent (one waiting redraw stands for several); with `delay`, one at that time (a phase
    turning over) in the incident's phase queue."""
    payload = {"incident_id": incident_id}
    if delay is not None:
        sender.enqueue(
            session,
            queue=phase_queue(incident_id),
            op=Operation.CARD_UPDATE,
            payload=payload,
            delay=delay,
        )
        return
    sender.enqueue(
        session,
        queue=incident_queue(incident_id),
        op=Operation.CARD_UPDATE,
        payload=payload,
        coalesce=True,
    )


def record(
    session: Session,
    *,
    incident_id: int,
    kind: EventKind,
    actor: str,
    at: datetime,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """The one place a timeline event is written (with `record_many`, for several)."""
    event = timeline.NewEvent(at=at, actor=actor, kind=kind, text=text, data=data)
    return record_many(session, incident_id=incident_id, events=[event])[0]


def record_many(
    session: Session, *, incident_id: int, events: Sequence[timeline.NewEvent]
) -> list[int]:
    """Write one incident's events, in this order (a batch's notes): their ids."""
    return timeline.append_many(session, incident_id=incident_id, events=events)


@dataclass(frozen=True)
class _Note:
    """A note to write: which incident (None: its actor's channel's), what, who (and which
    delivery), when."""

    incident_id: int | None
    text: str
    actor: Actor
    at: datetime


def claim(session: Session, *, actor: Actor, at: datetime) -> None:
    """Take this delivery, or raise Duplicate when it was taken before."""
    if actor.delivery_key and not deliveries.claim(session, key=actor.delivery_key, at=at):
        raise Duplicate(actor.delivery_key)


def take(store: Store, *, actor: Actor, at: datetime) -> None:
    """Take a delivery that changes nothing else stored (a click that opens a form), in a
    transaction of its own; Duplicate when Slack delivered it before."""
    store.submit(lambda session: claim(session, actor=actor, at=at))


def impact_time(
    text: str, *, now: datetime, zone: ZoneInfo, resolved_at: datetime | None = None
) -> datetime:
    """When impact began, from `HH:MM` (the most recent such time not in the future) or
    `YYYY-MM-DD HH:MM`, in `zone`; UserError when it is not a time, is in the future, or is
    after the incident's recovery."""
    value = " ".join(text.split())
    if not value:
        raise UserError("error.started_missing")
    match = _LOCAL_TIME.match(value)
    if match is None:
        raise UserError("error.started_format", value=clip(value, 40))
    year, month, day, hour, minute = match.groups()
    local_now = now.astimezone(zone)
    try:
        if year is None:
            at = local_now.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
            if at > local_now:
                at = _same_time_day_before(at, zone)
        else:
            at = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=zone)
    except ValueError:
        raise UserError("error.started_format", value=clip(value, 40)) from None
    if at > now:
        raise UserError(
            "error.started_future", at=fmt_datetime(at, zone), now=fmt_datetime(now, zone)
        )
    if resolved_at is not None and at > resolved_at:
        raise UserError(
            "error.started_after_resolved",
            at=fmt_datetime(at, zone),
            resolved=fmt_datetime(resolved_at, zone),
        )
    return at


def _same_time_day_before(at: datetime, zone: ZoneInfo) -> datetime:
    naive = at.replace(tzinfo=None) - timedelta(days=1)
    return naive.replace(tzinfo=zone)


def _minute(at: datetime | None) -> datetime | None:
    return at.replace(second=0, microsecond=0) if at is not None else None


ResolveHook = Callable[..., Any]


class Incidents:
    """Declare and run incidents; every method records before Slack is told."""

    def __init__(self, *, store: Store, sender: Sender, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._on_resolve: list[ResolveHook] = []
        self._t = Catalogue(settings.locale)
        # A batch writes its notes together (one statement per table, not per note).
        self._notes = Together(self._write_notes)

    def on_resolve(self, hook: ResolveHook) -> None:
        """Call `hook(session, incident_id=..., actor=..., at=...)` inside every resolve's
        transaction (the approval engine cancels what still waits); it returns the ids of the
        requests it cancelled, recorded with the resolve."""
        self._on_resolve.append(hook)

    # -- reading ----------------------------------------------------------------------------
    def for_channel(self, channel_id: str) -> Incident | None:
        """The incident of this channel: its open one, else the one resolved last."""
        with self._store.read() as session:
            return incidents.for_channel(session, channel_id=channel_id)

    def with_card_state(self, channel_id: str) -> tuple[Incident, list[str], Live] | None:
        """`for_channel`'s incident with what its card is drawn from, in one read (the
        card of `/ailex status`)."""
        with self._store.read() as session:
            return with_card_state(session, channel_id=channel_id)

    def get(self, incident_id: int) -> Incident | None:
        with self._store.read() as session:
            return incidents.get(session, incident_id=incident_id)

    def list_open(self) -> Sequence[Incident]:
        with self._store.read() as session:
            return incidents.list_open(session)

    def list_all(self) -> Sequence[Incident]:
        with self._store.read() as session:
            return incidents.list_all(session)

    def events(self, incident_id: int) -> Sequence[TimelineEvent]:
        with self._store.read() as session:
            return timeline.for_incident(session, incident_id=incident_id)

    # -- flows --------------------------------------------------------------------------------
    def declare(
        self, *, title: str, severity: Severity, actor: Actor, force: bool = False
    ) -> Incident:
        """Record a new incident and owe Slack its channel and its card.

        An open incident with the same title is pointed at (SameTitleOpen) unless `force`."""
        title = " ".join(title.split())
        if not title:
            raise UserError("error.title_required")
        check_length(title, TITLE_LIMIT, "error.title_too_long")
        now = self._clock()
        own_channel = self._settings.incident_channels
        try:
            with self._store.write() as session:
                claim(session, actor=actor, at=now)
                if not force:
                    for other in incidents.list_open(session):
                        if same_title(other.title, title):
                            raise SameTitleOpen(other)
                if not own_channel:
                    existing = incidents.open_in_channel(session, channel_id=actor.channel_id)
                    if existing is not None:
                        raise UserError("error.already_open", id=existing.id)
                incident = self.open(
                    session,
                    title=title,
                    severity=severity,
                    actor=actor.user_id,
                    channel_id=actor.channel_id,
                    at=now,
                    response_url=actor.response_url,
                )
        except Conflict:
            # Two declarations raced for one channel; the other one won.
            raise UserError("error.already_open_race") from None
        self._sender.kick(incident_queue(incident.id))
        return incident

    def open(
        self,
        session: Session,
        *,
        title: str,
        severity: Severity,
        actor: str,
        channel_id: str,
        at: datetime,
        response_url: str | None = None,
        alert_source: str | None = None,
    ) -> Incident:
        """Create the incident in this transaction and owe Slack its channel and card.

        Declared by a person, they are its commander. Opened by an alert (`alert_source`),
        it has none until someone acknowledges it (장애 인지)."""
        own_channel = self._settings.incident_channels
        incident = incidents.create(
            session,
            title=title,
            severity=severity.value,
            status=Status.INVESTIGATING.value,
            commander_id="" if alert_source else actor,
            declared_by=actor,
            origin_channel_id=channel_id,
            channel_id=None if own_channel or not channel_id else channel_id,
            started_at=at,
            alert_source=alert_source,
            is_drill=self._settings.drill,
        )
        record(
            session,
            incident_id=incident.id,
            kind=EventKind.DECLARED,
            actor=actor,
            at=at,
            text=title,
            data={"severity": severity.value, **({"source": alert_source} if alert_source else {})},
        )
        queue = incident_queue(incident.id)
        payload = {"incident_id": incident.id}
        if own_channel:
            self._sender.enqueue(
                session,
                queue=queue,
                op=Operation.CHANNEL_CREATE,
                payload={**payload, "response_url": response_url},
            )
        self._sender.enqueue(session, queue=queue, op=Operation.CARD_POST, payload=payload)
        for boundary in phase_boundaries(at):
            # Redraw the card when the runbook's phase turns over.
            redraw_card(self._sender, session, incident.id, delay=boundary - at)
        return incident

    def raise_severity(
        self, session: Session, *, incident: Incident, severity: Severity, at: datetime, why: str
    ) -> bool:
        """Raise the severity (the bot's change, `why` saying which alert asked); False when it
        is already as high."""
        order = list(Severity)
        if order.index(severity) >= order.index(Severity(incident.severity)):
            return False
        self._change_severity(
            session, incident, severity, "bot", at, "notice.severity_by_alert", why=why
        )
        return True

    def acknowledge(self, *, incident_id: int, actor: Actor) -> Incident:
        """장애 인지 of an incident an alert opened: the first person to acknowledge becomes its
        commander, and MTTA is known (from its first alert)."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id, open_only=True)
            if not incident.alert_source:
                raise UserError("error.ack_not_alert", id=incident.id)
            if incident.acknowledged_at is not None:
                raise UserError(
                    "error.ack_already",
                    user=incident.acknowledged_by or "",
                    at=fmt_datetime(incident.acknowledged_at, self._settings.zone),
                )
            first = alert_rows.first_received(session, incident_id=incident_id)
            first = first or incident.started_at
            incident.acknowledged_at = now
            incident.acknowledged_by = actor.user_id
            incident.commander_id = actor.user_id
            mtta_s = max(0, int((now - first).total_seconds()))
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.ACKNOWLEDGED,
                actor=actor.user_id,
                at=now,
                data={"mtta_s": mtta_s, "first_alert_at": first.astimezone(UTC).isoformat()},
            )
            self._announce(
                session,
                incident_id,
                "notice.acknowledged",
                user=actor.user_id,
                mtta=fmt_short_duration(
                    timedelta(seconds=mtta_s), Catalogue(self._settings.locale)
                ),
            )
            redraw_card(self._sender, session, incident_id)
        self._sender.kick(incident_queue(incident_id))
        return incident

    def announce(self, session: Session, incident_id: int, key: str, **params: Any) -> None:
        """Owe the incident's channel a catalogue message (drawn when it is sent)."""
        self._announce(session, incident_id, key, **params)

    def note(self, *, text: str, actor: Actor, incident_id: int | None = None) -> int:
        """Add the caller's note to the timeline of `incident_id`, else of the incident of the
        actor's channel (UserError when it has none), and show it in the channel; the id of
        the incident it went to."""
        text = text.strip()
        if not text:
            raise UserError("error.note_empty")
        check_length(text, TEXT_LIMIT, "error.note_too_long")
        note = _Note(incident_id=incident_id, text=text, actor=actor, at=self._clock())
        # Written with the notes that arrive with it, in a few statements for all, and
        # acknowledged after their commit (SPEC 4, storage.db.Store.submit_together); the
        # channel's incident is looked up there too, not in a read of its own before.
        written = int(self._store.submit_together(self._notes, note))
        self._sender.kick(incident_queue(written))
        return written

    def _write_notes(
        self, session: Session, notes: list[_Note]
    ) -> list[int | UserError | Duplicate]:
        """Write a batch's notes: each goes to its incident (its channel's, looked up once per
        channel), each delivery is claimed, the events of each incident chained in order and
        the channel messages owed, each kind in one statement for all. A note in a channel
        with no incident fails with a UserError, one whose delivery was taken before (or by
        a note before it here) with a Duplicate; either writes nothing."""
        channels: dict[str, int | None] = {}
        targets: list[int | None] = []
        for note in notes:
            target = note.incident_id
            if target is None:
                channel = note.actor.channel_id
                if channel not in channels:
                    channels[channel] = incidents.id_for_channel(session, channel_id=channel)
                target = channels[channel]
            targets.append(target)
        taken = deliveries.claim_many(
            session,
            [
                (n.actor.delivery_key, n.at)
                for n, target in zip(notes, targets, strict=True)
                if n.actor.delivery_key and target is not None
            ],
        )
        outcomes: list[int | UserError | Duplicate] = []
        kept: list[tuple[int, _Note]] = []
        for note, target in zip(notes, targets, strict=True):
            key = note.actor.delivery_key
            if target is None:
                outcomes.append(UserError("error.not_incident_channel"))
                continue
            if key is not None:
                if key not in taken:
                    outcomes.append(Duplicate(key))
                    continue
                taken.remove(key)  # the same delivery again in this batch is its duplicate
            kept.append((target, note))
            outcomes.append(target)
        by_incident: dict[int, list[_Note]] = {}
        for target, note in kept:
            by_incident.setdefault(target, []).append(note)
        for incident_id, group in by_incident.items():
            record_many(
                session,
                incident_id=incident_id,
                events=[
                    timeline.NewEvent(
                        at=n.at, actor=n.actor.user_id, kind=EventKind.NOTE, text=n.text
                    )
                    for n in group
                ],
            )
        self._sender.enqueue_many(
            session,
            [
                self._announcement(target, "notice.note", user=note.actor.user_id, text=note.text)
                for target, note in kept
            ],
        )
        return outcomes

    def set_severity(self, *, incident_id: int, severity: Severity, actor: Actor) -> str:
        """Change the severity; return the old one."""
        now = self._clock()

        def unit(session: Session) -> str:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id, open_only=True)
            old = incident.severity
            if old == severity.value:
                raise UserError("error.severity_same", severity=old)
            self._change_severity(
                session,
                incident,
                severity,
                actor.user_id,
                now,
                "notice.severity",
                user=actor.user_id,
            )
            return old

        old = self._store.submit(unit)
        self._sender.kick(incident_queue(incident_id))
        return old

    def set_status(self, *, incident_id: int, status: Status, actor: Actor) -> str:
        """Change the status (not to resolved: that is `resolve`); return the old one."""
        now = self._clock()

        def unit(session: Session) -> str:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id, open_only=True)
            old = incident.status
            if old == status.value:
                raise UserError("error.status_same", status=old)
            self._change_status(session, incident, status, actor.user_id, now)
            return old

        old = self._store.submit(unit)
        self._sender.kick(incident_queue(incident_id))
        return old

    def resolve(
        self,
        *,
        incident_id: int,
        actor: Actor,
        cause: str | None = None,
        impact: str | None = None,
        actions: str | None = None,
        prevention_short: str | None = None,
        prevention_long: str | None = None,
        impact_started: datetime | None = None,
    ) -> Incident:
        """Mark it resolved (복구일시 = now), keep what the team wrote, post the report.
        `impact_started`: when impact began (발생일시), if the form gave it."""
        now = self._clock()
        fields = {
            "cause": cause,
            "impact": impact,
            "actions": actions,
            "prevention_short": prevention_short,
            "prevention_long": prevention_long,
        }
        for value in fields.values():
            check_length((value or "").strip(), TEXT_LIMIT, "error.field_too_long")
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id, open_only=True)
            if impact_started is not None:
                events = timeline.for_incident(session, incident_id=incident_id)
                if _minute(impact_started_of(events)) != _minute(impact_started):
                    self._record_impact_start(session, incident, impact_started, actor.user_id, now)
            for name, value in fields.items():
                if value is not None and value.strip():
                    setattr(incident, name, value.strip())
            # Nothing waiting for approval may run under a resolved card.
            cancelled: list[int] = []
            for hook in self._on_resolve:
                cancelled += (
                    hook(session, incident_id=incident_id, actor=actor.user_id, at=now) or []
                )
            incident.resolved_at = now
            self._change_status(session, incident, Status.RESOLVED, actor.user_id, now)
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.RESOLVED,
                actor=actor.user_id,
                at=now,
                text=incident.cause,
                data={"cancelled": cancelled} if cancelled else None,
            )
            self._enqueue_report(session, incident_id)
            # What is still in effect (a site switch left on, checks still failing), with the
            # buttons to undo it; drawn when it is sent, and only when something is left.
            self._sender.enqueue(
                session,
                queue=incident_queue(incident_id),
                op=Operation.LEFTOVERS_POST,
                payload={"incident_id": incident_id, "cancelled": cancelled},
            )
        self._sender.kick(incident_queue(incident_id))
        return incident

    def reopen(self, *, incident_id: int, actor: Actor) -> Incident:
        """Open a resolved incident again (recorded; the report keeps both resolutions)."""
        now = self._clock()
        try:
            with self._store.write() as session:
                claim(session, actor=actor, at=now)
                incident = self._lock(session, incident_id)
                if incident.resolved_at is None:
                    raise UserError("error.reopen_not_resolved", id=incident.id)
                other = (
                    incidents.open_in_channel(session, channel_id=incident.channel_id)
                    if incident.channel_id
                    else None
                )
                if other is not None:
                    raise UserError("error.reopen_other_open", id=incident.id, other=other.id)
                resolved_at = incident.resolved_at
                incident.resolved_at = None
                session.flush()  # the one-open-incident-per-channel index speaks here
                record(
                    session,
                    incident_id=incident_id,
                    kind=EventKind.REOPENED,
                    actor=actor.user_id,
                    at=now,
                    data={"resolved_at": resolved_at.isoformat()},
                )
                old_status, incident.status = incident.status, Status.INVESTIGATING.value
                record(
                    session,
                    incident_id=incident_id,
                    kind=EventKind.STATUS_CHANGED,
                    actor=actor.user_id,
                    at=now,
                    data={"from": old_status, "to": incident.status},
                )
                self._announce(session, incident_id, "notice.reopened", user=actor.user_id)
                redraw_card(self._sender, session, incident_id)
        except Conflict:
            # Another incident was opened in this channel at the same moment.
            raise UserError("error.reopen_other_open_race", id=incident_id) from None
        self._sender.kick(incident_queue(incident_id))
        return incident

    def set_impact_start(self, *, incident_id: int, text: str, actor: Actor) -> datetime:
        """`/ailex started HH:MM`: when impact began, the report's 발생일시; recorded."""
        now = self._clock()
        zone = self._settings.zone
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id)
            at = impact_time(text, now=now, zone=zone, resolved_at=incident.resolved_at)
            self._record_impact_start(session, incident, at, actor.user_id, now)
        self._sender.kick(incident_queue(incident_id))
        return at

    def edit_report(
        self,
        *,
        incident_id: int,
        actor: Actor,
        fields: dict[str, str | None],
        impact_started: datetime | None,
    ) -> list[str]:
        """The report form submitted again (`/ailex report edit`), also after resolve: keep
        what changed, record what changed, and post the report again when it was resolved.
        An empty field clears it; `impact_started` None: counted from the declaration.
        Returns the names of the fields that changed."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id)
            changed: list[str] = []
            before: dict[str, str | None] = {}
            for name in REPORT_FIELDS:
                if name not in fields:
                    continue
                raw = (fields[name] or "").strip()
                check_length(raw, TEXT_LIMIT, "error.field_too_long")
                value = raw or None
                if name == "cause" and value is None and incident.resolved_at is not None:
                    raise UserError("error.cause_required")
                if value != getattr(incident, name):
                    before[name] = getattr(incident, name)
                    setattr(incident, name, value)
                    changed.append(name)
            events = timeline.for_incident(session, incident_id=incident_id)
            current = impact_started_of(events)
            if _minute(current) != _minute(impact_started):
                self._record_impact_start(session, incident, impact_started, actor.user_id, now)
                changed.append("impact_started")
            if not changed:
                return []
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.REPORT_EDITED,
                actor=actor.user_id,
                at=now,
                data={"fields": changed, "before": before},
            )
            self._announce(
                session, incident_id, "notice.report_edited", user=actor.user_id, fields=changed
            )
            if incident.resolved_at is not None:
                self._enqueue_report(session, incident_id)
        self._sender.kick(incident_queue(incident_id))
        return changed

    def post_report(self, *, incident_id: int, actor: Actor) -> None:
        """Post the report again, as it stands now."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            self._lock(session, incident_id)
            self._enqueue_report(session, incident_id)
        self._sender.kick(incident_queue(incident_id))

    # -- helpers ------------------------------------------------------------------------------
    def _lock(self, session: Session, incident_id: int, *, open_only: bool = False) -> Incident:
        incident = incidents.get(session, incident_id=incident_id, for_update=True)
        if incident is None:
            raise UserError("error.no_incident")
        if open_only and incident.resolved_at is not None:
            raise UserError("error.incident_resolved", id=incident.id)
        return incident

    def _record_impact_start(
        self,
        session: Session,
        incident: Incident,
        at: datetime | None,
        actor: str,
        now: datetime,
    ) -> None:
        """Record when impact began (None: back to the declaration) and say so."""
        zone = self._settings.zone
        record(
            session,
            incident_id=incident.id,
            kind=EventKind.IMPACT_STARTED,
            actor=actor,
            at=now,
            data={"at": at.astimezone(UTC).isoformat() if at is not None else None},
        )
        shown = fmt_datetime(at or incident.started_at, zone)
        self._announce(session, incident.id, "notice.impact_started", user=actor, at=shown)

    def _change_severity(
        self,
        session: Session,
        incident: Incident,
        severity: Severity,
        actor: str,
        now: datetime,
        notice: str,
        **params: str,
    ) -> None:
        """Set the severity, recorded (with `why` when the bot raised it for an alert), said
        in the channel with `notice`, the card redrawn."""
        old, incident.severity = incident.severity, severity.value
        data = {"from": old, "to": severity.value}
        if "why" in params:
            data["why"] = params["why"]
        record(
            session,
            incident_id=incident.id,
            kind=EventKind.SEVERITY_CHANGED,
            actor=actor,
            at=now,
            data=data,
        )
        self._announce(session, incident.id, notice, old=old, new=severity.value, **params)
        redraw_card(self._sender, session, incident.id)

    def _change_status(
        self, session: Session, incident: Incident, status: Status, actor: str, now: datetime
    ) -> None:
        old = incident.status
        incident.status = status.value
        record(
            session,
            incident_id=incident.id,
            kind=EventKind.STATUS_CHANGED,
            actor=actor,
            at=now,
            data={"from": old, "to": status.value},
        )
        if status != Status.RESOLVED:
            self._announce(session, incident.id, "notice.status", user=actor, new=status.value)
        redraw_card(self._sender, session, incident.id)

    def _announce(self, session: Session, incident_id: int, key: str, **params: Any) -> None:
        self._sender.enqueue_many(session, [self._announcement(incident_id, key, **params)])

    @staticmethod
    def _announcement(incident_id: int, key: str, **params: Any) -> NewMessage:
        """The message that owes the incident's channel a catalogue message (drawn when it
        is sent)."""
        return NewMessage(
            queue=incident_queue(incident_id),
            op=Operation.MESSAGE_POST,
            payload={"incident_id": incident_id, "key": key, "params": params},
        )

    def _enqueue_report(self, session: Session, incident_id: int) -> None:
        queue = incident_queue(incident_id)
        payload = {"incident_id": incident_id}
        self._sender.enqueue(session, queue=queue, op=Operation.REPORT_MESSAGE, payload=payload)
        self._sender.enqueue(session, queue=queue, op=Operation.REPORT_FILE, payload=payload)
