"""The tests' fake: the drill's simulation (bot/drill/sims/github.py), one copy for both."""

from bot.drill.sims.github import *  # noqa: F403
from bot.drill.sims.github import SimGitHub as FakeGitHub  # noqa: F401
