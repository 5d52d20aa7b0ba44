"""CPU per chat.postMessage of the bot's Slack client: slack_sdk's WebClient (urlopen, a new
connection every call) against KeepAliveWebClient (one connection kept per thread).

The fake Slack runs in a child process, so the figure is the calling thread's own CPU (user
and system, `time.thread_time`) per call, as the outbox process pays it; wall time beside it.

    python bench/slack_client.py [--calls 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402

from bot.slack.client import build_slack_client  # noqa: E402
from tests.fakes.slack import TOKEN  # noqa: E402

CHANNEL = "C_BENCH"
SERVE = f"""
import sys, time
sys.path.insert(0, {str(ROOT)!r})
from tests.fakes.slack import FakeSlack
slack = FakeSlack().start()
slack.arrive("U_BENCH", {CHANNEL!r}, "bench")
print(slack.url, flush=True)
sys.stdin.read()
"""

TEXT = "📝 <@U_BENCH>: DB 커넥션 확인 중"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": TEXT}}]


def per_call(client: WebClient, calls: int) -> tuple[float, float]:
    """CPU and wall milliseconds per chat.postMessage."""
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(calls):
        client.chat_postMessage(channel=CHANNEL, text=TEXT, blocks=BLOCKS)
    return (
        (time.thread_time() - cpu) * 1000 / calls,
        (time.perf_counter() - wall) * 1000 / calls,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base_url = f"{server.stdout.readline().strip()}/api/"
        kept = build_slack_client(token=TOKEN, base_url=base_url)
        # The same client, retry handlers and all, with slack_sdk's own transport.
        plain = WebClient(token=TOKEN, base_url=base_url, retry_handlers=kept.retry_handlers)
        clients = {"urlopen (new connection)": plain, "keep-alive": kept}
        for client in clients.values():
            per_call(client, 100)  # warm up
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
        for _ in range(args.rounds):  # alternated, so both see the same machine
            for name, client in clients.items():
                figures[name].append(per_call(client, args.calls))
        print(f"{args.calls} chat.postMessage x {args.rounds} rounds against the fake Slack")
        print(f"{'client':28} {'CPU ms/call':>12} {'wall ms/call':>13}")
        best = {name: min(rounds) for name, rounds in figures.items()}
        for name, (cpu, wall) in best.items():
            print(f"{name:28} {cpu:12.3f} {wall:13.3f}")
        before, after = best["urlopen (new connection)"][0], best["keep-alive"][0]
        print(f"keep-alive saves {100 * (before - after) / before:.0f}% CPU per call")
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)


if __name__ == "__main__":
    main()
