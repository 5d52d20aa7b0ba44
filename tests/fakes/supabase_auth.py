"""The tests' fake: the drill's simulation (bot/drill/sims/supabase_auth.py), one copy for both."""

from bot.drill.sims.supabase_auth import *  # noqa: F403
from bot.drill.sims.supabase_auth import SimSupabaseAuth as FakeSupabaseAuth  # noqa: F401
