"""The runbook's 긴급 연락처 and 서비스 상태 페이지, with each provider's live status."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.aio import BackgroundLoop
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.blocks import Blocks, chunked_sections, context
from probes.base import CheckStatus, Finding
from probes.statuspage import check_statuspage


@dataclass(frozen=True)
class Contact:
    """One row of the runbook's contact table; `statuspage` names the setting of its page."""

    service: str
    contact: str
    purpose_key: str
    statuspage: str | None = None


# The runbook's table, in its order.
CONTACTS = (
    Contact("Vercel", "https://vercel.com/support", "contacts.purpose.vercel", "statuspage_vercel"),
    Contact(
        "Supabase",
        "https://supabase.com/support",
        "contacts.purpose.supabase",
        "statuspage_supabase",
    ),
    Contact("OpenAI", "https://help.openai.com", "contacts.purpose.openai", "statuspage_openai"),
    Contact("Sentry", "https://sentry.io/support", "contacts.purpose.sentry"),
    Contact("contacts.registrar", "contacts.registrar_desk", "contacts.purpose.registrar"),
    Contact("Cloudflare R2", "https://dash.cloudflare.com", "contacts.purpose.r2"),
)

_STATUS_EMOJI = {
    CheckStatus.OK: "🟢",
    CheckStatus.WARN: "🟡",
    CheckStatus.FAIL: "🔴",
    CheckStatus.ERROR: "⚪",
    CheckStatus.SKIPPED: "⚪",
}


async def _statuses(settings: Settings) -> dict[str, Finding]:
    pages = {c.service: getattr(settings, c.statuspage) for c in CONTACTS if c.statuspage}
    results = await asyncio.gather(
        *(
            asyncio.wait_for(
                check_statuspage(base_url=url, timeout=settings.probe_timeout, name=service),
                settings.probe_timeout + 0.5,
            )
            for service, url in pages.items()
        ),
        return_exceptions=True,
    )
    statuses: dict[str, Finding] = {}
    for service, result in zip(pages, results, strict=True):
        if isinstance(result, Finding):
            statuses[service] = result
    return statuses


def contacts_message(settings: Settings, t: Catalogue, loop: BackgroundLoop) -> tuple[str, Blocks]:
    """The contact table with live status from each status page (fetched at once, on the
    probes' loop, within the probe timeout)."""
    try:
        statuses = loop.submit(_statuses(settings)).result(timeout=settings.probe_timeout + 1)
    except Exception:  # a status page that never answered shows as unknown, not an error
        statuses = {}
    lines = [f"*{t('contacts.title')}*"]
    for contact in CONTACTS:
        service = t(contact.service) if t.has(contact.service) else contact.service
        where = t(contact.contact) if t.has(contact.contact) else contact.contact
        line = t("contacts.line", service=service, contact=where, purpose=t(contact.purpose_key))
        if contact.statuspage:
            url = getattr(settings, contact.statuspage)
            finding = statuses.get(contact.service)
            if finding is None:
                state = t("contacts.status_unknown")
                emoji = _STATUS_EMOJI[CheckStatus.ERROR]
            else:
                state = t.render(finding.summary)
                emoji = _STATUS_EMOJI[finding.status]
            line += "\n" + t("contacts.status_line", emoji=emoji, url=url, state=state)
        lines.append(line)
    blocks = chunked_sections(lines)
    blocks.append(context(t("contacts.footer")))
    return t("contacts.title"), blocks
