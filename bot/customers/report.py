"""The customer version of the 장애 보고서 (SPEC 8): 발생일시, 복구일시, 영향 시간, 영향 범위,
심각도, the phase times, 원인, 조치 내용, 재발 방지 대책 and the timeline's seal, in each of
AILEX_CUSTOMER_LOCALES. No internal notes, no people's names or Slack ids, no internal URLs:
only what the incident's fields say (scrubbed) and the names of the actions that ran."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.incidents.report import impact_started, phase_marks
from bot.messages import Catalogue
from bot.text import fmt_datetime
from storage import Session
from storage.approvals import State
from storage.models import ApprovalRequest, Incident, TimelineEvent

# Any address: an internal dashboard, a Slack permalink, a Vercel preview. Customers get none.
_URL = re.compile(r"(?:https?|ftp)://\S+|\bwww\.\S+", re.I)
_SLACK_MARKUP = re.compile(r"<[@#!][^<>]*>|<[^<>|]+\|([^<>]*)>|\b[UW][A-Z0-9]{8,}\b")


@dataclass(frozen=True)
class TimelineSeal:
    """The timeline's head hash and event count when the report was drafted (SPEC 9)."""

    events: int
    head: str | None


def timeline_seal(events: Sequence[TimelineEvent]) -> TimelineSeal:
    """The hash-chained timeline's head as the report is drafted (SPEC 9): the hash of its
    last event and how many there are, which `ailex verify --head` checks later."""
    if not events:
        return TimelineSeal(events=0, head=None)
    last = max(events, key=lambda event: event.seq)
    return TimelineSeal(events=last.seq, head=last.hash)


def scrub(text: str | None) -> str:
    """A field people typed, as customers may read it: no URLs, Slack mentions or user ids."""
    cleaned = _SLACK_MARKUP.sub(lambda m: m.group(1) or "", text or "")
    cleaned = _URL.sub("", cleaned)
    return "\n".join(" ".join(line.split()) for line in cleaned.splitlines()).strip()


def _ran(requests: Sequence[ApprovalRequest]) -> list[str]:
    """The action keys that ran, in order (customer messages aside)."""
    return [
        r.action
        for r in requests
        if r.state == State.SUCCEEDED and not r.action.startswith("customer-")
    ]


def render_customer_report(
    session: Session,
    incident: Incident,
    events: Sequence[TimelineEvent],
    requests: Sequence[ApprovalRequest],
    *,
    locales: Sequence[str],
    zone: ZoneInfo,
) -> str:
    """The report's Markdown: one section a locale, the first locale first."""
    seal = timeline_seal(events)
    started = impact_started(events) or incident.started_at
    sections = []
    for locale in locales:
        t = Catalogue(locale)
        none = t("customer.report.md.none")
        lines = [t("customer.report.md.title", title=scrub(incident.title)), ""]
        lines.append(t("customer.report.md.started", at=fmt_datetime(started, zone)))
        if incident.resolved_at is not None:
            lines.append(
                t("customer.report.md.resolved", at=fmt_datetime(incident.resolved_at, zone))
            )
            minutes = max(0, round((incident.resolved_at - started).total_seconds() / 60))
            lines.append(t("customer.report.md.duration", minutes=minutes))
        lines.append(t("customer.report.md.impact", impact=scrub(incident.impact) or none))
        label = t(f"severity.{incident.severity}")
        lines.append(
            t(
                "customer.report.md.severity",
                severity=t("severity.with_label", severity=incident.severity, label=label),
            )
        )
        lines += ["", t("customer.report.md.phases")]
        for mark in phase_marks(incident, events):
            if mark.at is not None:
                lines.append(
                    t("customer.report.md.phase", phase=t(mark.key), at=fmt_datetime(mark.at, zone))
                )
        lines += ["", t("customer.report.md.cause"), scrub(incident.cause) or none, ""]
        lines.append(t("customer.report.md.actions"))
        actions = [f"- {t(f'action.{key}')}" for key in dict.fromkeys(_ran(requests))]
        typed = scrub(incident.actions)
        if typed:
            lines.append(typed)
        lines += actions
        if not typed and not actions:
            lines.append(none)
        lines += ["", t("customer.report.md.prevention")]
        prevention = [scrub(incident.prevention_short), scrub(incident.prevention_long)]
        lines += [f"- {p}" for p in prevention if p] or [none]
        lines += ["", t("customer.report.md.seal")]
        lines.append(t("customer.report.md.seal_line", count=seal.events, head=seal.head or "-"))
        sections.append("\n".join(lines))
    return "\n\n---\n\n".join(sections) + "\n"


def report_filename(incident: Incident, zone: ZoneInfo) -> str:
    """The attachment's name: the incident's date and id, no title (it may name people)."""
    day = incident.started_at.astimezone(zone).strftime("%Y%m%d")
    return f"ailex-incident-{day}-{incident.id}.md"
