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

from storage import Store, approvals
from tests.fakes import alert_senders as send
from tests.fakes.base import Response
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
        "AILEX_UPTIMEROBOT_SECRET": send.UPTIMEROBOT_SECRET,
        "AILEX_SITE_URL": "http://127.0.0.1:9",
        "AILEX_PROBE_TIMEOUT": "1",
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
    assert channel["name"].endswith("-서버-다운")


def test_a_webhook_is_answered_by_a_worker_and_handled_by_the_outbox_process(serve, slack):
    """The production path: a request worker stores the alert and answers; the outbox process
    (rung by the doorbell) opens the incident, posts its card and its diagnosis."""
    url, _, _ = serve
    delivery = send.uptimerobot(alert_type="1", name="ailex.app")
    answer = httpx.post(
        f"{url}{delivery.url_path}", content=delivery.body, headers=delivery.headers, timeout=10
    )
    assert answer.status_code == 202, answer.text
    again = httpx.post(
        f"{url}{delivery.url_path}", content=delivery.body, headers=delivery.headers, timeout=10
    )
    assert again.status_code == 200
    slack.wait_for(lambda: slack.channels)
    (channel,) = slack.channels
    posts = slack.wait_for(
        lambda: (found := slack.posts(channel)) and len(found) >= 2 and found, timeout=15
    )
    assert "UptimeRobot: ailex.app 다운" in posts[0]["text"]
    assert any("ailex.ack" in json.dumps(p["blocks"]) for p in posts)


def test_sigterm_stops_every_process_without_a_traceback(serve, slack):
    url, _, process = serve
    assert _command(url, "help").status_code == 200
    outbox = _outbox_pids(process.pid)
    assert outbox  # the outbox process runs beside the workers
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert "Exception ignored" not in text and "Traceback" not in text, text
    assert "Worker exiting" in text  # the workers did stop and write to this output
    for pid in outbox:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _outbox_pids(master: int) -> list[int]:
    """The outbox process: the child of gunicorn's master that is not a worker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if parent == master and any(
            b"outbox_process" in a or b"multiprocessing" in a for a in argv
        ):
            found.append(int(entry))
    return found


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


def test_execution_cut_off_by_kill_dash_nine_is_interrupted_and_never_rerun(
    tmp_path, clean_env, slack
):
    from tests.fakes.vercel import TOKEN as VERCEL_TOKEN
    from tests.fakes.vercel import FakeVercel

    with FakeVercel() as vercel:
        vercel.add_deployment(minutes_ago=300)
        vercel.add_deployment(minutes_ago=20)
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'crash.db'}",
            "VERCEL_TOKEN": VERCEL_TOKEN,
            "VERCEL_PROJECT_ID": vercel.project_id,
            "VERCEL_API_URL": vercel.url,
        }
        # Promote hangs long enough to kill the bot in the middle of it.
        vercel.fail("POST", r"/v10/projects/.*/promote/.*", Response(202, {}, delay=30), times=1)

        def start() -> tuple[str, subprocess.Popen[bytes]]:
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(port), "--workers", "1", "--threads", "4"],
                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        return url, process
                except httpx.HTTPError:
                    time.sleep(0.1)
            raise AssertionError("serve did not start")

        url, process = start()
        try:
            _command(url, "incident start P1 롤백 중 정전", trigger="c1")
            channel = slack.wait_for(lambda: next(iter(slack.channels), None))
            _command(url, "remediate rollback", channel=channel, trigger="c2")
            slack.wait_for(
                lambda: any(
                    "ailex.approve" in json.dumps(m["blocks"]) for m in slack.posts(channel)
                )
            )
            body = urlencode(
                {
                    "payload": json.dumps(
                        {
                            "type": "block_actions",
                            "user": {"id": "U_BOB"},
                            "team": {"id": "T1"},
                            "channel": {"id": channel},
                            "container": {"type": "message", "channel_id": channel},
                            "trigger_id": "c3",
                            "response_url": slack.response_url("c3"),
                            "actions": [
                                {"action_id": "ailex.approve", "value": "1", "type": "button"}
                            ],
                        }
                    )
                }
            ).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            assert (
                httpx.post(f"{url}/slack/events", content=body, headers=headers).status_code == 200
            )
            promoted = slack.wait_for(
                lambda: [r for r in vercel.requests if "/promote/" in r.path], timeout=20
            )
            assert len(promoted) == 1
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

        url, process = start()
        try:
            store = Store(env["AILEX_DATABASE_URL"])
            deadline = time.monotonic() + 20
            state = None
            while state != "interrupted" and time.monotonic() < deadline:
                with store.read() as session:
                    state = approvals.get(session, request_id=1).state
                time.sleep(0.2)
            store.dispose()
            assert state == "interrupted"
            time.sleep(1)
            # Never re-run by itself: still the one promote call from before the crash.
            assert len([r for r in vercel.requests if "/promote/" in r.path]) == 1
            slack.wait_for(
                lambda: any("중단" in json.dumps(m["blocks"], ensure_ascii=False)
                            for m in slack.posts(channel))
            )  # fmt: skip
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def _sockets_on(port: int, state: str) -> set[str]:
    """The inodes of the sockets on 127.0.0.1:`port` in `state` (/proc/net/tcp: 0A listening,
    01 established, the server's side of a connection)."""
    found = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}" and fields[3] == state:
                found.add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[len("socket:[") : -1])
    return out


def test_each_worker_listens_on_its_own_socket_and_connections_spread(serve, slack):
    """Two workers, two listening sockets (SO_REUSEPORT): the kernel hands new connections to
    both, where one shared socket let the first worker awake take nearly all of them."""
    url, _, process = serve
    port = int(url.rsplit(":", 1)[1])
    workers = [pid for pid in _children(process.pid) if pid not in _outbox_pids(process.pid)]
    assert len(workers) == 2
    listening = _sockets_on(port, "0A")
    assert len(listening) == 2
    assert all(_socket_inodes(pid) & listening for pid in workers)
    # Sixteen kept-alive connections, each answered once: both workers hold some.
    clients = [httpx.Client(base_url=url) for _ in range(16)]
    try:
        for client in clients:
            assert client.get("/healthz").status_code == 200
        established = _sockets_on(port, "01")
        held = [len(_socket_inodes(pid) & established) for pid in workers]
        assert sum(held) == 16 and min(held) > 0, held
    finally:
        for client in clients:
            client.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError):
                continue
    return found


def test_serve_on_a_taken_port_stops_naming_it(tmp_path, clean_env, slack):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'taken.db'}",
        }
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("ailex:")]
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.stderr
