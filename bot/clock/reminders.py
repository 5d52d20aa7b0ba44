"""The runbook's clock kept (SPEC 7): due reminders claimed once across replicas, recorded
in the timeline, and posted through the outbox, which judges each again as it goes out.

A reminder is never scheduled in Slack (`chat.scheduleMessage` could not be withdrawn when
its condition stops holding, nor outlive a Slack outage as a stored row does): its row in
`reminders` is the schedule, and `tick` (the core's clock thread, on the app's clock) sends
what is due."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock
from bot.clock.rules import ReminderKind, holds, missing_postmortem, plans
from bot.errors import UserError
from bot.incidents.flows import Actor, claim, incident_queue, record
from bot.incidents.vocabulary import EventKind
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.blocks import actions, button, mentions, section
from bot.slack.ids import ActionId
from bot.slack.operations import Undeliverable
from bot.slack.outbox import Operation, Sender
from bot.text import fmt_datetime
from storage import Store, incidents, timeline
from storage import reminders as rows
from storage.models import Incident, Reminder

log = logging.getLogger(__name__)

# Resolved incidents are watched this long (the overdue reminder is at 24 hours).
WATCH_RESOLVED = timedelta(hours=25)


class Reminders:
    """Claims due reminders (`tick`), sends them (`post`, an outbox operation) and snoozes."""

    def __init__(self, *, store: Store, sender: Sender, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._intervals = settings.update_intervals
        self._oncall = list(settings.oncall)
        self._t = Catalogue(settings.locale)

    def register(self, sender: Sender) -> None:
        sender.register(Operation.REMINDER_POST, self.post)

    # -- claiming ---------------------------------------------------------------------------
    def tick(self) -> int:
        """Claim and queue every reminder due now; return how many this call queued."""
        now = self._clock()
        with self._store.read() as session:
            watched = incidents.open_or_resolved_since(session, since=now - WATCH_RESOLVED)
        queued = 0
        for incident_id in watched:
            try:
                queued += self._tick_incident(incident_id, now)
            except Exception:
                log.exception("clock: reminders of incident %s failed; will try again", incident_id)
        return queued

    def _tick_incident(self, incident_id: int, now: datetime) -> int:
        queued = 0
        with self._store.write() as session:
            incident = incidents.get(session, incident_id=incident_id)
            if incident is None:
                return 0
            events = timeline.for_clock(session, incident_id=incident_id)
            keep: list[int] = []
            for plan in plans(incident, events, self._intervals):
                reminder_id = rows.schedule(
                    session,
                    incident_id=incident_id,
                    kind=plan.kind,
                    due_at=plan.due_at,
                    data=plan.data,
                    at=now,
                )
                keep.append(reminder_id)
                if plan.due_at > now or not rows.claim(session, reminder_id=reminder_id, at=now):
                    continue
                record(
                    session,
                    incident_id=incident_id,
                    kind=EventKind.REMINDER,
                    actor="bot",
                    at=now,
                    data={
                        "reminder": plan.kind.value,
                        "reminder_id": reminder_id,
                        "due_at": plan.due_at.isoformat(),
                        **plan.data,
                    },
                )
                self._sender.enqueue(
                    session,
                    queue=incident_queue(incident_id),
                    op=Operation.REMINDER_POST,
                    payload={"reminder_id": reminder_id},
                )
                queued += 1
            rows.drop_stale(session, incident_id=incident_id, keep=keep, at=now)
        if queued:
            self._sender.kick(incident_queue(incident_id))
        return queued

    # -- sending (the outbox operation) -----------------------------------------------------
    def post(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Post a queued reminder, unless its condition no longer holds: then record it
        withheld. Run again after a crash, a reminder already finished does nothing."""
        now = self._clock()
        with self._store.write() as session:
            reminder = rows.get(session, reminder_id=int(payload["reminder_id"]))
            if reminder is None or reminder.state != rows.QUEUED:
                return {"state": reminder.state if reminder else "gone"}
            incident = incidents.get(session, incident_id=reminder.incident_id)
            if incident is None:
                raise Undeliverable(f"incident {reminder.incident_id} is gone")
            events = timeline.for_clock(session, incident_id=incident.id)
            if not holds(reminder.kind, incident, events, reminder.data):
                if rows.finish(session, reminder_id=reminder.id, state=rows.WITHHELD, at=now):
                    record(
                        session,
                        incident_id=incident.id,
                        kind=EventKind.REMINDER_WITHHELD,
                        actor="bot",
                        at=now,
                        data={"reminder": reminder.kind, "reminder_id": reminder.id},
                    )
                return {"withheld": True}
            if not incident.channel_id:
                raise Undeliverable(f"incident {incident.id} has no channel")
            text, blocks = self.draw(reminder, incident, events)
            channel = incident.channel_id
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        with self._store.write() as session:
            rows.finish(session, reminder_id=reminder.id, state=rows.SENT, at=self._clock())
        return {"channel": channel, "ts": answer["ts"]}

    def draw(
        self, reminder: Reminder, incident: Incident, events: Sequence[Any]
    ) -> tuple[str, list[dict[str, Any]]]:
        """The reminder's message: who it calls, what is late, and the button that helps."""
        t = self._t
        who = f"<@{incident.commander_id}>" if incident.commander_id else ""
        if incident.alert_source and incident.acknowledged_at is None and self._oncall:
            who = mentions(self._oncall)
        mention = f"{who} " if who else ""
        kind = ReminderKind(reminder.kind)
        params: dict[str, Any] = {"mention": mention, "id": incident.id}
        buttons: list[dict[str, Any]] = []
        if kind == ReminderKind.ACK:
            buttons.append(button(t("button.ack"), ActionId.ACK, str(incident.id)))
        elif kind == ReminderKind.DIAGNOSE:
            buttons.append(button(t("button.reminder_triage"), ActionId.DIAGNOSE, "triage"))
        elif kind == ReminderKind.NOTICE:
            buttons.append(
                button(t("button.reminder_notice"), ActionId.REMEDIATE, "customer-notice")
            )
        elif kind == ReminderKind.UPDATE:
            minutes = f"{float(reminder.data.get('minutes') or 0):g}"
            params["minutes"] = minutes
            buttons.append(
                button(
                    t("button.reminder_snooze", minutes=minutes),
                    ActionId.REMINDER_SNOOZE,
                    str(incident.id),
                )
            )
        else:
            missing = missing_postmortem(incident, events)
            params["missing"] = ", ".join(t(f"reminder.missing.{m}") for m in missing)
            assert incident.resolved_at is not None
            params["due"] = fmt_datetime(
                incident.resolved_at + timedelta(hours=24), self._settings.zone
            )
        text = t(f"reminder.{kind.value}", **params)
        blocks = [section(text)]
        if buttons:
            blocks.append(actions(*buttons))
        return text, blocks

    # -- snooze -----------------------------------------------------------------------------
    def snooze(self, *, incident_id: int, actor: Actor) -> datetime:
        """Push the update reminder one interval from now (recorded); the next due time."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = incidents.get(session, incident_id=incident_id, for_update=True)
            if incident is None:
                raise UserError("error.no_incident")
            if incident.resolved_at is not None:
                raise UserError("error.incident_resolved", id=incident.id)
            minutes = self._intervals.get(incident.severity)
            if not minutes:
                raise UserError("reminder.snooze_none", severity=incident.severity)
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.REMINDER_SNOOZED,
                actor=actor.user_id,
                at=now,
                data={"minutes": minutes},
            )
        return now + timedelta(minutes=minutes)
