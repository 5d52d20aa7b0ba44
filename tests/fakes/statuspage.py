"""The tests' fake: the drill's simulation (bot/drill/sims/statuspage.py), one copy for both."""

from bot.drill.sims.statuspage import *  # noqa: F403
from bot.drill.sims.statuspage import SimStatusPage as FakeStatusPage  # noqa: F401
