"""The outbox operations of alerts: each draws its message from the store when it is sent,
and is safe to run again after a crash."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient

from bot.alerts.blocks import AlertRenderer
from bot.incidents.blocks import Renderer
from bot.incidents.live import live_state
from bot.slack.operations import Undeliverable
from bot.slack.outbox import Operation, Sender
from storage import Store, incidents
from storage import alerts as rows
from storage.models import Alert, Incident


class AlertOperations:
    def __init__(
        self,
        *,
        store: Store,
        renderer: Renderer,
        alerts: AlertRenderer,
        alert_channel: str | None,
        oncall: Sequence[str],
    ) -> None:
        self._store = store
        self._render = renderer
        self._alerts = alerts
        self._channel = alert_channel
        self._oncall = list(oncall)

    def register(self, sender: Sender) -> None:
        sender.register(Operation.ALERT_ANNOUNCE, self.announce)
        sender.register(Operation.ALERT_POST, self.post)
        sender.register(Operation.ALERT_UPDATE, self.update)
        sender.register(Operation.ALERT_RECOVERY, self.recovery)

    def _load(self, alert_id: int) -> tuple[Alert, list[Alert]]:
        with self._store.read() as session:
            alert = rows.get(session, alert_id=alert_id)
            if alert is None:
                raise Undeliverable(f"alert {alert_id}")
            return alert, list(rows.joined(session, parent_id=alert_id))

    def _incident(self, incident_id: int) -> Incident:
        with self._store.read() as session:
            incident = incidents.get(session, incident_id=incident_id)
        if incident is None:
            raise Undeliverable(f"incident {incident_id}")
        return incident

    def announce(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The incident an alert opened, announced in the alert channel (after its channel was
        made, so that it links there)."""
        if not self._channel:
            return None
        incident = self._incident(payload["incident_id"])
        alert, _ = self._load(payload["alert_id"])
        text, blocks = self._alerts.announce(incident, alert, self._oncall)
        answer = client.chat_postMessage(channel=self._channel, text=text, blocks=blocks)
        return {"channel": self._channel, "ts": answer["ts"]}

    def _draw(self, alert: Alert, joined: list[Alert]) -> tuple[str, list[dict[str, Any]]]:
        if alert.triage is not None:
            return self._alerts.triage(alert, joined, self._oncall)
        return self._alerts.info(alert)

    def post(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A triage-mode alert (with its buttons) or a notice, in the alert channel."""
        alert, joined = self._load(payload["alert_id"])
        if alert.message_ts:
            return self.update(client, payload)
        if not self._channel:
            return None
        text, blocks = self._draw(alert, joined)
        answer = client.chat_postMessage(channel=self._channel, text=text, blocks=blocks)
        with self._store.write() as session:
            rows.set_message(session, alert_id=alert.id, channel_id=self._channel, ts=answer["ts"])
        return {"channel": self._channel, "ts": answer["ts"]}

    def update(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Redraw a triage-mode alert: more of its key arrived, or someone decided."""
        alert, joined = self._load(payload["alert_id"])
        if not (alert.message_ts and alert.channel_id):
            return None
        text, blocks = self._draw(alert, joined)
        client.chat_update(channel=alert.channel_id, ts=alert.message_ts, text=text, blocks=blocks)
        return {"channel": alert.channel_id, "ts": alert.message_ts}

    def recovery(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """A recovery signal in the incident's channel, with the alerts still firing."""
        incident = self._incident(payload["incident_id"])
        if not incident.channel_id:
            raise Undeliverable(f"incident {incident.id} has no channel")
        alert, _ = self._load(payload["alert_id"])
        with self._store.read() as session:
            live = live_state(session, incident_id=incident.id)
        firing = live.firing
        text, blocks = self._alerts.recovery(
            incident, alert, firing, self._render.alert_names(firing)
        )
        answer = client.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)
        return {"channel": incident.channel_id, "ts": answer["ts"]}
