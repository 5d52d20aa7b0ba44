"""Alert webhooks (SPEC 4 and 6): how fast a delivery is answered, and how fast an alert
becomes an incident card and a finished diagnosis in Slack.

Starts `ailex serve` (HTTP, real gunicorn, SQLite in a temp dir) with a fake Slack, a fake
site answering 502, a fake DNS server, a fake Vercel API and a fake status page behind it,
every webhook secret set, then:

(a) answers: N distinct deliveries, C at a time, a mix of the four sources, each signed as
    the service signs it (UptimeRobot `?secret=`; Sentry hex HMAC-SHA256 of the raw body with
    Sentry-Hook-Timestamp and Request-ID; Vercel x-vercel-signature hex HMAC-SHA1; GitHub
    X-Hub-Signature-256 `sha256=`), all firing. Prints p50/p99/max answer latency and the
    statuses per source (SPEC 4: p99 under 100 ms at 20 concurrent deliveries).
(b) alert to Slack: on a second server with a fresh store and AILEX_ALERT_GROUP_MINUTES=0 (so
    every alert of a new monitor opens its own incident), an UptimeRobot down alert, R times:
    the time from the POST to the incident card's chat.postMessage, and to the `outage`
    diagnosis message's first post or update with every check finished, against the bound
    AILEX_PROBE_TIMEOUT + 2 s. The first alert is a warm-up, shown apart.

The payload builders are written here from the services' documentation, not from the bot's
code. The benchmark prints figures; it asserts nothing. An endpoint that answers 404 (not
served by this build, or its secret unset) is reported as such, and (b) is then skipped.

    python bench/alerts.py [--deliveries 500] [--concurrency 20] [--repeats 5] [--timeout 2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ack_latency import free_port, percentile  # noqa: E402
from bot.diagnosis.blocks import PENDING_EMOJI  # noqa: E402
from bot.messages import Catalogue  # noqa: E402
from tests.fakes import alert_senders as send  # noqa: E402
from tests.fakes.base import FakeServer, Recorded, Response  # noqa: E402
from tests.fakes.dns_server import FakeDNS  # noqa: E402
from tests.fakes.slack import TOKEN, FakeSlack  # noqa: E402
from tests.fakes.statuspage import FakeStatusPage  # noqa: E402
from tests.fakes.vercel import TOKEN as VERCEL_TOKEN  # noqa: E402
from tests.fakes.vercel import FakeVercel  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
UPTIMEROBOT_SECRET = "bench-uptimerobot-secret-5d1e"
SENTRY_SECRET = "bench-sentry-client-secret-9a7c"
VERCEL_SECRET = "bench-vercel-webhook-secret-33f0"
GITHUB_SECRET = "bench-github-webhook-secret-c4b2"
ALERT_CHANNEL = "C0ALERTS01"
ONCALL = "U0ONCALL01"
WORKFLOW = "deploy.yml"
SOURCES = ("uptimerobot", "sentry", "vercel", "github")


# --- deliveries, as each service sends them (tests/fakes/alert_senders.py) ---------------


@dataclass(frozen=True)
class Delivery:
    source: str
    path: str  # with the query string, if any
    body: bytes
    headers: dict[str, str]


def _as(source: str, built: send.Delivery) -> Delivery:
    return Delivery(source, built.url_path, built.body, built.headers)


def _now() -> datetime:
    return datetime.now(UTC)


def uptimerobot(
    n: int, *, monitor_id: str, alert_type: str = "1", name: str = "ailex.app"
) -> Delivery:
    """A webhook alert contact's POST; its identity is monitor, type and time, so distinct
    seconds make distinct alerts."""
    at = _now() - timedelta(seconds=100_000 - n)
    built = send.uptimerobot(
        alert_type=alert_type, monitor_id=monitor_id, name=name, at=at, secret=UPTIMEROBOT_SECRET
    )
    return _as("uptimerobot", built)


SENTRY_TITLES = (
    ("Error: connect ECONNREFUSED 10.0.0.5:5432", "lib/db.ts in query"),
    ("RateLimitError: 429 You exceeded your current quota", "lib/openai.ts in complete"),
    ("AuthApiError: Invalid JWT", "lib/supabase/server.ts in getUser"),
    ("TypeError: Cannot read properties of undefined (reading 'id')", "app/page.tsx in Page"),
)


def sentry(n: int) -> Delivery:
    """An issue alert rule firing, with a fresh Request-ID and the current timestamp."""
    title, culprit = SENTRY_TITLES[n % len(SENTRY_TITLES)]
    built = send.sentry_event_alert(
        title=title,
        culprit=culprit,
        issue_id=str(4_500_000_000 + n % len(SENTRY_TITLES)),
        event_id=uuid.uuid4().hex,
        at=_now(),
        secret=SENTRY_SECRET,
        request_id=str(uuid.uuid4()),
    )
    return _as("sentry", built)


def vercel(n: int) -> Delivery:
    """A production deployment that failed, its `id` the delivery id."""
    built = send.vercel_deployment(
        "deployment.error",
        deployment_id=f"dpl_bench{n:08d}",
        secret=VERCEL_SECRET,
        delivery_id=f"whd_{uuid.uuid4().hex}",
        at=_now(),
    )
    return _as("vercel", built)


def github(n: int) -> Delivery:
    """A `workflow_run` of the deploy workflow completed with `failure`."""
    built = send.github_workflow_run(
        "failure",
        path=f".github/workflows/{WORKFLOW}",
        run_id=9_000_000_000 + n,
        run_number=n,
        secret=GITHUB_SECRET,
        delivery=str(uuid.uuid4()),
        at=_now(),
    )
    return _as("github", built)


def mix(count: int, start: int) -> list[Delivery]:
    """`count` distinct firing deliveries, the four sources in turn (a few monitors)."""
    out = []
    for n in range(start, start + count):
        source = SOURCES[n % len(SOURCES)]
        if source == "uptimerobot":
            out.append(uptimerobot(n, monitor_id=str(780_000 + n % 5)))
        elif source == "sentry":
            out.append(sentry(n))
        elif source == "vercel":
            out.append(vercel(n))
        else:
            out.append(github(n))
    return out


# --- the world: fakes and `ailex serve` ------------------------------------------------------


def world(stack: ExitStack, timeout: float) -> tuple[FakeSlack, dict[str, str]]:
    """The fakes, and the environment that points the bot at them."""
    slack = FakeSlack()
    stack.enter_context(slack)
    slack.add_channel("alerts", channel_id=ALERT_CHANNEL)
    slack.add_user(ONCALL, "oncall")
    site = stack.enter_context(FakeServer())
    site.route("*", "/.*")(lambda request, match: Response(502, "Bad Gateway"))
    dns = stack.enter_context(FakeDNS())
    dns.add("ailex.app", a=["76.76.21.21"])
    vercel_api = FakeVercel()
    stack.enter_context(vercel_api)
    vercel_api.add_deployment(minutes_ago=300)
    vercel_api.add_deployment(minutes_ago=20)
    status = stack.enter_context(FakeStatusPage())
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack.url}/api/",
        "AILEX_SITE_URL": site.url,
        "AILEX_DOMAIN": "ailex.app",
        "AILEX_DNS_NAMESERVERS": dns.address,
        "AILEX_PROBE_TIMEOUT": f"{timeout:g}",
        "VERCEL_API_URL": vercel_api.url,
        "VERCEL_TOKEN": VERCEL_TOKEN,
        "VERCEL_PROJECT_ID": vercel_api.project_id,
        "AILEX_STATUSPAGE_VERCEL": status.url,
        "AILEX_STATUSPAGE_SUPABASE": status.url,
        "AILEX_STATUSPAGE_OPENAI": status.url,
        "AILEX_ALERT_CHANNEL": ALERT_CHANNEL,
        "AILEX_ALERT_MODE": "declare",
        "AILEX_ONCALL": ONCALL,
        "AILEX_UPTIMEROBOT_SECRET": UPTIMEROBOT_SECRET,
        "SENTRY_CLIENT_SECRET": SENTRY_SECRET,
        "VERCEL_WEBHOOK_SECRET": VERCEL_SECRET,
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "GITHUB_WORKFLOW": WORKFLOW,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("SLACK_APP_TOKEN", None)
    return slack, env


class Served:
    """`ailex serve` in HTTP mode on its own port and store; stopped with SIGTERM."""

    def __init__(self, env: dict[str, str], args: argparse.Namespace, extra: dict[str, str]):
        self.work = Path(tempfile.mkdtemp(prefix="ailex-bench-alerts-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "AILEX_DATABASE_URL": f"sqlite:///{self.work / 'bench.db'}", **extra}
        self.log = (self.work / "serve.log").open("wb")
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(args.workers),
                   "--threads", str(args.threads)]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, cwd=self.work, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = (self.work / "serve.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"ailex serve did not start:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- (a) answer latency ----------------------------------------------------------------------


async def fire(
    url: str, deliveries: list[Delivery], concurrency: int
) -> tuple[list[tuple[str, float, int | str]], float]:
    """POST each delivery, `concurrency` at a time: (source, seconds, status or error)."""
    results: list[tuple[str, float, int | str]] = []
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while not queue.empty():
                d = queue.get_nowait()
                started = time.perf_counter()
                status: int | str
                try:
                    async with session.post(url + d.path, data=d.body, headers=d.headers) as r:
                        await r.read()
                        status = r.status
                except (TimeoutError, aiohttp.ClientError) as exc:
                    status = type(exc).__name__
                results.append((d.source, time.perf_counter() - started, status))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results, time.perf_counter() - started


def report_missing(statuses: dict[str, Counter[int | str]]) -> set[str]:
    """Say which endpoints answered 404; return those sources."""
    missing = set()
    for source in SOURCES:
        if statuses[source].get(404):
            missing.add(source)
            print(
                f"  /webhooks/{source} answered 404 ({statuses[source][404]} times): not served "
                "by this build, or its secret is unset"
            )
    return missing


def answers(env: dict[str, str], args: argparse.Namespace) -> set[str]:
    served = Served(env, args, {})
    try:
        counter = itertools.count()
        warm = mix(args.warmup, next(counter))
        asyncio.run(fire(served.url, warm, args.concurrency))
        deliveries = mix(args.deliveries, 1_000_000)
        results, elapsed = asyncio.run(fire(served.url, deliveries, args.concurrency))
    finally:
        served.stop()
    print(
        f"(a) {len(results)} distinct signed deliveries ({', '.join(SOURCES)} in turn), "
        f"{args.concurrency} at a time, after {args.warmup} warm-up; gunicorn {args.workers} "
        f"workers x {args.threads} threads, CPUs: {os.cpu_count()}"
    )
    statuses: dict[str, Counter[int | str]] = {s: Counter() for s in SOURCES}
    print(f"  {'source':12} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for source in (*SOURCES, "all"):
        rows = [r for r in results if source in ("all", r[0])]
        if not rows:
            continue
        values = [seconds * 1000 for _, seconds, _ in rows]
        counts = Counter(status for _, _, status in rows)
        if source != "all":
            statuses[source] = counts
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv)))
        print(
            f"  {source:12} {len(rows):5d} {percentile(values, 50):8.1f} "
            f"{percentile(values, 99):8.1f} {max(values):8.1f}  {shown}"
        )
    print(f"  {len(results) / elapsed:.0f} deliveries/s; target: p99 < 100 ms, every answer 202")
    return report_missing(statuses)


# --- (b) from the alert to Slack -------------------------------------------------------------


def _blocks_of(request: Recorded) -> list[Any]:
    raw = request.arg("blocks")
    try:
        blocks = json.loads(raw) if raw else []
    except ValueError:
        return []
    return blocks if isinstance(blocks, list) else []


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def _is_card(blocks: list[Any]) -> bool:
    """The incident card: its buttons' block is `card.<id>` (bot/incidents/blocks.py)."""
    return any(str(b.get("block_id", "")).startswith("card.") for b in blocks)


def _is_finished_diagnosis(blocks: list[Any], header: str, done: str) -> bool:
    """The `outage` diagnosis with no check still shown as running (bot/diagnosis/blocks.py:
    a running check's line starts with the pending emoji) and its context saying done."""
    texts = _texts(blocks)
    return (
        header in texts
        and not any(PENDING_EMOJI in t for t in texts)
        and any(done in t for t in texts)
    )


@dataclass
class Trip:
    status: int | str
    card: float | None = None
    diagnosis: float | None = None
    channel: str | None = None


def trip(served: Served, slack: FakeSlack, n: int, wait: float, t: Catalogue) -> Trip:
    """One UptimeRobot down alert of a new monitor: seconds to its card and its finished
    diagnosis, read from the times the fake Slack received those calls."""
    header = t("diagnosis.header", scenario=t("scenario.outage"))
    done = t("diagnosis.done", seconds="\x00").split("\x00")[0]
    before = set(slack.channels)
    delivery = uptimerobot(n, monitor_id=str(990_000 + n), name=f"bench-{n}.ailex.app")
    started = time.time()
    try:
        answer = httpx.post(
            served.url + delivery.path, content=delivery.body, headers=delivery.headers, timeout=10
        )
    except httpx.HTTPError as exc:
        return Trip(type(exc).__name__)
    result = Trip(answer.status_code)
    if answer.status_code != 202:
        return result
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and (result.card is None or result.diagnosis is None):
        time.sleep(0.02)
        if result.channel is None:
            result.channel = next((c for c in slack.channels if c not in before), None)
            if result.channel is None:
                continue
        calls = sorted(
            (
                r
                for method in ("chat.postMessage", "chat.update")
                for r in slack.calls(method)
                if r.at >= started and r.arg("channel") == result.channel
            ),
            key=lambda r: r.at,
        )
        for call in calls:
            blocks = _blocks_of(call)
            if result.card is None and call.path.endswith("postMessage") and _is_card(blocks):
                result.card = call.at - started
            if result.diagnosis is None and _is_finished_diagnosis(blocks, header, done):
                result.diagnosis = call.at - started
    return result


def to_slack(slack: FakeSlack, env: dict[str, str], args: argparse.Namespace) -> None:
    bound = args.timeout + 2
    t = Catalogue("en" if env.get("AILEX_LOCALE") == "en" else "ko")
    print(
        f"\n(b) UptimeRobot down alert -> incident card and finished `outage` diagnosis, fresh "
        f"store, {args.repeats} alerts of new monitors (AILEX_PROBE_TIMEOUT={args.timeout:g}s, "
        f"bound {bound:g}s)"
    )
    served = Served(env, args, {"AILEX_ALERT_GROUP_MINUTES": "0"})
    try:
        trips = []
        for n in range(args.repeats + 1):
            one = trip(served, slack, n, args.wait, t)
            if one.status == 404:
                print("  /webhooks/uptimerobot answered 404: not served by this build, skipped")
                return
            label = "warm-up" if n == 0 else f"alert {n}"
            card = f"{one.card:.2f}s" if one.card is not None else "none"
            diagnosis = f"{one.diagnosis:.2f}s" if one.diagnosis is not None else "none"
            note = "" if one.channel or one.status != 202 else " (no incident channel opened)"
            print(f"  {label:8} answer {one.status}, card {card}, diagnosis {diagnosis}{note}")
            if n:
                trips.append(one)
            time.sleep(args.pause)
    finally:
        served.stop()
    for name in ("card", "diagnosis"):
        values = [getattr(x, name) for x in trips if getattr(x, name) is not None]
        missing = len(trips) - len(values)
        if not values:
            print(f"  {name:10} none arrived within {args.wait:g}s")
            continue
        print(
            f"  {name:10} p50 {statistics.median(values):.2f}s, max {max(values):.2f}s "
            f"(bound {bound:g}s){f', {missing} never arrived' if missing else ''}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=2.0, help="AILEX_PROBE_TIMEOUT")
    parser.add_argument("--wait", type=float, default=30.0, help="give up on a card after this")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between alerts in (b)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    with ExitStack() as stack:
        slack, env = world(stack, args.timeout)
        missing = answers(env, args)
        if "uptimerobot" in missing:
            print("\n(b) skipped: /webhooks/uptimerobot answered 404")
            return
        to_slack(slack, env, args)


if __name__ == "__main__":
    main()
