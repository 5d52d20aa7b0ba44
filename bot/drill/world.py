"""The simulated AILEX a drill runs against: services on 127.0.0.1 (free ports), each started
here and every one stopped at the end, with whatever else the drill set up (a scratch
database, held connections) undone in reverse order."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

from bot.drill.sims.http import Recorded, Response, SimServer
from bot.drill.sims.openai import SimOpenAI
from bot.drill.sims.vercel import SimVercel

log = logging.getLogger(__name__)


class _Stoppable(Protocol):
    def stop(self) -> None: ...


AI_PATH = "/api/v1/assessments/generate"


class SimSite(SimServer):
    """AILEX's site as Vercel serves it: every page answers 503 while the production deployment
    is one of `broken` (a bad deploy), 200 otherwise; `slow` seconds before each answer, and
    the API paths `slow_api[uid]` seconds more while deployment `uid` serves (a slow function).

    The site reads the Edge Config's flags as the real one does: `maintenance` shows the
    maintenance page (503) everywhere; `ai_degraded` makes the AI path (AI_PATH) answer the
    "AI 기능 일시 중단" notice instead of calling OpenAI, which it otherwise does and fails with."""

    def __init__(self, vercel: SimVercel | None = None) -> None:
        super().__init__()
        self.vercel = vercel
        self.openai: SimOpenAI | None = None
        self.broken: set[str] = set()
        self.down = False  # the whole site down whatever is deployed
        self.slow = 0.0
        self.slow_api: dict[str, float] = {}
        self.route("*", "/.*")(self._page)

    def flag(self, key: str) -> bool:
        return self.vercel is not None and self.vercel.edge_items.get(key) is True

    def serving(self) -> dict[str, Any] | None:
        """The deployment production serves: the newest READY one promoted (as the bot reads it)."""
        if self.vercel is None:
            return None
        ready = [
            d
            for d in self.vercel.deployments
            if d["state"] == "READY" and d.get("target") == "production"
        ]
        ready.sort(key=lambda d: d["created"], reverse=True)
        promoted = [d for d in ready if d.get("readySubstate") == "PROMOTED"]
        serving = promoted or ready
        return serving[0] if serving else None

    def _page(self, request: Recorded, match: re.Match[str]) -> Response:
        current = self.serving()
        if self.down or (current is not None and current["uid"] in self.broken):
            return Response(503, "Service Unavailable", delay=self.slow)
        if self.flag("maintenance"):
            return Response(503, "<html>AILEX: 점검 중</html>", delay=self.slow)
        api = request.path.startswith("/api/")
        delay = self.slow + (self.slow_api.get(current["uid"], 0.0) if api and current else 0.0)
        if request.path.startswith(AI_PATH):
            if self.flag("ai_degraded"):
                notice = '{"ok": false, "notice": "일시적으로 AI 기능을 사용할 수 없습니다"}'
                return Response(200, notice, delay=delay)
            if self.openai is not None and not self.openai.healthy():
                return Response(502, '{"error": "OpenAI request failed"}', delay=delay)
        body = '{"ok": true}' if api else "<html>AILEX</html>"
        return Response(200, body, delay=delay)


class World:
    """What one drill started; `stop()` undoes all of it, the last started first."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self.settings: dict[str, Any] = {}
        # Where each simulation listens, to be shown (curl the site) and checked gone after.
        self.addresses: list[str] = []
        self.servers: list[SimServer] = []
        # What the provider or the team does outside the bot (OpenAI recovers, the balance is
        # topped up, a fix is pushed, a backup restored), played by `/drill heal`; empty when
        # the bot's own remediation is the whole repair.
        self.heals: list[Callable[[], None]] = []
        # Set up in the drill's own store before the console opens (a scheduled snapshot).
        self.prepare_store: Callable[[Any], None] | None = None

    def heal(self) -> bool:
        """Play the repair outside the bot; False when this drill has none."""
        for repair in self.heals:
            repair()
        healed, self.heals = bool(self.heals), []
        return healed

    def serve(self, server: SimServer) -> Any:
        server.start()
        self._undo.append(server.stop)
        self.servers.append(server)
        self.addresses.append(server.url)
        return server

    def on_stop(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def stop(self) -> None:
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception:  # one failing undo must not leave the others running
                log.warning("a drill simulation did not stop cleanly", exc_info=True)

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.stop()
