"""The tests' HTTP server base: the drill's simulation server (bot/drill/sims/http.py), one
copy for the drills and the tests (issue 14)."""

from bot.drill.sims.http import *  # noqa: F403
from bot.drill.sims.http import SimServer as FakeServer

__all__ = ["FakeServer", "Handler", "Recorded", "Response", "json_response"]  # noqa: F405
