"""Each drill's failing state, as the runbook describes the scenario and its case: which
simulations run, how they are broken, and the settings that point the bot at them. The
remedy is the bot's own remediation acting on the simulation (a Vercel promote makes the site
answer again; killing idle connections ends the ones held here).

Where the runbook's repair is not the bot's to make (OpenAI recovers or the balance is topped
up, the Google provider is switched back on, a fix is pushed, a backup restored), the drill says
so in its intro and the drill operator plays it with `/drill heal` (`World.heals`).

A case is the runbook's letter (경우 A/B/C); scenarios without letters have one case, "A".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.drill.sims.dns_server import SimDNS
from bot.drill.sims.github import TOKEN as GITHUB_TOKEN
from bot.drill.sims.github import SimGitHub
from bot.drill.sims.openai import API_KEY as OPENAI_KEY
from bot.drill.sims.openai import SimOpenAI
from bot.drill.sims.statuspage import SimStatusPage
from bot.drill.sims.supabase_auth import ANON_KEY, CHECK_EMAIL, CHECK_PASSWORD, SimSupabaseAuth
from bot.drill.sims.vercel import TOKEN as VERCEL_TOKEN
from bot.drill.sims.vercel import SimVercel
from bot.drill.world import SimSite, World

DOMAIN = "ailex.drill"
# Seconds a held connection must be idle before the check counts it (AILEX_IDLE_MINUTES).
IDLE_SECONDS = 1.0
# The bound of one check in a drill (AILEX_PROBE_TIMEOUT): the simulations answer at once
# unless slowness is the fault, and then they are slower than this.
PROBE_TIMEOUT = 2.0


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
    world.addresses.append(f"dns://{dns.address}")
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
        AILEX_PROBE_TIMEOUT=str(PROBE_TIMEOUT),
    )
    return vercel, site


def _outage(world: World, case: str, pg: str | None) -> None:
    vercel, site = _base(world)
    if case == "A":  # 경우 A: a production deployment 4 minutes ago broke the site
        bad = vercel.add_deployment(minutes_ago=4, commit_message="Refactor session middleware")
        site.broken.add(bad["uid"])
    elif case == "B":  # 경우 B: Vercel's own outage; Vercel recovers (`/drill heal`)
        site.down = True
        page = world.pages["Vercel"]  # type: ignore[attr-defined]
        page.indicator = "major"
        page.set_component("Edge Network", "major_outage")
        page.open_incident("Elevated 5xx errors on the Edge Network")

        def vercel_recovered() -> None:
            site.down = False
            page.recover()

        world.heals.append(vercel_recovered)
    else:  # 경우 C: the domain does not resolve until its record is put back at the registrar
        site.down = True
        dns = world.dns  # type: ignore[attr-defined]
        dns.fail(DOMAIN, "nxdomain")

        def record_back() -> None:
            dns.clear(DOMAIN)
            site.down = False

        world.heals.append(record_back)


def _openai(world: World, case: str, pg: str | None) -> None:
    _vercel, site = _base(world)
    openai = world.serve(SimOpenAI())
    site.openai = openai  # the site's AI path calls it, unless the ai_degraded flag is on
    world.settings.update(OPENAI_API_KEY=OPENAI_KEY, OPENAI_BASE_URL=openai.base_url)
    page = world.pages["OpenAI"]  # type: ignore[attr-defined]
    if case == "A":  # 경우 A: OpenAI's outage; the bot's remedy is the notice (ai-degraded on)
        openai.mode = "server_error"
        page.indicator = "major"
        page.set_component("API", "major_outage")
        page.open_incident("Increased error rates on the API")
        world.heals.append(page.recover)
    else:  # 경우 B, 잔액 부족: 429 insufficient_quota until the balance is topped up
        openai.mode = "quota"

    def recovered() -> None:
        openai.mode = "ok"

    world.heals.append(recovered)


def _auth(world: World, case: str, pg: str | None) -> None:
    _base(world)
    auth = world.serve(SimSupabaseAuth())
    world.settings.update(
        SUPABASE_URL=auth.url,
        SUPABASE_ANON_KEY=ANON_KEY,
        AILEX_AUTH_CHECK_EMAIL=CHECK_EMAIL,
        AILEX_AUTH_CHECK_PASSWORD=CHECK_PASSWORD,
    )
    if case == "A":  # 경우 A: Supabase Auth itself is down (its status page says so)
        auth.health_status = 503
        page = world.pages["Supabase"]  # type: ignore[attr-defined]
        page.indicator = "major"
        page.set_component("Auth", "major_outage")
        page.open_incident("Auth: elevated error rates on sign-in")

        def recovered() -> None:
            auth.health_status = 200
            page.recover()

        world.heals.append(recovered)
    else:  # 경우 B: the Google provider was switched off in the project's Auth settings

        def provider_back() -> None:
            auth.google = True

        auth.google = False
        world.heals.append(provider_back)


def _performance(world: World, case: str, pg: str | None) -> None:
    vercel, site = _base(world)
    # 상황 5: a function of the latest deployment makes the API slower than the runbook's 5 s
    # (and than a check waits); rolling that deployment back is how the drill repairs it.
    slow = vercel.add_deployment(minutes_ago=12, commit_message="Dashboard summary: aggregate live")
    site.slow_api[slow["uid"]] = PROBE_TIMEOUT + 1.0


def _deploy(world: World, case: str, pg: str | None) -> None:
    vercel, _site = _base(world)
    github = world.serve(SimGitHub())
    world.settings.update(
        GITHUB_TOKEN=GITHUB_TOKEN,
        GITHUB_API_URL=github.url,
        GITHUB_REPOSITORY=github.repository,
        GITHUB_WORKFLOW=github.workflow,
    )
    # 상황 6: deploy.yml fails at its tests on the hotfix at the branch's head; Vercel builds
    # fine, so the emergency deploy (CI bypassed) ships it. CI stays red until the team fixes
    # the test and pushes (`/drill heal`).
    github.add_run(conclusion="success")
    github.add_run(conclusion="failure", failed_step="Test (npx vitest run)")
    vercel.branch_head = {"sha": "f1e2d3c4b5a697887766554433221100ffeeddcc", "message": "Hotfix"}
    vercel.new_deployment_state = "READY"

    def fixed_and_pushed() -> None:
        github.add_run(conclusion="success")

    world.heals.append(fixed_and_pushed)


def _database(world: World, case: str, pg: str | None) -> None:
    from bot.drill.postgres import scratch_database

    _base(world)
    if pg is None:
        raise NeedsPostgres
    dsn = scratch_database(world, pg, case)
    world.settings.update(SUPABASE_DB_URL=dsn, AILEX_IDLE_MINUTES=str(IDLE_SECONDS / 60))


def _data_loss(world: World, case: str, pg: str | None) -> None:
    from bot.drill.postgres import DATA_LOSS, scratch_database

    _base(world)
    if pg is None:
        raise NeedsPostgres
    world.settings["SUPABASE_DB_URL"] = scratch_database(world, pg, DATA_LOSS)


DRILLS: dict[str, Drill] = {
    drill.key: drill
    for drill in (
        Drill("outage", ("A", "B", "C"), _outage),
        Drill("database", ("B", "C"), _database, needs_postgres=True),
        Drill("openai", ("A", "B"), _openai),
        Drill("auth", ("A", "B"), _auth),
        Drill("performance", ("A",), _performance),
        Drill("deploy", ("A",), _deploy),
        Drill("data-loss", ("A",), _data_loss, needs_postgres=True),
    )
}
