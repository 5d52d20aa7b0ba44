"""Tables of the bot's own store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import JSONType, UTCDateTime


class Base(DeclarativeBase):
    pass


class Incident(Base):
    """One declared incident; it lives in `channel_id` (its own channel or where declared)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20))
    commander_id: Mapped[str] = mapped_column(String(32))
    declared_by: Mapped[str] = mapped_column(String(32))
    origin_channel_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    channel_name: Mapped[str | None] = mapped_column(String(80))
    card_ts: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    impact: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)
    prevention_short: Mapped[str | None] = mapped_column(Text)
    prevention_long: Mapped[str | None] = mapped_column(Text)
    # An incident an alert opened: the source, and its acknowledgement (장애 인지) by a person,
    # who becomes its commander (until then commander_id is empty).
    alert_source: Mapped[str | None] = mapped_column(String(20))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    # The head of the incident's hash-chained timeline (SPEC 9): its last event's seq and hash.
    # Every append advances it with an UPDATE, whose row lock serialises one incident's
    # appenders on PostgreSQL (the chain never forks) and lets `verify` see a cut tail.
    chain_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # Declared in a drill (`ailex drill`, SPEC 10): left out of statistics and customers' sight.
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    chain_head: Mapped[str] = mapped_column(
        String(64), default="0" * 64, server_default=text("'" + "0" * 64 + "'")
    )

    __table_args__ = (
        # At most one open incident per channel, whatever races two replicas run.
        Index(
            "uq_incidents_open_channel",
            "channel_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_incidents_started_at", "started_at"),
    )


class TimelineEvent(Base):
    """Something that happened in an incident, with who and when."""

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Its place in the incident's chain (1, 2, ...) and hex SHA-256 of the previous event's
    # hash and its own canonical JSON (storage/chain.py, SPEC 9).
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_timeline_events_incident_at", "incident_id", "at", "id"),
        Index("uq_timeline_events_incident_seq", "incident_id", "seq", unique=True),
    )


class Alert(Base):
    """One alert a source delivered (SPEC 6), stored before it is answered; it belongs to at
    most one incident. A repeated delivery (same source and delivery id) is not stored again.

    `handled_at` is set once the intake has acted on it (grouped, declared, diagnosed), in
    the transaction that did so: an alert whose replica died midway is still unhandled.
    In triage mode an alert that would open an incident waits (`triage` pending) with a
    message in the alert channel; later alerts of its key join it (`parent_id`)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str | None] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    scenario: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triage: Mapped[str | None] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("uq_alerts_delivery", "source", "delivery_id", unique=True),
        Index("ix_alerts_key", "source", "key", "id"),
        Index("ix_alerts_incident", "incident_id", "id"),
        Index("ix_alerts_unhandled", "handled_at", "id"),
    )


class IntakeLock(Base):
    """One row per grouping domain, locked while an alert is grouped, so that two replicas
    never open two incidents for one burst (SQLite's writes are serial already)."""

    __tablename__ = "intake_locks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)


class Delivery(Base):
    """A Slack request already taken (its trigger_id or event_id), so a retry changes nothing."""

    __tablename__ = "deliveries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Base):
    """A call to Slack the bot owes, kept until Slack has taken it.

    Messages of one queue (an incident) go out in id order; a failed one holds back the rest."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    queue: Mapped[str] = mapped_column(String(64))
    # Which Slack it is for: the real one, or the console's stand-in (which shares the store
    # but must never take the real Slack's messages).
    target: Mapped[str] = mapped_column(String(20), default="slack")
    op: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_pending", "status", "queue", "id"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )


class DiagnosisRun(Base):
    """One run of a scenario's checks (or of all of them: triage)."""

    __tablename__ = "diagnosis_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario: Mapped[str] = mapped_column(String(20))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    response_url: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # The check ids this run covers, in display order.
    check_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    suggestions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)

    __table_args__ = (Index("ix_diagnosis_runs_incident", "incident_id", "started_at"),)


class CheckResult(Base):
    """What one check of a run found; the summary is kept untranslated (key and params)."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("diagnosis_runs.id", ondelete="CASCADE"))
    check_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)
    duration_ms: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("uq_check_results_run_check", "run_id", "check_id", unique=True),)


class TableSnapshot(Base):
    """Row counts of the product database's tables, to tell a sharp drop (상황 7)."""

    __tablename__ = "table_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(20))
    counts: Mapped[dict[str, int]] = mapped_column(JSONType)


class ApprovalRequest(Base):
    """A destructive action asked for, its preview, who decided, and what execution did.

    States: pending -> executing -> succeeded | failed | interrupted; pending -> denied |
    expired | cancelled. A state moves only by one conditional UPDATE (`approvals.transition`),
    so an action executes at most once whatever clicks, retries or replicas race. At most one
    request of an action waits per incident (a partial unique index), whatever two replicas
    race."""

    __tablename__ = "approval_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    argument: Mapped[str | None] = mapped_column(Text)
    needs_approval: Mapped[bool] = mapped_column(default=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    preview: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(12))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    executor: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_approval_requests_state", "state", "expires_at"),
        Index("ix_approval_requests_incident", "incident_id"),
        Index(
            "uq_approval_requests_pending_action",
            "incident_id",
            "action",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )


class Reminder(Base):
    """One reminder of the runbook's clock (SPEC 7): an incident, a kind and a due time.

    The row is the schedule; it moves `scheduled -> queued -> sent | withheld` only by
    conditional UPDATEs (storage/reminders.py), so that each due time is sent at most once
    whatever restarts or replicas race. The unique index keeps two replicas from scheduling
    the same due time twice."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="scheduled")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_reminders_due", "incident_id", "kind", "due_at", unique=True),
        Index("ix_reminders_state", "state", "due_at"),
    )


class FollowUp(Base):
    """A follow-up action (재발 방지 대책) of an incident, numbered within it from 1."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(String(32))
    due_date: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD in AILEX_TIMEZONE
    source: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(32))
    # The owner's one direct message the morning after it fell due (claimed, then sent).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_followups_number", "incident_id", "number", unique=True),
        Index("ix_followups_owner", "owner_id", "done_at"),
    )
