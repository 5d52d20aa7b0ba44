"""Acknowledgement latency of `/ailex` (SPEC 4): the bot against a bare Bolt app.

Starts `ailex serve` (HTTP, gunicorn) and a bare Bolt app served the same way, with a fake
Slack behind the bot, then sends N signed slash commands, C at a time, to each (warmed up
first), and prints p50, p99, requests/s and the bot/bare ratio. The commands are the mix an
incident produces: notes (which record and post), status cards, help and incident lists.

    python bench/ack_latency.py [--requests 500] [--concurrency 50] [--workers 2 --threads 16]
        [--store sqlite --store postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each `--store` is measured in turn, each against bare Bolt in the same run (a PostgreSQL URL
names the server: a scratch database is created on it and dropped after). Beside latency it
prints the CPU seconds the bot's request workers and its outbox process spent per 1,000
commands, and counts the notes in the store against the acknowledgements received: none lost
(acknowledged, not stored), none stored twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from itertools import count as counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.slack.signing import signed_headers  # noqa: E402
from tests.fakes.slack import TOKEN, FakeSlack  # noqa: E402

SECRET = "bench-signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed(text: str, channel: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": channel,
            "user_id": "UBENCH",
            "command": "/ailex",
            "text": text,
            "trigger_id": f"bench-{os.getpid()}-{n}-{time.time_ns()}",
            "response_url": "http://127.0.0.1:9/unused",
        }
    ).encode()
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        **signed_headers(SECRET, body),
    }


def start(cmd: list[str], env: dict[str, str], port: int, health: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        cmd, env=env, cwd=env.get("BENCH_CWD"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{cmd[0]} did not start: {process.stderr.read().decode()[-2000:]}")


_TAGS = counter()
_NOTE_ACKS = ("타임라인에 기록했습니다", "Added to the timeline")


def tagged(text: str) -> str:
    """A note's text with a tag of its own, to find it in the store afterwards."""
    return f"{text} #{next(_TAGS)}" if text.startswith("note ") else text


def acked_text(answer: bytes) -> str:
    """The text of an acknowledgement (Bolt answers JSON, its Korean escaped)."""
    import json

    try:
        return str(json.loads(answer).get("text", ""))
    except ValueError:
        return answer.decode(errors="replace")


def tag_of(body: bytes) -> str | None:
    from urllib.parse import parse_qs

    text = parse_qs(body.decode())["text"][0]
    return text.rsplit("#", 1)[1] if text.startswith("note ") else None


async def run_load(
    url: str,
    requests: list[tuple[bytes, dict[str, str]]],
    concurrency: int,
    acked: list[str] | None = None,
):
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                body, headers = queue.get_nowait()
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    answer = await response.read()
                    if response.status != 200:
                        failures += 1
                    elif acked is not None and any(a in acked_text(answer) for a in _NOTE_ACKS):
                        tag = tag_of(body)
                        if tag is not None:
                            acked.append(tag)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, failures, elapsed


MIXES = {
    "help": [("help", "C_OPS")],
    "status": [("status", "{channel}")],
    "note": [("note 벤치마크 메모 {n}", "{channel}")],
}


def workload(
    count: int, channel: str, mix_name: str = "incident"
) -> list[tuple[bytes, dict[str, str]]]:
    if mix_name in MIXES:
        out = []
        for n in range(count):
            text, where = MIXES[mix_name][0]
            out.append(signed(tagged(text.format(n=n)), where.format(channel=channel), n))
        return out
    mix = [
        ("note 벤치마크 메모 {n}", channel),
        ("status", channel),
        ("note 두 번째 메모 {n}", channel),
        ("help", "C_OPS"),
        ("status", channel),
        ("incident list", "C_OPS"),
        ("note 세 번째 {n}", channel),
        ("help", "C_OPS"),
        ("status", channel),
        ("note 네 번째 {n}", channel),
    ]
    out = []
    for n in range(count):
        text, where = mix[n % len(mix)]
        out.append(signed(tagged(text.format(n=n)), where, n))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds (user + system) so far of `ailex serve`'s processes: its request workers
    and its outbox process (the master itself is left out: it only supervises)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        pid, ppid = int(entry.name), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        stats[pid] = (cmdline, (int(fields[11]) + int(fields[12])) / _TICK)
    out = {"workers": 0.0, "outbox": 0.0}
    for pid in children.get(root, []):
        cmdline, seconds = stats[pid]
        out["outbox" if "outbox_process" in cmdline else "workers"] += seconds
    return out


def scratch_database(url: str) -> tuple[str, str]:
    """A fresh database on the server `url` names: (its URL, its name)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ailex_bench_{uuid.uuid4().hex[:8]}"
    server = make_url(url)
    dsn = server.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(False), name


def drop_database(url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(dsn.render_as_string(False), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored_notes(url: str) -> list[str]:
    """The tags of the bench's notes in the store, once per stored event."""
    from sqlalchemy import select

    from storage import Store
    from storage.models import TimelineEvent

    store = Store(url)
    try:
        with store.read() as session:
            texts = session.scalars(
                select(TimelineEvent.text).where(TimelineEvent.kind == "note")
            ).all()
    finally:
        store.dispose()
    return [text.rsplit("#", 1)[1] for text in texts if text and "#" in text]


def outbox_lag(url: str) -> tuple[float, float, int]:
    """How long the outbox took from recording a message to Slack taking it: p50 and p99 in
    ms over the messages sent, and how many that were due were never sent."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage import Store
    from storage.models import OutboxMessage

    store = Store(url)
    try:
        with store.read() as session:
            rows = session.execute(
                select(
                    OutboxMessage.created_at,
                    OutboxMessage.done_at,
                    OutboxMessage.status,
                    OutboxMessage.next_attempt_at,
                )
            ).all()
    finally:
        store.dispose()
    lags = [(done - made).total_seconds() for made, done, status, _ in rows if status == "sent"]
    # Scheduled for later (a phase's card redraw) is not owed yet.
    now = datetime.now(UTC)
    unsent = sum(1 for _, _, status, due in rows if status == "pending" and due <= now)
    if not lags:
        return 0.0, 0.0, unsent
    return percentile(lags, 50) * 1000, percentile(lags, 99) * 1000, unsent


def measure(args: argparse.Namespace, store_url: str, work: Path) -> dict[str, object]:
    """One store's run: the bot and bare Bolt, alternating; latencies, CPU, the count."""
    with FakeSlack() as slack:
        slack.arrive("UBENCH", "C_OPS", "ops")  # who types the commands, and where
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": store_url,
            "BENCH_CWD": str(work),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("SLACK_APP_TOKEN", None)
        bot_port, bare_port = free_port(), free_port()
        bot = start(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
             "--port", str(bot_port), "--workers", str(args.workers),
             "--threads", str(args.threads)],
            env, bot_port, "/healthz",
        )  # fmt: skip
        bare = start(
            [sys.executable, "-m", "gunicorn", "bench.bare_bolt:application", "-k", "gthread",
             "--workers", str(args.workers), "--threads", str(args.threads),
             "--bind", f"127.0.0.1:{bare_port}", "--chdir", str(ROOT),
             "--graceful-timeout", "5", "--keep-alive", "5", "--reuse-port"],
            env, bare_port, "/slack/events",
        )  # fmt: skip
        acked: list[str] = []
        cpu = {"workers": 0.0, "outbox": 0.0, "bare": 0.0}
        try:
            bot_url = f"http://127.0.0.1:{bot_port}/slack/events"
            bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
            body, headers = signed("incident start P1 벤치마크 장애", "C_OPS", -1)
            httpx.post(bot_url, content=body, headers=headers, timeout=10)
            channel = slack.wait_for(lambda: next(iter(slack.channels), None))

            results: dict[str, list[float]] = {"bot": [], "bare": []}
            rates: dict[str, list[float]] = {"bot": [], "bare": []}
            failed = {"bot": 0, "bare": 0}
            for url in (bot_url, bare_url):
                asyncio.run(
                    run_load(
                        url,
                        workload(args.warmup, channel, args.mix),
                        args.concurrency,
                        acked if url == bot_url else None,
                    )
                )
            for _ in range(args.rounds):
                for name, url in (("bot", bot_url), ("bare", bare_url)):
                    before = cpu_seconds(bot.pid) if name == "bot" else None
                    bare_before = cpu_seconds(bare.pid)["workers"] if name == "bare" else 0.0
                    latencies, failures, elapsed = asyncio.run(
                        run_load(
                            url,
                            workload(args.requests, channel, args.mix),
                            args.concurrency,
                            acked if name == "bot" else None,
                        )
                    )
                    if before is not None:
                        # What the outbox still owes for this round is part of its cost.
                        drained = time.monotonic() + 10
                        while time.monotonic() < drained and slack_pending(store_url):
                            time.sleep(0.1)
                        after = cpu_seconds(bot.pid)
                        for key in ("workers", "outbox"):
                            cpu[key] += after[key] - before[key]
                    if name == "bare":
                        cpu["bare"] += cpu_seconds(bare.pid)["workers"] - bare_before
                    results[name] += latencies
                    rates[name].append(len(latencies) / elapsed)
                    failed[name] += failures
        finally:
            for process in (bot, bare):
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    stored = stored_notes(store_url)
    lag = outbox_lag(store_url)
    return {"lag": lag, "results": results, "rates": rates, "failed": failed, "cpu": cpu,
            "acked": acked, "stored": stored, "measured": args.requests * args.rounds}  # fmt: skip


def slack_pending(store_url: str) -> bool:
    """Whether the outbox still owes Slack a message."""
    from storage import Store
    from storage import outbox as queries

    store = Store(store_url)
    try:
        with store.read() as session:
            return queries.counts(session).get("pending", 0) > 0
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="alternate bot/bare this many times")
    parser.add_argument("--mix", default="incident", choices=["incident", *MIXES])
    parser.add_argument(
        "--store",
        action="append",
        default=None,
        help="the bot's store: `sqlite` (a fresh file, the default) or a PostgreSQL URL, whose "
        "server gets a scratch database for the run; give it twice to measure both",
    )
    args = parser.parse_args()

    print(
        f"{args.requests} signed /ailex commands ({args.mix}) x {args.rounds} rounds, "
        f"{args.concurrency} at a time, gunicorn {args.workers} workers x {args.threads} "
        f"threads, CPUs: {os.cpu_count()}"
    )
    print(
        f"{'store':10} {'':5} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'req/s':>6} "
        f"{'non-200':>7} {'ratio p99':>9} {'CPU s/1k: workers':>17} {'outbox':>6}"
    )
    notes: list[str] = []
    for requested in args.store or ["sqlite"]:
        work = Path(tempfile.mkdtemp(prefix="ailex-bench-"))
        scratch: str | None = None
        if requested == "sqlite":
            url, label = f"sqlite:///{work / 'bench.db'}", "sqlite"
        else:
            url, scratch = scratch_database(requested)
            label = "postgresql"
        try:
            run = measure(args, url, work)
        finally:
            if scratch is not None:
                drop_database(url, scratch)
        results, rates, failed = run["results"], run["rates"], run["failed"]
        cpu, measured = run["cpu"], run["measured"]
        summary = {}
        for name in ("bot", "bare"):
            values = results[name]  # type: ignore[index]
            summary[name] = (percentile(values, 50) * 1000, percentile(values, 99) * 1000)
        ratio99 = summary["bot"][1] / summary["bare"][1]
        for name in ("bot", "bare"):
            values = results[name]  # type: ignore[index]
            p50, p99 = summary[name]
            extra = (
                f" {ratio99:9.2f} {cpu['workers'] / measured * 1000:17.2f} "  # type: ignore[index]
                f"{cpu['outbox'] / measured * 1000:6.2f}"  # type: ignore[index]
                if name == "bot"
                else f" {'':9} {cpu['bare'] / measured * 1000:17.2f}"  # type: ignore[index]
            )
            print(
                f"{label:10} {name:5} {p50:7.1f} {p99:7.1f} {max(values) * 1000:7.1f} "
                f"{statistics.mean(rates[name]):6.0f} {failed[name]:7d}{extra}"  # type: ignore[index]
            )
        acked, stored = set(run["acked"]), run["stored"]  # type: ignore[arg-type]
        lost = len(acked - set(stored))
        twice = len(stored) - len(set(stored))
        lag50, lag99, unsent = run["lag"]  # type: ignore[misc]
        notes.append(
            f"{label}: outbox lag (recorded to sent) p50 {lag50:.0f} ms, p99 {lag99:.0f} ms, "
            f"{unsent} due and never sent"
        )
        notes.append(
            f"{label}: {len(acked)} notes acknowledged, {len(stored)} stored, "
            f"{lost} lost, {twice} stored twice"
        )
    for line in notes:
        print(line)
    print("target: p99 < 100 ms and bot/bare p99 < 1.5")


if __name__ == "__main__":
    main()
