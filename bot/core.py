"""The core, wired: settings, store, catalogue, renderer, the outbox and the flows.

The Slack handlers and the console call into one Core; they hold no business rules.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock, utc_now
from bot.incidents import Actor, Incidents, claim
from bot.messages import Catalogue
from bot.outbox import Sender
from bot.render import Renderer
from bot.settings import Settings
from bot.slack_ops import SlackOperations
from storage import Store, deliveries

log = logging.getLogger(__name__)

# Slack retries for minutes; a day is ample to recognise a repeated delivery.
DELIVERY_MEMORY = timedelta(days=1)
MAINTENANCE_INTERVAL_S = 300


class Core:
    """Everything the edges (Slack, console, CLI) call into."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        client: WebClient,
        clock: Clock = utc_now,
        workers: int = 16,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.clock = clock
        self.t = Catalogue(settings.locale)
        self.zone = settings.zone
        self.render = Renderer(t=self.t, zone=self.zone, clock=clock)
        self.sender = Sender(store=store, client=client, clock=clock)
        SlackOperations(store=store, renderer=self.render, clock=clock).register(self.sender)
        self.incidents = Incidents(store=store, sender=self.sender, settings=settings, clock=clock)
        self._work = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ailex-work")
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None
        self._inflight = 0
        self._inflight_lock = threading.Lock()

    def spawn(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run work after the acknowledgement; a failure is logged with an id, never lost."""

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background work %s failed (error id %s)", _name(fn), _error_id())
                return None
            finally:
                with self._inflight_lock:
                    self._inflight -= 1

        with self._inflight_lock:
            self._inflight += 1
        return self._work.submit(run)

    def busy(self) -> bool:
        """Whether work spawned after an acknowledgement is still running or queued."""
        with self._inflight_lock:
            return self._inflight > 0 or not self.sender.idle()

    def take(self, actor: Actor) -> None:
        """Take a delivery that changes nothing stored (a button that opens a form); raise
        Duplicate when Slack delivered it before."""
        with self.store.write() as session:
            claim(session, actor=actor, at=self.clock())

    def contacts(self) -> tuple[str, list[dict[str, Any]]]:
        """The runbook's emergency contacts with each provider's live status."""
        from bot.contacts import contacts_message

        return contacts_message(self.settings, self.t)

    def start(self) -> None:
        """Start the background loops: the outbox sender and housekeeping."""
        self.sender.start()
        if self._maintenance is None:
            self._maintenance = threading.Thread(
                target=self._housekeeping, name="ailex-housekeeping", daemon=True
            )
            self._maintenance.start()

    def _housekeeping(self) -> None:
        while True:
            try:
                with self.store.write() as session:
                    deliveries.prune(session, before=self.clock() - DELIVERY_MEMORY)
            except Exception:
                log.exception("housekeeping failed; will try again")
            if self._stop.wait(MAINTENANCE_INTERVAL_S):
                return

    def close(self) -> None:
        """Stop background work and let queued work finish."""
        self._stop.set()
        self.sender.stop()
        self._work.shutdown(wait=True)


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))


def _error_id() -> str:
    return uuid.uuid4().hex[:8]
