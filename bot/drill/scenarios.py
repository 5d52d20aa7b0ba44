"""Each drill's failing state, as the runbook describes the scenario and its case: which
simulations run, how they are broken, and the settings that point the bot at them. The
remedy is the bot's own remediation acting on the simulation (a Vercel promote makes the site
answer again; killing idle connections ends the ones held here).

A case is the runbook's letter (경우 A/B/C); scenarios without letters have one case, "A".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.drill.sims.dns_server import SimDNS
from bot.drill.sims.openai import API_KEY as OPENAI_KEY
from bot.drill.sims.openai import SimOpenAI
from bot.drill.sims.statuspage import SimStatusPage
from bot.drill.sims.vercel import TOKEN as VERCEL_TOKEN
from bot.drill.sims.vercel import SimVercel
from bot.drill.world import SimSite, World

DOMAIN = "ailex.drill"
# Seconds a held connection must be idle before the check counts it (AILEX_IDLE_MINUTES).
IDLE_SECONDS = 1.0


class NeedsPostgres(Exception):
    """The drill needs AILEX_DRILL_PG_URL and it is not set."""


@dataclass(frozen=True)
class Drill:
    key: str
    cases: tuple[str, ...]
    build: Callable[[World, str, str | None], None]
    needs_postgres: bool = False


def _base(world: World) -> tuple[SimVercel, SimSite]:
    """Vercel with a healthy production deployment, the site it serves, DNS and the three
    status pages all green: the world before anything breaks."""
    vercel = world.serve(SimVercel())
    vercel.add_deployment(minutes_ago=60 * 24 * 2, commit_message="Release 1.41")
    site = world.serve(SimSite(vercel))
    dns = SimDNS()
    dns.__enter__()
    world.on_stop(lambda: dns.__exit__(None, None, None))
    dns.add(DOMAIN, a=["76.76.21.21"])  # Vercel's anycast address
    world.dns = dns  # type: ignore[attr-defined]
    pages = {name: world.serve(SimStatusPage(name)) for name in ("Vercel", "Supabase", "OpenAI")}
    world.pages = pages  # type: ignore[attr-defined]
    world.settings.update(
        VERCEL_TOKEN=VERCEL_TOKEN,
        VERCEL_PROJECT_ID=vercel.project_id,
        VERCEL_API_URL=vercel.url,
        AILEX_EDGE_CONFIG_ID=vercel.edge_config_id,
        AILEX_SITE_URL=site.url,
        AILEX_API_PATHS="/api/v1/dashboard/summary",
        AILEX_DOMAIN=DOMAIN,
        AILEX_DNS_NAMESERVERS=dns.address,
        AILEX_STATUSPAGE_VERCEL=pages["Vercel"].url,
        AILEX_STATUSPAGE_SUPABASE=pages["Supabase"].url,
        AILEX_STATUSPAGE_OPENAI=pages["OpenAI"].url,
        AILEX_PROBE_TIMEOUT="3",
    )
    return vercel, site


def _outage(world: World, case: str, pg: str | None) -> None:
    vercel, site = _base(world)
    if case == "A":  # 경우 A: a production deployment 4 minutes ago broke the site
        bad = vercel.add_deployment(minutes_ago=4, commit_message="Refactor session middleware")
        site.broken.add(bad["uid"])
    elif case == "B":  # 경우 B: Vercel's own outage
        site.down = True
        page = world.pages["Vercel"]  # type: ignore[attr-defined]
        page.indicator = "major"
        page.set_component("Edge Network", "major_outage")
        page.open_incident("Elevated 5xx errors on the Edge Network")
    else:  # 경우 C: the domain does not resolve
        site.down = True
        world.dns.fail(DOMAIN, "nxdomain")  # type: ignore[attr-defined]


def _openai(world: World, case: str, pg: str | None) -> None:
    _base(world)
    openai = world.serve(SimOpenAI())
    world.settings.update(OPENAI_API_KEY=OPENAI_KEY, OPENAI_BASE_URL=openai.base_url)
    # 경우 A: OpenAI's outage; the remedy is the "AI 기능 일시 중단" notice (ai-degraded on)
    openai.mode = "server_error"
    page = world.pages["OpenAI"]  # type: ignore[attr-defined]
    page.indicator = "major"
    page.set_component("API", "major_outage")
    page.open_incident("Increased error rates on the API")


def _database(world: World, case: str, pg: str | None) -> None:
    from bot.drill.postgres import scratch_database

    _base(world)
    if pg is None:
        raise NeedsPostgres
    dsn = scratch_database(world, pg, case)
    world.settings.update(SUPABASE_DB_URL=dsn, AILEX_IDLE_MINUTES=str(IDLE_SECONDS / 60))


DRILLS: dict[str, Drill] = {
    drill.key: drill
    for drill in (
        Drill("outage", ("A", "B", "C"), _outage),
        Drill("database", ("B", "C"), _database, needs_postgres=True),
        Drill("openai", ("A",), _openai),
    )
}
