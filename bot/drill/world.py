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
from bot.drill.sims.vercel import SimVercel

log = logging.getLogger(__name__)


class _Stoppable(Protocol):
    def stop(self) -> None: ...


class SimSite(SimServer):
    """AILEX's site as Vercel serves it: every page answers 503 while the production deployment
    is one of `broken` (a bad deploy), 200 otherwise; `slow` seconds before each answer."""

    def __init__(self, vercel: SimVercel | None = None) -> None:
        super().__init__()
        self.vercel = vercel
        self.broken: set[str] = set()
        self.down = False  # the whole site down whatever is deployed
        self.slow = 0.0
        self.route("*", "/.*")(self._page)

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
        body = '{"ok": true}' if request.path.startswith("/api/") else "<html>AILEX</html>"
        return Response(200, body, delay=self.slow)


class World:
    """What one drill started; `stop()` undoes all of it, the last started first."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self.settings: dict[str, Any] = {}

    def serve(self, server: SimServer) -> Any:
        server.start()
        self._undo.append(server.stop)
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
