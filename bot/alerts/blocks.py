"""Block Kit of alerts: the announcement of an incident an alert opened, a triage-mode alert
with its decision buttons (and, once decided, who decided and when), an SSL notice, and a
recovery signal in the incident's channel."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.messages import Catalogue
from bot.slack.blocks import Blocks, actions, button, context, mentions, section
from bot.slack.ids import ActionId
from bot.text import clip, escape, fmt_time
from storage.alerts import Triage
from storage.models import Alert, Incident

SUMMARY_LIMIT = 300


def oncall_mention(oncall: Sequence[str]) -> str:
    """The on-call's mentions as a message's prefix (nothing when AILEX_ONCALL is unset)."""
    return f"{mentions(oncall)} " if oncall else ""


class AlertRenderer:
    def __init__(self, *, t: Catalogue, zone: ZoneInfo, clock: Clock) -> None:
        self.t = t
        self.zone = zone
        self._clock = clock

    def _source(self, alert: Alert) -> str:
        return self.t(f"alert.source.{alert.source}")

    def _details(self, alert: Alert) -> str | None:
        parts = []
        if alert.summary:
            parts.append(escape(clip(alert.summary, SUMMARY_LIMIT)))
        if alert.url and alert.url.startswith(("https://", "http://")):
            parts.append(f"<{escape(alert.url)}|{self.t('alert.link')}>")
        return " · ".join(parts) or None

    def announce(
        self, incident: Incident, alert: Alert, oncall: Sequence[str]
    ) -> tuple[str, Blocks]:
        """An incident an alert opened, in the alert channel, mentioning the on-call."""
        t = self.t
        channel = (
            f"<#{incident.channel_id}>" if incident.channel_id else t("alert.announce.no_channel")
        )
        text = t(
            "alert.announce",
            mention=oncall_mention(oncall),
            severity=incident.severity,
            id=incident.id,
            title=escape(incident.title),
            channel=channel,
        )
        blocks: Blocks = [section(text)]
        details = self._details(alert)
        if details:
            blocks.append(context(details))
        blocks.append(context(t("alert.announce.hint")))
        return text, blocks

    def triage(
        self, alert: Alert, joined: Sequence[Alert], oncall: Sequence[str]
    ) -> tuple[str, Blocks]:
        """A triage-mode alert: what it is, what it likely means, and the decision buttons
        while it waits; who decided and when once decided."""
        t = self.t
        text = t(
            "alert.triage",
            mention=oncall_mention(oncall) if alert.triage == Triage.PENDING else "",
            source=self._source(alert),
            name=escape(clip(alert.name, 200)),
        )
        blocks: Blocks = [section(text)]
        details = self._details(alert)
        if details:
            blocks.append(context(details))
        blocks.append(
            context(
                t(
                    "alert.triage.guess",
                    scenario=t(f"scenario.{alert.scenario}"),
                    severity=alert.severity,
                )
            )
        )
        if joined:
            last = joined[-1]
            blocks.append(
                context(
                    t(
                        "alert.triage.more",
                        count=len(joined),
                        state=t(f"alert.state.{last.state}"),
                        at=fmt_time(last.received_at, self.zone, since=self._clock()),
                    )
                )
            )
        if alert.triage == Triage.PENDING:
            blocks.append(
                actions(
                    button(
                        t("button.alert_declare"),
                        ActionId.ALERT_DECLARE,
                        str(alert.id),
                        style="danger",
                    ),
                    button(t("button.alert_dismiss"), ActionId.ALERT_DISMISS, str(alert.id)),
                    block_id=f"alert.{alert.id}",
                )
            )
        elif alert.decided_at is not None:
            at = fmt_time(alert.decided_at, self.zone, since=self._clock())
            if alert.triage == Triage.DECLARED:
                line = t(
                    "alert.triage.declared",
                    incident=alert.incident_id or "-",
                    user=alert.decided_by,
                    at=at,
                )
            else:
                line = t("alert.triage.dismissed", user=alert.decided_by, at=at)
            blocks.append(section(line))
        return t("alert.fallback", source=self._source(alert), name=escape(alert.name)), blocks

    def info(self, alert: Alert) -> tuple[str, Blocks]:
        """A notice that opens nothing (UptimeRobot's SSL expiry)."""
        text = self.t("alert.info", source=self._source(alert), name=escape(clip(alert.name, 200)))
        blocks: Blocks = [section(text)]
        details = self._details(alert)
        if details:
            blocks.append(context(details))
        return text, blocks

    def recovery(
        self, incident: Incident, alert: Alert, firing: Sequence[Alert], names: str
    ) -> tuple[str, Blocks]:
        """A recovery signal in the incident's channel: the diagnosis runs again, and the
        resolve button is offered; the bot never resolves by itself."""
        t = self.t
        text = t("alert.recovery", source=self._source(alert), name=escape(clip(alert.name, 200)))
        blocks: Blocks = [section(text)]
        details = self._details(alert)
        if details:
            blocks.append(context(details))
        still = t("alert.still_firing", alerts=names) if firing else t("alert.none_firing")
        blocks.append(context(f"{t('alert.recovery.next')}\n{still}"))
        if incident.resolved_at is None:
            blocks.append(
                actions(
                    button(
                        t("button.resolve"), ActionId.RESOLVE, str(incident.id), style="primary"
                    ),
                    block_id=f"recovery.{alert.id}",
                )
            )
        return text, blocks
