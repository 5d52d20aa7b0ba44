"""The tests' fake DNS: the drill's simulation (bot/drill/sims/dns_server.py), one copy for both."""

from bot.drill.sims.dns_server import *  # noqa: F403
from bot.drill.sims.dns_server import SimDNS as FakeDNS  # noqa: F401
