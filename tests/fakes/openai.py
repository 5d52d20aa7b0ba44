"""The tests' fake: the drill's simulation (bot/drill/sims/openai.py), one copy for both."""

from bot.drill.sims.openai import *  # noqa: F403
from bot.drill.sims.openai import SimOpenAI as FakeOpenAI  # noqa: F401
