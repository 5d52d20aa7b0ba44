"""`ailex serve` as a user runs it: a real process, HTTP, /healthz, and surviving kill -9."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.slack import TOKEN, FakeSlack
from tests.harness import SIGNING_SECRET, sign


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def serve(tmp_path, clean_env, slack):
    """Start `ailex serve` in HTTP mode; yield (base URL, env)."""
    port = _free_port()
    env = {
        **clean_env,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack.url}/api/",
        "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--threads",
            "4",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError(process.stdout.read().decode() if process.stdout else "no output")
    yield url, env, process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _command(url: str, text: str, channel: str = "C_OPS", trigger: str = "t1") -> httpx.Response:
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": channel,
            "user_id": "U_ALICE",
            "command": "/ailex",
            "text": text,
            "trigger_id": trigger,
            "response_url": "http://127.0.0.1:9/unused",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    return httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)


def test_serve_answers_healthz_and_signed_commands(serve, slack):
    url, _, _ = serve
    health = httpx.get(f"{url}/healthz")
    assert health.status_code == 200 and health.json() == {"ok": True}
    assert httpx.post(f"{url}/slack/events", content=b"text=help").status_code == 401
    answer = _command(url, "help")
    assert answer.status_code == 200 and "AILEX" in answer.json()["text"]
    assert _command(url, "incident start P1 서버 다운", trigger="t2").status_code == 200
    slack.wait_for(lambda: slack.channels and slack.all_posts())
    (channel,) = slack.channels.values()
    assert channel["name"].endswith("seobeo-daun")


def test_kill_dash_nine_loses_no_recorded_event(serve, slack, tmp_path):
    url, env, process = serve
    _command(url, "incident start P1 정전 시험", trigger="k1")
    channel = slack.wait_for(lambda: next(iter(slack.channels), None))
    for n in range(5):
        answer = _command(url, f"note 기록 {n}", channel=channel, trigger=f"k-note-{n}")
        assert answer.status_code == 200
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    listed = subprocess.run(
        [sys.executable, "-m", "bot.cli", "incidents", "--json"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (incident,) = json.loads(listed.stdout)
    assert incident["title"] == "정전 시험" and incident["severity"] == "P1"
    report = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", str(incident["id"])],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for n in range(5):
        assert f"메모: 기록 {n}" in report.stdout
