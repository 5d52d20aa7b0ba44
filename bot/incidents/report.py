"""The runbook's 장애 보고서, written from the incident and its timeline."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.customers.state import report_sent_in
from bot.incidents.timeline import describe, people_named
from bot.incidents.vocabulary import EventKind, Status
from bot.messages import Catalogue
from bot.text import fmt_datetime, fmt_duration, fmt_short_duration, fmt_time
from storage.chain import GENESIS
from storage.models import Incident, TimelineEvent

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Around a person's id in an event's line until `mention` renders it: no stored text holds it
# (the Slack edge and the alert reader drop control characters from what comes in).
_PERSON = "\x00"
_MARKED = re.compile(f"{_PERSON}([^{_PERSON}]+){_PERSON}")


@dataclass(frozen=True)
class PhaseMark:
    """One line of the template's 타임라인: a phase and when it happened (None: not yet)."""

    key: str
    at: datetime | None


def _first(events: Sequence[TimelineEvent], *kinds: EventKind) -> datetime | None:
    return next((event.at for event in events if event.kind in kinds), None)


def _first_status(events: Sequence[TimelineEvent], status: Status) -> datetime | None:
    return next(
        (
            event.at
            for event in events
            if event.kind == EventKind.STATUS_CHANGED and event.data.get("to") == status
        ),
        None,
    )


def is_user(actor: str) -> bool:
    """Slack user ids start with U or W; the bot records itself as "bot"."""
    return actor[:1] in ("U", "W") and actor[1:].replace("_", "").isalnum()


def phase_marks(incident: Incident, events: Sequence[TimelineEvent]) -> list[PhaseMark]:
    """장애 인지, 진단 시작, 원인 파악, 조치 실행, 복구 확인, from what was recorded, in the
    order they happened (the runbook's order between equal times; unrecorded ones last)."""
    identified = _first_status(events, Status.IDENTIFIED)
    if identified is None and incident.cause:
        identified = _first(events, EventKind.RESOLVED)
    # An incident an alert opened is 인지 when a person acknowledges it; a declared one, when
    # it was declared.
    detected = (
        _first(events, EventKind.ACKNOWLEDGED) if incident.alert_source else incident.started_at
    )
    marks = [
        PhaseMark("report.phase.detected", detected),
        PhaseMark("report.phase.diagnosis", _first(events, EventKind.DIAGNOSIS)),
        PhaseMark("report.phase.identified", identified),
        PhaseMark(
            "report.phase.action",
            _first(events, EventKind.REMEDIATION_EXECUTED, EventKind.REMEDIATION_FAILED),
        ),
        PhaseMark("report.phase.recovered", incident.resolved_at),
    ]
    recorded = sorted((m for m in marks if m.at is not None), key=lambda m: m.at or _EPOCH)
    return recorded + [m for m in marks if m.at is None]


def impact_started(events: Sequence[TimelineEvent]) -> datetime | None:
    """When impact began, as last set (`/ailex started`, the resolve form); None: not set,
    and the report counts from the declaration."""
    for event in reversed(events):
        if event.kind == EventKind.IMPACT_STARTED:
            value = (event.data or {}).get("at")
            return datetime.fromisoformat(value) if isinstance(value, str) else None
    return None


def severity_history(events: Sequence[TimelineEvent], current: str) -> list[str]:
    """The severities the incident had, in order, ending with the current one."""
    history: list[str] = []
    for event in events:
        if event.kind == EventKind.DECLARED and event.data.get("severity"):
            history = [str(event.data["severity"])]
        elif event.kind == EventKind.SEVERITY_CHANGED and event.data.get("to"):
            if not history and event.data.get("from"):
                history.append(str(event.data["from"]))
            history.append(str(event.data["to"]))
    if not history or history[-1] != current:
        history.append(current)
    return history


# Events of the bot's own housekeeping that say nothing about the incident to a reader of
# its report (a refused click, where the channel is, that a report was posted).
NOT_REPORTED = {
    EventKind.CHANNEL_CREATED,
    EventKind.CHANNEL_FAILED,
    EventKind.REMEDIATION_REFUSED,
    EventKind.REPORT_POSTED,
}


def reported_events(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """The events the report's 전체 기록 lists."""
    return [event for event in events if event.kind not in NOT_REPORTED]


def people_in(incident: Incident, events: Sequence[TimelineEvent]) -> list[str]:
    """The Slack users a report names: its commander and whoever did something in it."""
    users = [incident.commander_id]
    for event in events:
        users += [event.actor, *people_named(event)]
    return [user for user in dict.fromkeys(users) if user and is_user(user)]


def executed_actions(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """The remediations and backups that ran, for 조치 내용."""
    kinds = {
        EventKind.REMEDIATION_EXECUTED,
        EventKind.REMEDIATION_FAILED,
        EventKind.REMEDIATION_INTERRUPTED,
        EventKind.BACKUP,
        EventKind.CUSTOMER_NOTIFIED,
        EventKind.CUSTOMER_REPORT_SENT,
    }
    return [event for event in events if event.kind in kinds]


def _mtta(events: Sequence[TimelineEvent], t: Catalogue) -> list[str]:
    """인지까지 걸린 시간 (MTTA: from the first alert to the acknowledgement), when known."""
    for event in events:
        if event.kind == EventKind.ACKNOWLEDGED:
            seconds = int((event.data or {}).get("mtta_s") or 0)
            return [f"- {t('report.mtta')}: {fmt_short_duration(timedelta(seconds=seconds), t)}"]
    return []


def chain_head(events: Sequence[TimelineEvent]) -> str:
    """The hash of the last event (SPEC 9): the head of the chain the report was drafted from;
    64 zeros when there is none."""
    return str(events[-1].hash) if events else GENESIS


def chain_line(
    events: Sequence[TimelineEvent], t: Catalogue, *, head: Callable[[str], str] = str
) -> str:
    """`타임라인 해시: <head> (N건)`: what `ailex verify --head` checks a report against."""
    return t("report.chain", head=head(chain_head(events)), count=len(events))


def render_markdown(
    incident: Incident,
    events: Sequence[TimelineEvent],
    *,
    t: Catalogue,
    zone: ZoneInfo,
    now: datetime,
    mention: Callable[[str], str] = lambda user: f"@{user}",
    user_text: Callable[[str], str] = lambda text: text,
    followups: Sequence[Any] = (),
) -> str:
    """The report as the runbook's Markdown template, every heading in the team's language.
    `followups`: the incident's follow-ups (storage.models.FollowUp), listed under 재발 방지.

    `user_text` is applied to whatever people typed (escaping for Slack's mrkdwn)."""
    none = t("report.none")
    u = user_text

    def said(event: TimelineEvent) -> str:
        # What the event says is escaped as text people typed; the people it names are put
        # back after, through `mention` (a Slack mention, or a name in the file).
        marked = describe(event, t, zone=zone, mention=lambda user: f"{_PERSON}{user}{_PERSON}")
        return _MARKED.sub(lambda m: mention(m.group(1)), u(marked))

    declared = incident.started_at
    started = impact_started(events) or declared
    since = min(started, declared)
    if incident.resolved_at is not None:
        recovered = fmt_datetime(incident.resolved_at, zone)
        duration = fmt_duration(incident.resolved_at - started, t)
    else:
        recovered = t("report.ongoing")
        duration = t("report.ongoing_for", duration=fmt_duration(now - started, t))
    label = t(f"severity.{incident.severity}")
    severity = t("severity.with_label", severity=incident.severity, label=label)
    history = severity_history(events, incident.severity)
    if len(history) > 1:
        severity = t("report.severity_history", final=severity, history=" → ".join(history))

    lines = [
        *([f"> {t('drill.report_heading')}", ""] if getattr(incident, "is_drill", False) else []),
        f"## {t('report.title')}",
        "",
        f"- {t('report.incident')}: #{incident.id} {u(incident.title)}",
        f"- {t('report.started')}: {fmt_datetime(started, zone)}",
        f"- {t('report.recovered')}: {recovered}",
        f"- {t('report.duration')}: {duration}",
        *_resolutions(events, t=t, zone=zone, started=started, mention=mention),
        f"- {t('report.impact')}: {u(incident.impact or none)}",
        f"- {t('report.severity')}: {severity}",
        f"- {t('report.commander')}: "
        + (mention(incident.commander_id) if incident.commander_id else t("card.awaiting_ack")),
        *_mtta(events, t),
        f"- {chain_line(events, t)}",
        "",
        f"### {t('report.timeline')}",
    ]
    for mark in phase_marks(incident, events):
        when = fmt_time(mark.at, zone, since=since) if mark.at else "--:--"
        suffix = "" if mark.at else f" ({t('report.not_recorded')})"
        lines.append(f"- {when} - {t(mark.key)}{suffix}")

    lines += ["", f"### {t('report.events')}"]
    for event in reported_events(events):
        when = fmt_time(event.at, zone, since=since)
        who = mention(event.actor) if is_user(event.actor) else t("actor.bot")
        lines.append(f"- {when} - {who} {said(event)}")

    lines += ["", f"### {t('report.cause')}", u(incident.cause or none), ""]
    lines.append(f"### {t('report.actions')}")
    actions = executed_actions(events)
    if incident.actions:
        lines.append(u(incident.actions))
    for event in actions:
        when = fmt_time(event.at, zone, since=since)
        lines.append(f"- {when} {said(event)}")
    if not incident.actions and not actions:
        lines.append(none)

    sent = report_sent_in(events)
    if sent is not None:
        lines.append(
            "- " + t("customer.report_sent", at=fmt_datetime(sent.at, zone), count=sent.count)
        )

    lines += [
        "",
        f"### {t('report.prevention')}",
        f"1. ({t('report.short_term')}) {u(incident.prevention_short or none)}",
        f"2. ({t('report.long_term')}) {u(incident.prevention_long or none)}",
        "",
    ]
    if followups:  # SPEC 7: each with its owner, due date and state
        lines += [f"#### {t('report.followups')}"]
        lines += [
            "- "
            + t(
                "followup.line",
                number=f.number,
                text=u(f.text),
                owner=mention(f.owner_id),
                due=f.due_date or t("followup.no_due"),
                state=t("followup.state.done" if f.done_at else "followup.state.open"),
            )
            for f in followups
        ]
        lines.append("")
    return "\n".join(lines)


def _resolutions(
    events: Sequence[TimelineEvent],
    *,
    t: Catalogue,
    zone: ZoneInfo,
    started: datetime,
    mention: Callable[[str], str],
) -> list[str]:
    """Each resolution and reopening, with who and when, once an incident was reopened."""
    kinds = {EventKind.RESOLVED: "report.resolution", EventKind.REOPENED: "report.reopening"}
    steps = [event for event in events if event.kind in kinds]
    if not any(event.kind == EventKind.REOPENED for event in steps):
        return []
    parts = [
        t(
            kinds[EventKind(event.kind)],
            at=fmt_time(event.at, zone, since=started),
            user=mention(event.actor),
        )
        for event in steps
    ]
    return [f"- {t('report.resolutions')}: " + " → ".join(parts)]


def report_filename(incident: Incident, zone: ZoneInfo) -> str:
    """incident-12-20261126.md"""
    return f"incident-{incident.id}-{incident.started_at.astimezone(zone):%Y%m%d}.md"
