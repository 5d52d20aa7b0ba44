"""Drafting what customers will read: a notice in each of AILEX_CUSTOMER_LOCALES, and the
customer version of the report. The draft is the approval request's preview: the approver sees
exactly this text and these targets, and execution publishes exactly them (bot/customers/
publish.py), nothing drafted anew."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from bot.customers import channels, state
from bot.customers.report import render_customer_report, report_filename
from bot.errors import UserError
from bot.messages import Catalogue
from bot.settings import Settings
from probes.base import Msg, msg
from remediations.base import Preview
from remediations.email import Attachment, Mail
from remediations.statuspage import PageIncident, plan
from storage import Store, timeline
from storage import approvals as queries
from storage.models import Incident

MAX_TEXT = 1500
# Slack's own markup and ids never reach a customer: mentions, channel links, user ids.
_SLACK_MARKUP = re.compile(r"<[@#!][^<>]*>|\b[UW][A-Z0-9]{8,}\b")


class LocalText(BaseModel):
    locale: str
    title: str
    body: str


class NoticePlan(BaseModel):
    """Everything an approved notice publishes (Preview.data)."""

    incident_id: int
    texts: list[LocalText]
    page: PageIncident | None = None
    # The status page incident to update (None: the notice creates one).
    page_incident_id: str | None = None
    mail: Mail | None = None
    recipients: list[str] = []
    missing: list[str] = []


def customer_text(text: str | None) -> str:
    """What a person typed, as a customer may read it: no Slack markup, ids or control
    characters, one paragraph."""
    cleaned = _SLACK_MARKUP.sub("", text or "")
    cleaned = "".join(ch for ch in cleaned if ch == "\n" or ch.isprintable())
    return " ".join(cleaned.split())[:MAX_TEXT]


def notice_texts(incident: Incident, text: str | None, locales: Sequence[str]) -> list[LocalText]:
    """The notice in each locale, from the incident's title, severity, status, 영향 범위 and the
    text given."""
    resolved = incident.resolved_at is not None
    status = "resolved" if resolved else incident.status
    title = customer_text(incident.title)
    impact = customer_text(incident.impact)
    said = customer_text(text)
    texts = []
    for locale in locales:
        t = Catalogue(locale)
        suffix = "_resolved" if resolved else ""
        lines = [t(f"customer.notice.intro{suffix}"), ""]
        lines.append(
            t(
                "customer.notice.severity",
                severity=t(f"customer.notice.severity.{incident.severity}"),
            )
        )
        lines.append(t("customer.notice.status", status=t(f"customer.notice.status.{status}")))
        if impact:
            lines.append(t("customer.notice.impact", impact=impact))
        if said:
            lines.append(t("customer.notice.message", text=said))
        lines += ["", t(f"customer.notice.outro{suffix}")]
        texts.append(
            LocalText(
                locale=locale,
                title=t(f"customer.notice.title{suffix}", title=title),
                body="\n".join(lines),
            )
        )
    return texts


def _joined(texts: Sequence[LocalText]) -> str:
    # The first locale first (Korean, by default), the others below it.
    return "\n\n---\n\n".join(text.body for text in texts)


def _email_details(mail: Mail | None, count: int, missing: list[str]) -> list[Msg]:
    if mail is None:
        return [msg("customer.preview.email_missing", settings=", ".join(missing))]
    details = [msg("customer.preview.email", count=count, subject=mail.subject)]
    details += [msg("customer.preview.attachment", filename=a.filename) for a in mail.attachments]
    return details


def draft_notice(
    settings: Settings, argument: str | None, now: datetime, incident: Incident, store: Store
) -> Preview:
    """The notice for approval: its text in each locale, the status page incident to create or
    update, and how many contacts it e-mails; what is not configured is named."""
    channels.check_any_channel(settings)
    texts = notice_texts(incident, argument, settings.customer_locales)
    page_missing = channels.page_missing(settings)
    email_missing = channels.email_missing(settings)
    with store.read() as session:
        existing = state.page_incident_id(session, incident_id=incident.id)
    page = None
    details: list[Msg] = []
    if not page_missing:
        page = plan(
            name=texts[0].title,
            severity=incident.severity,
            status="resolved" if incident.resolved_at is not None else incident.status,
            body=_joined(texts),
            component_ids=settings.statuspage_component_ids,
        )
        components = (
            ", ".join(f"`{c}`" for c in page.component_ids)
            or msg("customer.preview.no_components").model_dump()
        )
        key = "customer.preview.page_update" if existing else "customer.preview.page_create"
        details.append(
            msg(
                key,
                page_id=existing or "",
                status=page.status,
                impact=page.impact,
                components=components,
            )
        )
    else:
        details.append(msg("customer.preview.page_missing", settings=", ".join(page_missing)))
    mail = None if email_missing else Mail(subject=texts[0].title, body=_joined(texts))
    recipients = [] if email_missing else list(dict.fromkeys(settings.customer_emails))
    details += _email_details(mail, len(recipients), email_missing)
    details += [
        msg("customer.preview.text", locale=text.locale, text=f"{text.title}\n{text.body}")
        for text in texts
    ]
    notice = NoticePlan(
        incident_id=incident.id,
        texts=texts,
        page=page,
        page_incident_id=existing,
        mail=mail,
        recipients=recipients,
        missing=[*page_missing, *email_missing],
    )
    return Preview(
        action=state.NOTICE,
        summary=msg("customer.preview.notice", id=incident.id),
        details=details,
        data=notice.model_dump(mode="json"),
    )


class ReportPlan(BaseModel):
    """Everything an approved customer report sends (Preview.data)."""

    incident_id: int
    mail: Mail
    recipients: list[str]


def draft_report(
    settings: Settings, argument: str | None, now: datetime, incident: Incident, store: Store
) -> Preview:
    """The customer report for approval (after resolve, by e-mail): its Markdown, attached."""
    if incident.resolved_at is None:
        raise UserError("customer.report_not_resolved", id=incident.id)
    channels.check_any_channel(settings)
    channels.check_email(settings)
    with store.read() as session:
        events = list(timeline.for_incident(session, incident_id=incident.id))
        requests = list(queries.for_incident(session, incident_id=incident.id))
        markdown = render_customer_report(
            session,
            incident,
            events,
            requests,
            locales=settings.customer_locales,
            zone=settings.zone,
        )
    first = Catalogue(settings.customer_locales[0])
    title = customer_text(incident.title)
    body = "\n\n---\n\n".join(
        Catalogue(locale)("customer.report.body") for locale in settings.customer_locales
    )
    mail = Mail(
        subject=first("customer.report.subject", title=title),
        body=body,
        attachments=[
            Attachment(filename=report_filename(incident, settings.zone), content=markdown)
        ],
    )
    recipients = list(dict.fromkeys(settings.customer_emails))
    details = _email_details(mail, len(recipients), [])
    details.append(msg("customer.preview.text", locale=settings.customer_locales[0], text=markdown))
    report = ReportPlan(incident_id=incident.id, mail=mail, recipients=recipients)
    return Preview(
        action=state.REPORT,
        summary=msg("customer.preview.report", id=incident.id),
        details=details,
        data=report.model_dump(mode="json"),
    )
