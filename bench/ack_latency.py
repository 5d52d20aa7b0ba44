"""Acknowledgement latency of `/ailex` (SPEC 4): the bot against a bare Bolt app.

Starts `ailex serve` (HTTP, gunicorn) and a bare Bolt app served the same way, with a fake
Slack behind the bot, then sends N signed slash commands, C at a time, to each (warmed up
first), and prints p50, p99, requests/s and the bot/bare ratio. The commands are the mix an
incident produces: notes (which record and post), status cards, help and incident lists.

    python bench/ack_latency.py [--requests 500] [--concurrency 50] [--workers 2 --threads 16]
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


async def run_load(url: str, requests: list[tuple[bytes, dict[str, str]]], concurrency: int):
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
                    await response.read()
                    if response.status != 200:
                        failures += 1
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
            out.append(signed(text.format(n=n), where.format(channel=channel), n))
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
        out.append(signed(text.format(n=n), where, n))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


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
        default=None,
        help="the bot's AILEX_DATABASE_URL (default: a fresh SQLite file); a PostgreSQL URL "
        "here must name an empty database",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ailex-bench-"))
    with FakeSlack() as slack:
        slack.arrive("UBENCH", "C_OPS", "ops")  # who types the commands, and where
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": args.store or f"sqlite:///{work / 'bench.db'}",
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
             "--graceful-timeout", "5"],
            env, bare_port, "/slack/events",
        )  # fmt: skip
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
                    run_load(url, workload(args.warmup, channel, args.mix), args.concurrency)
                )
            for _ in range(args.rounds):
                for name, url in (("bot", bot_url), ("bare", bare_url)):
                    latencies, failures, elapsed = asyncio.run(
                        run_load(url, workload(args.requests, channel, args.mix), args.concurrency)
                    )
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

    print(
        f"{args.requests} signed /ailex commands x {args.rounds} rounds, {args.concurrency} at "
        f"a time, gunicorn {args.workers} workers x {args.threads} threads, CPUs: {os.cpu_count()}"
    )
    print(f"{'':6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>8} {'non-200':>8}")
    summary = {}
    for name in ("bot", "bare"):
        values = results[name]
        p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
        summary[name] = (p50, p99)
        print(
            f"{name:6} {p50:8.1f} {p99:8.1f} {max(values) * 1000:8.1f} "
            f"{statistics.mean(rates[name]):8.0f} {failed[name]:8d}"
        )
    ratio50 = summary["bot"][0] / summary["bare"][0]
    ratio99 = summary["bot"][1] / summary["bare"][1]
    print(f"ratio bot/bare: p50 {ratio50:.2f}, p99 {ratio99:.2f} (target: p99 < 100 ms, < 1.5)")


if __name__ == "__main__":
    main()
