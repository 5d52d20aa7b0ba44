"""Evidence in Slack: the statistics message and chart (outbox operations), and the App Home
(published at once when a user opens it: a view, not a record, so nothing is owed later).

`Evidence` is what the core asks: the figures of a period, `/ailex stats` owed to a channel,
and a viewer's home tab published."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.evidence.blocks import stats_message
from bot.evidence.chart import render_png
from bot.evidence.home import FollowupItem, fits, home_view
from bot.evidence.stats import Figures, compute
from bot.messages import Catalogue
from bot.slack.client import slack_error
from bot.slack.outbox import Operation, Sender
from storage import Store, incidents, timeline

log = logging.getLogger(__name__)

HOME_DAYS = 30


def stats_queue(channel_id: str) -> str:
    return f"stats:{channel_id}"


class Evidence:
    """Statistics and the App Home, over the store."""

    def __init__(
        self, *, store: Store, sender: Sender, clock: Clock, t: Catalogue, zone: ZoneInfo
    ) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self._t = t
        self._zone = zone
        self._home_disabled_logged = False

    def register(self, sender: Sender) -> None:
        sender.register(Operation.STATS_POST, self.post_stats)
        sender.register(Operation.STATS_CHART, self.upload_chart)

    # -- statistics ---------------------------------------------------------------------------
    def figures(self, *, days: int, until: datetime | None = None) -> Figures:
        """The statistics of the `days` days ending at `until` (now)."""
        with self._store.read() as session:
            return compute(session, days=days, until=until or self._clock())

    def owe_stats(self, *, channel_id: str, days: int) -> None:
        """Owe the channel the figures and their chart, of the period ending now (fixed here,
        so that a retried send shows the same figures)."""
        payload = {"channel": channel_id, "days": days, "until": self._clock().isoformat()}
        queue = stats_queue(channel_id)
        with self._store.write() as session:
            self._sender.enqueue(session, queue=queue, op=Operation.STATS_POST, payload=payload)
            self._sender.enqueue(session, queue=queue, op=Operation.STATS_CHART, payload=payload)
        self._sender.kick(queue)

    def _payload_figures(self, payload: dict[str, Any]) -> Figures:
        return self.figures(
            days=int(payload["days"]), until=datetime.fromisoformat(payload["until"])
        )

    def post_stats(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """The figures as a message in the channel `/ailex stats` was typed in."""
        figures = self._payload_figures(payload)
        text, blocks = stats_message(figures, self._t, self._zone)
        answer = client.chat_postMessage(channel=payload["channel"], text=text, blocks=blocks)
        return {"channel": payload["channel"], "ts": answer["ts"]}

    def upload_chart(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """The chart of those figures, uploaded as a PNG in the same channel."""
        figures = self._payload_figures(payload)
        png = render_png(figures.weeks(self._zone), self._t, days=figures.days)
        until = datetime.fromisoformat(payload["until"]).astimezone(self._zone)
        answer = client.files_upload_v2(
            channel=payload["channel"],
            content=png,
            filename=f"ailex-stats-{figures.days}d-{until:%Y%m%d}.png",
            title=self._t("stats.file_title", days=figures.days),
        )
        files = answer.get("files") or [answer.get("file") or {}]
        return {"channel": payload["channel"], "file": (files[0] or {}).get("id")}

    # -- the App Home --------------------------------------------------------------------------
    def publish_home(
        self, client: WebClient, *, user_id: str, followups: Sequence[FollowupItem]
    ) -> bool:
        """Publish the viewer's home tab; True when Slack took it.

        `not_enabled` (the app's home tab is off) is logged once; `view_too_large` is answered
        with a shorter view; `hash_conflict` (another publish won) with one more publish."""
        view = self._home(user_id, followups)
        for attempt in range(3):
            try:
                client.views_publish(user_id=user_id, view=view)
                return True
            except SlackApiError as exc:
                error = slack_error(exc)
                if error == "not_enabled":
                    if not self._home_disabled_logged:
                        self._home_disabled_logged = True
                        log.warning(
                            "the App Home tab is not enabled for this app "
                            "(manifest: features.app_home.home_tab_enabled)"
                        )
                    return False
                if error == "view_too_large" and attempt < 2:
                    view = self._home(user_id, followups, shorter=True)
                    continue
                if error == "hash_conflict" and attempt < 2:
                    view = self._home(user_id, followups)
                    continue
                log.warning("could not publish the home tab of %s: %s", user_id, error)
                return False
        return False

    def _home(
        self, user_id: str, followups: Sequence[FollowupItem], *, shorter: bool = False
    ) -> dict[str, Any]:
        now = self._clock()
        figures = self.figures(days=HOME_DAYS, until=now)
        with self._store.read() as session:
            open_ones = list(incidents.list_open(session))

        def kinds_of(incident_id: int) -> list[str]:
            with self._store.read() as session:
                return timeline.kinds(session, incident_id=incident_id)

        build: Callable[..., dict[str, Any]] = lambda **caps: home_view(  # noqa: E731
            incidents=open_ones,
            kinds_of=kinds_of,
            followups=followups,
            figures=figures,
            t=self._t,
            zone=self._zone,
            now=now,
            **caps,
        )
        view = build(max_incidents=5, max_followups=5) if shorter else build()
        if not fits(view):
            view = build(max_incidents=5, max_followups=5)
        return view
