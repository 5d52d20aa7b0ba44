"""`ailex serve` in Socket Mode as a user runs it: a real process, SLACK_APP_TOKEN set, no
signing secret, talking to a fake Web API and a fake Socket Mode WebSocket server, and
listening on `--port` for /healthz and the alert webhooks (SPEC 6)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage import Store, incidents
from tests.fakes import alert_senders as send
from tests.fakes.slack import TOKEN, FakeSlack
from tests.fakes.socket_mode import APP_TOKEN, FakeSocketMode

# How long the process may take to start, migrate and connect (generous: CI may be loaded).
CONNECT_TIMEOUT_S = 60
ACK_TIMEOUT_S = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_args(port: int) -> list[str]:
    return [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    slack: FakeSlack
    socket_mode: FakeSocketMode
    store_url: str
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _command(
    slack: FakeSlack, text: str, *, trigger: str, channel: str = "C_OPS"
) -> dict[str, Any]:
    """A slash command payload as Socket Mode carries it (the same fields as the HTTP form);
    Alice is in the channel it comes from, and Slack gave out its trigger."""
    slack.arrive("U_ALICE", channel, "ops")
    slack.new_trigger("U_ALICE", trigger_id=trigger)
    return {
        "token": "legacy",
        "team_id": "T1",
        "team_domain": "ailex",
        "channel_id": channel,
        "channel_name": "ops",
        "user_id": "U_ALICE",
        "user_name": "alice",
        "command": "/ailex",
        "text": text,
        "api_app_id": "A0AILEX",
        "is_enterprise_install": "false",
        "response_url": slack.response_url(trigger),
        "trigger_id": trigger,
    }


@pytest.fixture
def served(tmp_path: Path, clean_env: dict[str, str]) -> Iterator[Served]:
    with FakeSlack() as slack, FakeSocketMode() as socket_mode:
        slack.socket_mode(socket_mode)
        store_url = f"sqlite:///{tmp_path / 'socket.db'}"
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": store_url,
            "AILEX_UPTIMEROBOT_SECRET": send.UPTIMEROBOT_SECRET,
            "AILEX_SITE_URL": "http://127.0.0.1:9",
            "AILEX_PROBE_TIMEOUT": "1",
        }
        log = tmp_path / "serve.log"
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                _serve_args(port),
                env=env,
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        served = Served(process, slack, socket_mode, store_url, log, port)
        try:
            try:
                socket_mode.wait_connected(timeout=CONNECT_TIMEOUT_S)
            except AssertionError:
                raise AssertionError(
                    f"no Socket Mode connection (exit {process.poll()}):\n{served.output()}"
                ) from None
            yield served
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=15)


def _serve_once(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `ailex serve` to its end (it is expected to stop on its own)."""
    return subprocess.run(
        _serve_args(_free_port()),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _serve_on(port: int, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _serve_args(port),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _recorded(store_url: str) -> list[Any]:
    store = Store(store_url)
    try:
        with store.read() as session:
            return list(incidents.list_all(session))
    finally:
        store.dispose()


def test_socket_mode_connects_with_the_app_token_and_no_signing_secret(served: Served) -> None:
    (opened, *_) = served.slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
    link = served.socket_mode.wait_connected()
    # The connection used the one-time URL that apps.connections.open handed out.
    assert link.ticket and not served.socket_mode.refused
    assert served.process.poll() is None


def test_socket_mode_listens_on_the_port_for_healthz_and_nothing_of_slack(
    served: Served,
) -> None:
    """SPEC 6: in Socket Mode `--port` still serves /healthz (and the alert webhooks). Slack's
    own path is not served there: the Socket Mode app checks no signature, so an HTTP request
    to it would be an unsigned command."""
    health = httpx.get(f"{served.url}/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"ok": True}
    assert httpx.head(f"{served.url}/healthz", timeout=10).status_code == 200

    # Several at once: the server takes requests on threads, the bot shared between them.
    with httpx.Client(timeout=10) as client:
        answers = [client.get(f"{served.url}/healthz") for _ in range(5)]
    assert {a.status_code for a in answers} == {200}

    form = {
        "command": "/ailex",
        "text": "incident start P1 서명 없는 요청",
        "user_id": "U_ALICE",
        "channel_id": "C_OPS",
        "trigger_id": "sm-unsigned",
    }
    unsigned = httpx.post(f"{served.url}/slack/events", data=form, timeout=10)
    assert unsigned.status_code == 404
    assert httpx.get(f"{served.url}/?secret=hunter2-query", timeout=10).status_code == 404
    assert _recorded(served.store_url) == []
    assert not served.slack.calls("conversations.create")
    # The query string (UptimeRobot's secret travels there) is never logged.
    assert "hunter2-query" not in served.output()
    assert served.process.poll() is None

    # SIGTERM stops the listener with the rest.
    os.killpg(served.process.pid, signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0, served.output()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.url}/healthz", timeout=5)


def test_socket_mode_takes_alert_webhooks_on_the_port(served: Served) -> None:
    """SPEC 6: in Socket Mode a webhook still opens an incident, card and all; the secret in
    its query string is never logged."""
    delivery = send.uptimerobot(alert_type="1", name="ailex.app")
    answer = httpx.post(
        f"{served.url}{delivery.url_path}", content=delivery.body, headers=delivery.headers
    )
    assert answer.status_code == 202, answer.text
    wrong = send.uptimerobot(alert_type="1", secret="not-the-secret", at=send.DEFAULT_AT)
    assert httpx.post(f"{served.url}{wrong.url_path}", content=wrong.body).status_code == 401
    slack = served.slack
    slack.wait_for(lambda: slack.channels)
    (channel,) = slack.channels
    slack.wait_for(lambda: slack.posts(channel), timeout=15)
    assert "UptimeRobot: ailex.app 다운" in slack.posts(channel)[0]["text"]
    assert send.UPTIMEROBOT_SECRET not in served.output()


def test_socket_mode_on_a_taken_port_stops_naming_it(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    with (
        FakeSlack() as slack,
        FakeSocketMode() as socket_mode,
        socket.socket() as taken,
    ):
        slack.socket_mode(socket_mode)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        }
        result = _serve_on(port, env, tmp_path)
        assert result.returncode == 1, result.stderr
        lines = [line for line in result.stderr.strip().splitlines() if line.startswith("ailex:")]
        assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
        assert "Traceback" not in result.stderr
        # Stopped before Slack was called: no connection opened for a bot that cannot serve.
        assert not slack.calls("apps.connections.open") and not socket_mode.links


def test_socket_mode_commands_are_acknowledged_recorded_and_carried_out(served: Served) -> None:
    slack, socket_mode = served.slack, served.socket_mode

    # help: the usage comes back in the envelope's acknowledgement, ephemeral.
    helped = socket_mode.slash_command(_command(slack, "help", trigger="sm-help"))
    ack = socket_mode.wait_ack(helped, timeout=ACK_TIMEOUT_S)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "AILEX" in ack["payload"]["text"]
    assert "/ailex incident start" in json.dumps(ack["payload"]["blocks"], ensure_ascii=False)

    # incident start: acknowledged, recorded, its channel opened and its card posted there.
    command = _command(slack, "incident start P1 소켓 모드 시험", trigger="sm-start")
    started = socket_mode.slash_command(command)
    ack = socket_mode.wait_ack(started, timeout=ACK_TIMEOUT_S)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "#1" in ack["payload"]["text"] and "소켓 모드 시험" in ack["payload"]["text"]

    (incident,) = slack.wait_for(lambda: _recorded(served.store_url), timeout=ACK_TIMEOUT_S)
    assert (incident.title, incident.severity) == ("소켓 모드 시험", "P1")
    channel = slack.wait_for(lambda: next(iter(slack.channels), None), timeout=ACK_TIMEOUT_S)
    assert slack.channels[channel]["name"].startswith("inc-")
    slack.wait_for(lambda: "U_ALICE" in slack.members[channel], timeout=ACK_TIMEOUT_S)
    card = slack.wait_for(
        lambda: [
            m
            for m in slack.posts(channel)
            if "소켓 모드 시험" in json.dumps(m["blocks"], ensure_ascii=False)
        ],
        timeout=ACK_TIMEOUT_S,
    )
    assert card
    slack.wait_for(
        lambda: _recorded(served.store_url)[0].channel_id == channel, timeout=ACK_TIMEOUT_S
    )
    # ...and announced where it was typed, through the command's response_url.
    announced = slack.wait_for(
        lambda: [r for r in slack.responses if r["id"] == "sm-start"], timeout=ACK_TIMEOUT_S
    )
    assert announced[0]["response_type"] == "in_channel" and channel in announced[0]["text"]

    # The same command delivered again (a new envelope, the same trigger_id): answered, not
    # carried out a second time.
    again = socket_mode.slash_command(command)
    assert again != started
    ack = socket_mode.wait_ack(again, timeout=ACK_TIMEOUT_S)
    assert ack["payload"]["response_type"] == "ephemeral"
    assert ack["payload"]["text"] == "이미 처리한 요청입니다."
    assert len(_recorded(served.store_url)) == 1
    assert len(slack.calls("conversations.create")) == 1
    assert list(slack.channels) == [channel]

    # A button on the card arrives as an `interactive` envelope: acknowledged, then the resolve
    # form opens on the trigger it carried.
    slack.new_trigger("U_ALICE", trigger_id="sm-resolve")
    pressed = socket_mode.interactive(
        {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "ailex"},
            "user": {"id": "U_ALICE", "username": "alice", "team_id": "T1"},
            "api_app_id": "A0AILEX",
            "token": "legacy",
            "container": {"type": "message", "message_ts": card[0]["ts"], "channel_id": channel},
            "trigger_id": "sm-resolve",
            "channel": {"id": channel, "name": slack.channels[channel]["name"]},
            "message": {"ts": card[0]["ts"], "type": "message", "text": "", "blocks": []},
            "response_url": slack.response_url("sm-resolve"),
            "actions": [
                {
                    "action_id": "ailex.resolve",
                    "block_id": "b1",
                    "type": "button",
                    "value": str(incident.id),
                    "action_ts": "1.0",
                }
            ],
        }
    )
    assert "payload" not in socket_mode.wait_ack(pressed, timeout=ACK_TIMEOUT_S)
    view = slack.wait_for(
        lambda: next((v for v in slack.views if v.get("trigger_id") == "sm-resolve"), None),
        timeout=ACK_TIMEOUT_S,
    )
    assert view["view"]["callback_id"] == "ailex.resolve_modal"

    # Every envelope was acknowledged exactly once.
    for envelope_id in (helped, started, again, pressed):
        assert len(socket_mode.acks(envelope_id)) == 1
    assert served.process.poll() is None


def test_socket_mode_sends_later_what_slack_refused_at_first(served: Served) -> None:
    """Socket Mode runs the outbox loop in the same process: a message Slack rate-limited past
    the inline retry is sent when Retry-After has passed, with no new command to kick it."""
    slack, socket_mode = served.slack, served.socket_mode
    slack.rate_limit("conversations.create", retry_after=4)
    started = socket_mode.slash_command(
        _command(slack, "incident start P2 재시도 시험", trigger="sm-retry")
    )
    assert socket_mode.wait_ack(started, timeout=ACK_TIMEOUT_S)["payload"]["text"]
    channel = slack.wait_for(lambda: next(iter(slack.channels), None), timeout=30)
    assert len(slack.calls("conversations.create")) == 2
    slack.wait_for(lambda: slack.posts(channel), timeout=ACK_TIMEOUT_S)


@pytest.mark.parametrize("how", ["disconnect", "drop"])
def test_socket_mode_moves_to_a_new_connection(served: Served, how: str) -> None:
    """Slack refreshes connections: it sends `disconnect` (refresh_requested) or just closes.
    The bot asks apps.connections.open for a new URL, connects, and goes on answering."""
    slack, socket_mode = served.slack, served.socket_mode
    first = socket_mode.wait_connected()
    if how == "disconnect":
        socket_mode.disconnect(first)
    else:
        socket_mode.drop(first)
    second = socket_mode.wait_connected(timeout=CONNECT_TIMEOUT_S, after=first)
    socket_mode.wait_closed(first)
    assert second.ticket != first.ticket and not socket_mode.refused
    opened = slack.calls("apps.connections.open")
    assert len(opened) == 2
    assert {r.headers["authorization"] for r in opened} == {f"Bearer {APP_TOKEN}"}

    helped = socket_mode.slash_command(_command(slack, "help", trigger="sm-help-2"), link=second)
    ack = socket_mode.wait_ack(helped, timeout=ACK_TIMEOUT_S)
    assert "AILEX" in ack["payload"]["text"]
    assert [link for link, m in socket_mode.messages if m.get("envelope_id") == helped] == [second]


def test_socket_mode_without_a_bot_token_stops_naming_it(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    with FakeSlack() as slack, FakeSocketMode() as socket_mode:
        slack.socket_mode(socket_mode)
        env = {
            **clean_env,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        }
        result = _serve_once(env, tmp_path)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0], result.stderr
        assert result.stdout == ""
        assert not slack.requests and not socket_mode.links


def test_socket_mode_with_a_rejected_app_token_stops_naming_it(
    tmp_path: Path, clean_env: dict[str, str]
) -> None:
    with FakeSlack() as slack, FakeSocketMode() as socket_mode:
        slack.socket_mode(socket_mode)
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": "xapp-1-revoked-or-mistyped",
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        }
        result = _serve_once(env, tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("ailex:")]
    assert len(lines) == 1 and "SLACK_APP_TOKEN" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "xapp-1-revoked" not in result.stderr


def test_socket_mode_stops_cleanly_on_sigterm(served: Served) -> None:
    os.killpg(served.process.pid, signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0, served.output()
    assert "Traceback" not in served.output()


def test_socket_mode_input_is_cleaned_and_malformed_envelopes_are_acknowledged(
    served: Served,
) -> None:
    """Issue 7, items 15, 16, 19, 20 over Socket Mode: the same edge as over HTTP."""
    slack, socket_mode = served.slack, served.socket_mode
    started = socket_mode.slash_command(
        _command(slack, "incident start P1 결제\x00 <!channel> payload 장애", trigger="sm-nul")
    )
    ack = socket_mode.wait_ack(started, timeout=ACK_TIMEOUT_S)
    assert "<!channel>" not in json.dumps(ack["payload"])
    (incident,) = slack.wait_for(lambda: _recorded(served.store_url), timeout=ACK_TIMEOUT_S)
    assert incident.title == "결제\ufffd <!channel> payload 장애"
    channel = slack.wait_for(lambda: next(iter(slack.channels), None), timeout=ACK_TIMEOUT_S)
    card = slack.wait_for(lambda: slack.posts(channel), timeout=ACK_TIMEOUT_S)[0]
    assert "<!channel>" not in card["text"] and "&lt;!channel&gt;" in card["text"]

    # A payload no Slack sends (no actions) is acknowledged once, and nothing is done.
    broken = socket_mode.interactive(
        {"type": "block_actions", "user": {"id": "U_ALICE"}, "actions": []}
    )
    try:
        socket_mode.wait_ack(broken, timeout=ACK_TIMEOUT_S)
    except AssertionError:
        raise AssertionError(served.output()) from None
    assert len(socket_mode.acks(broken)) == 1
    assert "refused a malformed Slack request: the payload has no actions" in served.output()
    assert "Traceback" not in served.output()
    assert served.process.poll() is None
