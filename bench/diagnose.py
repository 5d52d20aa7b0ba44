"""Diagnosis speed (SPEC 4): checks run at once, so a diagnosis ends within 200 ms of its
slowest check, and never later than AILEX_PROBE_TIMEOUT + 1 s even when everything hangs.

Fake dependencies (Vercel, status pages, OpenAI, Supabase Auth, GitHub, DNS, the site, a
real PostgreSQL) answer after set delays; the benchmark runs each scenario and triage several
times and prints wall time, the slowest check and the difference. Then every dependency
hangs (servers that accept and never answer, a DNS server that never replies) and it prints
wall time against the timeout.

    python bench/diagnose.py [--runs 5] [--timeout 2] [--dsn postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.aio import BackgroundLoop  # noqa: E402
from bot.diagnosis.flows import diagnose  # noqa: E402
from bot.diagnosis.scenarios import SCENARIO_KEYS, Inputs  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.fakes.base import FakeServer, Response  # noqa: E402
from tests.fakes.dns_server import FakeDNS  # noqa: E402
from tests.fakes.github import FakeGitHub  # noqa: E402
from tests.fakes.openai import FakeOpenAI  # noqa: E402
from tests.fakes.sockets import SilentServer  # noqa: E402
from tests.fakes.statuspage import FakeStatusPage  # noqa: E402
from tests.fakes.supabase_auth import ANON_KEY, FakeSupabaseAuth  # noqa: E402
from tests.fakes.vercel import TOKEN as VERCEL_TOKEN  # noqa: E402
from tests.fakes.vercel import FakeVercel  # noqa: E402

# Each dependency's delay in seconds: the slowest check is set by the slowest of these.
DELAYS = {
    "site": 0.30,
    "vercel": 0.45,
    "statuspage": 0.25,
    "openai": 0.60,
    "auth": 0.35,
    "github": 0.50,
    "dns": 0.0,
}


def slow_world(stack: ExitStack, dsn: str, timeout: float) -> Settings:
    site = stack.enter_context(FakeServer())
    site.route("*", "/.*")(lambda request, match: Response(200, "ok"))
    vercel = stack.enter_context(FakeVercel())
    vercel.add_deployment(minutes_ago=300)
    vercel.add_deployment(minutes_ago=30)
    status = stack.enter_context(FakeStatusPage())
    openai = stack.enter_context(FakeOpenAI())
    auth = stack.enter_context(FakeSupabaseAuth())
    github = stack.enter_context(FakeGitHub())
    dns = stack.enter_context(FakeDNS())
    dns.add("ailex.app", a=["76.76.21.21"])
    for server, key in (
        (site, "site"),
        (vercel, "vercel"),
        (status, "statuspage"),
        (openai, "openai"),
        (auth, "auth"),
        (github, "github"),
    ):
        server.delay = DELAYS[key]
    return Settings(
        AILEX_SITE_URL=site.url,
        AILEX_DOMAIN="ailex.app",
        AILEX_DNS_NAMESERVERS=dns.address,
        VERCEL_API_URL=vercel.url,
        VERCEL_TOKEN=VERCEL_TOKEN,
        VERCEL_PROJECT_ID=vercel.project_id,
        AILEX_STATUSPAGE_VERCEL=status.url,
        AILEX_STATUSPAGE_SUPABASE=status.url,
        AILEX_STATUSPAGE_OPENAI=status.url,
        OPENAI_BASE_URL=f"{openai.url}/v1",
        OPENAI_API_KEY=openai.key,
        SUPABASE_URL=auth.url,
        SUPABASE_ANON_KEY=ANON_KEY,
        SUPABASE_DB_URL=dsn,
        GITHUB_API_URL=github.url,
        AILEX_PROBE_TIMEOUT=timeout,
        AILEX_BACKUP_DIR=str(ROOT / "backups"),
    )  # type: ignore[call-arg]


def hanging_world(stack: ExitStack, timeout: float) -> Settings:
    silent = stack.enter_context(SilentServer())
    url = f"http://127.0.0.1:{silent.port}"
    dns = stack.enter_context(FakeDNS())
    dns.fail("ailex.app", "hang")
    return Settings(
        AILEX_SITE_URL=url,
        AILEX_DOMAIN="ailex.app",
        AILEX_DNS_NAMESERVERS=dns.address,
        VERCEL_API_URL=url,
        VERCEL_TOKEN="t",
        VERCEL_PROJECT_ID="p",
        AILEX_STATUSPAGE_VERCEL=url,
        AILEX_STATUSPAGE_SUPABASE=url,
        AILEX_STATUSPAGE_OPENAI=url,
        OPENAI_BASE_URL=url,
        OPENAI_API_KEY="sk-bench-000000000",
        SUPABASE_URL=url,
        SUPABASE_ANON_KEY="anon",
        SUPABASE_DB_URL=f"postgresql://postgres@127.0.0.1:{silent.port}/postgres",
        GITHUB_API_URL=url,
        AILEX_AUTH_CHECK_EMAIL="check@ailex.app",
        AILEX_AUTH_CHECK_PASSWORD="x",
        AILEX_PROBE_TIMEOUT=timeout,
    )  # type: ignore[call-arg]


def measure(loop: BackgroundLoop, settings: Settings, scenario: str, runs: int):
    walls, slowest = [], []
    for _ in range(runs):
        started = time.perf_counter()
        result = diagnose(loop, scenario, Inputs(settings=settings))
        walls.append((time.perf_counter() - started) * 1000)
        slowest.append(max(o.duration_ms for o in result.outcomes))
    return walls, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument(
        "--dsn",
        default=os.environ.get("AILEX_BENCH_DSN", "postgresql://postgres@127.0.0.1/postgres"),
    )
    args = parser.parse_args()
    loop = BackgroundLoop()
    print(f"CPUs: {os.cpu_count()}; {args.runs} runs each; dependency delays (s): {DELAYS}")
    print(f"{'scenario':12} {'wall ms':>9} {'slowest':>9} {'overhead':>9} {'worst over':>11}")
    with ExitStack() as stack:
        settings = slow_world(stack, args.dsn, args.timeout)
        measure(loop, settings, "triage", 1)  # warm-up: imports, first connections
        for scenario in SCENARIO_KEYS:
            walls, slowest = measure(loop, settings, scenario, args.runs)
            over = [w - s for w, s in zip(walls, slowest, strict=True)]
            print(
                f"{scenario:12} {statistics.median(walls):9.0f} {statistics.median(slowest):9.0f}"
                f" {statistics.median(over):9.0f} {max(over):11.0f}"
            )
    print(
        f"\nevery dependency hangs, AILEX_PROBE_TIMEOUT={args.timeout:g}s "
        f"(bound: {args.timeout + 1:g}s)"
    )
    print(f"{'scenario':12} {'wall ms':>9} {'worst ms':>9} {'past timeout':>13}")
    with ExitStack() as stack:
        settings = hanging_world(stack, args.timeout)
        for scenario in ("outage", "database", "triage"):
            walls, _ = measure(loop, settings, scenario, max(2, args.runs // 2))
            print(
                f"{scenario:12} {statistics.median(walls):9.0f} {max(walls):9.0f}"
                f" {max(walls) - args.timeout * 1000:13.0f}"
            )
    loop.stop()


if __name__ == "__main__":
    main()
