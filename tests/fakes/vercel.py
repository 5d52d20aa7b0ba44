"""The tests' fake: the drill's simulation (bot/drill/sims/vercel.py), one copy for both."""

from bot.drill.sims.vercel import *  # noqa: F403
from bot.drill.sims.vercel import SimVercel as FakeVercel  # noqa: F401
