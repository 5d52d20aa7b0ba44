"""Follow-ups (재발 방지 대책, SPEC 7): added by command or from the resolve form's lines,
closed by number, listed in the report, and their owners told once, by direct message, on
the morning after one falls due; and the hand-over of an incident's commander."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock
from bot.errors import UserError
from bot.incidents.flows import Actor, claim, incident_queue, record, redraw_card
from bot.incidents.vocabulary import EventKind
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.blocks import section
from bot.slack.outbox import Operation, Sender
from bot.text import clip, escape
from storage import Session, Store, incidents
from storage import followups as rows
from storage.models import FollowUp, Incident

log = logging.getLogger(__name__)

TEXT_LIMIT = 500
# The morning after a follow-up falls due, in AILEX_TIMEZONE, its owner hears of it.
MORNING_HOUR = 9
DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def followup_queue(followup_id: int) -> str:
    return f"followup:{followup_id}"


class FollowUps:
    def __init__(self, *, store: Store, sender: Sender, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._t = Catalogue(settings.locale)

    def register(self, sender: Sender) -> None:
        sender.register(Operation.FOLLOWUP_DM, self.direct_message)

    # -- reading ----------------------------------------------------------------------------
    def of_incident(self, incident_id: int) -> list[FollowUp]:
        with self._store.read() as session:
            return list(rows.of_incident(session, incident_id=incident_id))

    def open_for(self, user_id: str) -> list[FollowUp]:
        with self._store.read() as session:
            return list(rows.open_for(session, owner_id=user_id))

    def due_date(self, text: str) -> str:
        """A due date typed as YYYY-MM-DD, today or later in AILEX_TIMEZONE; UserError with
        the usage when it is not a date or is in the past."""
        try:
            year, month, day = (int(part) for part in text.split("-"))
            value = date(year, month, day)
        except ValueError:
            raise UserError("followup.bad_date", value=clip(text, 20)) from None
        today = self._clock().astimezone(self._settings.zone).date()
        if value < today:
            raise UserError("followup.past_date", value=value.isoformat(), today=today.isoformat())
        return value.isoformat()

    # -- flows ------------------------------------------------------------------------------
    def add(
        self,
        *,
        incident_id: int,
        text: str,
        owner_id: str | None,
        due_date: str | None,
        actor: Actor,
    ) -> FollowUp:
        """`/ailex followup <text> [@owner] [YYYY-MM-DD]` (owner: the caller by default)."""
        text = " ".join(text.split())
        if not text:
            raise UserError("followup.text_missing")
        if len(text) > TEXT_LIMIT:
            raise UserError("followup.too_long", limit=TEXT_LIMIT, length=len(text))
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            self._lock(session, incident_id)
            row = self._add(
                session,
                incident_id=incident_id,
                text=text,
                owner_id=owner_id or actor.user_id,
                due_date=due_date,
                source="command",
                actor=actor.user_id,
                at=now,
            )
        self._sender.kick(incident_queue(incident_id))
        return row

    def done(self, *, incident_id: int, number: int, actor: Actor) -> FollowUp:
        """`/ailex followup done N`: refused for a number that does not exist or is done."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            self._lock(session, incident_id)
            row = rows.by_number(session, incident_id=incident_id, number=number)
            if row is None:
                raise UserError("followup.no_such", number=number)
            if row.done_at is not None or not rows.close(
                session, followup_id=row.id, by=actor.user_id, at=now
            ):
                raise UserError("followup.already_done", number=number)
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.FOLLOWUP_DONE,
                actor=actor.user_id,
                at=now,
                text=row.text,
                data={"number": number},
            )
            session.refresh(row)
        self._sender.kick(incident_queue(incident_id))
        return row

    def from_resolve(
        self, session: Session, *, incident_id: int, actor: str, at: datetime
    ) -> list[int]:
        """A resolve hook: each non-empty line of 재발 방지 대책 (단기, 중장기) becomes a
        follow-up owned by the commander (once: a second resolve adds only new lines)."""
        incident = incidents.get(session, incident_id=incident_id)
        if incident is None:
            return []
        owner = incident.commander_id or actor
        known = {f.text for f in rows.of_incident(session, incident_id=incident_id)}
        for field in (incident.prevention_short, incident.prevention_long):
            for line in (field or "").splitlines():
                text = " ".join(line.strip().lstrip("-*•").split())
                if not text or text in known:
                    continue
                known.add(text)
                self._add(
                    session,
                    incident_id=incident_id,
                    text=clip(text, TEXT_LIMIT),
                    owner_id=owner,
                    due_date=None,
                    source="resolve",
                    actor=actor,
                    at=at,
                )
        return []  # nothing cancelled

    def hand_over(self, *, incident_id: int, user_id: str, actor: Actor) -> str:
        """`/ailex commander @user`: the new commander, recorded, the card redrawn; the old
        one's id ("" when there was none)."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            incident = self._lock(session, incident_id)
            old = incident.commander_id
            if old == user_id:
                raise UserError("commander.same", user=user_id)
            incident.commander_id = user_id
            record(
                session,
                incident_id=incident_id,
                kind=EventKind.COMMANDER_CHANGED,
                actor=actor.user_id,
                at=now,
                data={"old": old, "new": user_id},
            )
            self._announce(
                session,
                incident_id,
                "notice.commander" if old else "notice.commander_first",
                user=actor.user_id,
                old=old,
                new=user_id,
            )
            redraw_card(self._sender, session, incident_id)
        self._sender.kick(incident_queue(incident_id))
        return old

    # -- the morning after ------------------------------------------------------------------
    def notify_due(self) -> int:
        """Claim and queue the owners' direct messages due by now: each follow-up's one."""
        now = self._clock()
        local = now.astimezone(self._settings.zone)
        # Due on D: told from 09:00 of D+1, i.e. due dates before today (from 09:00) or
        # before yesterday (earlier in the morning).
        cutoff = local.date() if local.hour >= MORNING_HOUR else local.date() - timedelta(days=1)
        queued: list[int] = []
        with self._store.write() as session:
            for row in rows.unnotified_due(session, due_before=cutoff.isoformat()):
                if rows.claim_notice(session, followup_id=row.id, at=now):
                    self._sender.enqueue(
                        session,
                        queue=followup_queue(row.id),
                        op=Operation.FOLLOWUP_DM,
                        payload={"followup_id": row.id},
                    )
                    queued.append(row.id)
        for followup_id in queued:
            self._sender.kick(followup_queue(followup_id))
        return len(queued)

    def direct_message(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The owner's direct message (nothing when it was closed since)."""
        with self._store.read() as session:
            row = session.get(FollowUp, int(payload["followup_id"]))
            if row is None or row.done_at is not None:
                return None
            incident = incidents.get(session, incident_id=row.incident_id)
            title = incident.title if incident else ""
            channel = incident.channel_id if incident else None
        opened = client.conversations_open(users=row.owner_id)
        im = opened["channel"]["id"]
        text = self._t(
            "followup.dm",
            number=row.number,
            id=row.incident_id,
            title=escape(title),
            text=escape(row.text),
            due=row.due_date or "",
            channel=f"<#{channel}>" if channel else "-",
        )
        answer = client.chat_postMessage(channel=im, text=text, blocks=[section(text)])
        return {"channel": im, "ts": answer["ts"]}

    # -- helpers ----------------------------------------------------------------------------
    def _lock(self, session: Session, incident_id: int) -> Incident:
        incident = incidents.get(session, incident_id=incident_id, for_update=True)
        if incident is None:
            raise UserError("error.no_incident")
        return incident

    def _add(
        self,
        session: Session,
        *,
        incident_id: int,
        text: str,
        owner_id: str,
        due_date: str | None,
        source: str,
        actor: str,
        at: datetime,
    ) -> FollowUp:
        row = rows.add(
            session,
            incident_id=incident_id,
            text=text,
            owner_id=owner_id,
            due_date=due_date,
            source=source,
            created_by=actor,
            at=at,
        )
        record(
            session,
            incident_id=incident_id,
            kind=EventKind.FOLLOWUP_ADDED,
            actor=actor,
            at=at,
            text=text,
            data={"number": row.number, "owner": owner_id, "due": due_date or "-"},
        )
        return row

    def _announce(self, session: Session, incident_id: int, key: str, **params: Any) -> None:
        self._sender.enqueue(
            session,
            queue=incident_queue(incident_id),
            op=Operation.MESSAGE_POST,
            payload={"incident_id": incident_id, "key": key, "params": params},
        )


def followup_lines(
    items: Sequence[FollowUp],
    t: Catalogue,
    mention: Callable[[str], str] = lambda u: f"<@{u}>",
    user_text: Callable[[str], str] = escape,
) -> list[str]:
    """The report's and `followup list`'s lines: number, text, owner, due date, state."""
    return [
        t(
            "followup.line",
            number=f.number,
            text=user_text(f.text),
            owner=mention(f.owner_id),
            due=f.due_date or t("followup.no_due"),
            state=t("followup.state.done" if f.done_at else "followup.state.open"),
        )
        for f in items
    ]
