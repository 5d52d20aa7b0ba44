"""Publishing an approved notice or report: exactly the previewed text, to the previewed
targets, once. The engine runs this at most once per request; what it has done is kept with
the request as it goes (`progress`), so an execution cut off midway shows what reached whom and
is never re-run: nothing is sent twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.customers import state
from bot.customers.drafts import NoticePlan, ReportPlan
from bot.settings import Settings
from probes.base import Msg, msg
from remediations import email, statuspage
from remediations.base import Outcome, Preview, plan_of
from storage import Store

Progress = Callable[[Outcome], Any]


def _bad_preview() -> Outcome:
    return Outcome(ok=False, summary=msg("customer.outcome.bad_preview"))


def _email_msg(deliveries: list[email.Delivery], total: int) -> Msg:
    return msg("customer.outcome.email", sent=sum(d.sent for d in deliveries), total=total)


def _failures(deliveries: list[email.Delivery]) -> list[Msg]:
    return [
        msg("customer.outcome.recipient_failed", recipient=d.recipient, error=d.error or "")
        for d in deliveries
        if not d.sent
    ]


def _send(
    mail: email.Mail,
    recipients: list[str],
    settings: Settings,
    record: Callable[[list[email.Delivery]], None],
) -> list[email.Delivery]:
    deliveries: list[email.Delivery] = []

    def heard(delivery: email.Delivery) -> None:
        deliveries.append(delivery)
        record(deliveries)

    email.send(
        mail,
        url=settings.secret("smtp_url") or "",
        sender=settings.smtp_from or "",
        recipients=recipients,
        ca_file=settings.smtp_ca_file,
        timeout=max(settings.probe_timeout, 10.0),
        on_delivery=heard,
    )
    return deliveries


def _current_page_id(extra: dict[str, Any]) -> str | None:
    """The page incident recorded since the preview (another notice created it meanwhile)."""
    store: Store | None = extra.get("store")
    incident_id = extra.get("incident_id")
    if store is None or incident_id is None:
        return None
    with store.read() as session:
        return state.page_incident_id(session, incident_id=int(incident_id))


def publish_notice(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    """Create or update the status page incident and e-mail each contact, as approved."""
    notice = plan_of(preview, NoticePlan)
    if notice is None:
        return _bad_preview()
    progress: Progress = extra.get("progress") or (lambda _: None)
    data: dict[str, Any] = {"page": None, "deliveries": [], "missing": notice.missing}

    def summary() -> Outcome:
        page = data["page"]
        if page is None:
            page_msg = msg("customer.outcome.page_skipped")
        elif page["ok"]:
            key = (
                "customer.outcome.page_created"
                if page["created"]
                else "customer.outcome.page_updated"
            )
            page_msg = msg(key, page_id=page["incident_id"])
        else:
            page_msg = msg("customer.outcome.page_failed", error=page["error"] or "")
        deliveries = [email.Delivery.model_validate(d) for d in data["deliveries"]]
        email_msg = (
            _email_msg(deliveries, len(notice.recipients))
            if notice.mail is not None
            else msg("customer.outcome.email_skipped")
        )
        ok = (page is None or page["ok"]) and all(d.sent for d in deliveries)
        return Outcome(
            ok=ok,
            summary=msg(
                "customer.outcome.notice", page=page_msg.model_dump(), email=email_msg.model_dump()
            ),
            details=_failures(deliveries),
            data=dict(data),
        )

    if notice.page is not None:
        existing = notice.page_incident_id or _current_page_id(extra)
        published = statuspage.publish(
            notice.page,
            api_url=settings.statuspage_api_url,
            api_key=settings.secret("statuspage_api_key") or "",
            page_id=settings.statuspage_page_id or "",
            existing_id=existing,
            timeout=max(settings.probe_timeout, 10.0),
        )
        data["page"] = published.model_dump(mode="json")
        progress(summary())
    if notice.mail is not None and notice.recipients:

        def record(deliveries: list[email.Delivery]) -> None:
            data["deliveries"] = [d.model_dump(mode="json") for d in deliveries]
            progress(summary())

        _send(notice.mail, notice.recipients, settings, record)
    return summary()


def send_report(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    """E-mail the approved customer report, Markdown attached, to each contact."""
    report = plan_of(preview, ReportPlan)
    if report is None:
        return _bad_preview()
    progress: Progress = extra.get("progress") or (lambda _: None)
    data: dict[str, Any] = {"deliveries": []}

    def summary() -> Outcome:
        deliveries = [email.Delivery.model_validate(d) for d in data["deliveries"]]
        email_msg = _email_msg(deliveries, len(report.recipients))
        return Outcome(
            ok=bool(deliveries) and all(d.sent for d in deliveries),
            summary=msg("customer.outcome.report", email=email_msg.model_dump()),
            details=_failures(deliveries),
            data=dict(data),
        )

    def record(deliveries: list[email.Delivery]) -> None:
        data["deliveries"] = [d.model_dump(mode="json") for d in deliveries]
        progress(summary())

    _send(report.mail, report.recipients, settings, record)
    return summary()
