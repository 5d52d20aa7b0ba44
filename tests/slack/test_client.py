"""The bot's Slack client keeps its connection to Slack between calls (one per thread), and
fails, retries and times out as slack_sdk's own transport does."""

from __future__ import annotations

import logging
import threading

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.client import build_slack_client, classify
from tests.fakes.slack import TOKEN, FakeSlack

CHANNEL = "C_OPS"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.arrive("U_ALICE", CHANNEL, "ops")
        yield fake


def _post(client, text: str = "메모") -> str:
    return client.chat_postMessage(channel=CHANNEL, text=text)["ts"]


def test_calls_share_one_connection_per_thread(slack):
    client = build_slack_client(token=TOKEN, base_url=slack.api_url)
    for n in range(5):
        _post(client, f"메모 {n}")
    assert slack.connections_made == 1
    other = threading.Thread(target=_post, args=(client, "다른 스레드"))
    other.start()
    other.join()
    assert slack.connections_made == 2
    assert [p["text"] for p in slack.posts(CHANNEL)] == [
        *(f"메모 {n}" for n in range(5)),
        "다른 스레드",
    ]


def test_a_connection_slack_closed_while_idle_is_replaced_without_a_failed_try(slack, caplog):
    client = build_slack_client(token=TOKEN, base_url=slack.api_url)
    _post(client)
    slack.drop_connections()
    caplog.set_level(logging.INFO)
    _post(client, "다시")
    assert slack.connections_made == 2
    assert len(slack.calls("chat.postMessage")) == 2  # no request sent twice
    assert not [r for r in caplog.records if r.name.startswith("slack_sdk")]  # no retry


def test_slack_refusing_a_call_is_a_slack_api_error_as_before(slack):
    client = build_slack_client(token=TOKEN, base_url=slack.api_url)
    slack.fail_method("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as refused:
        _post(client)
    assert classify(refused.value).error == "channel_not_found"
    assert not classify(refused.value).transient
    _post(client, "그다음")  # the connection goes on
    assert slack.connections_made == 1


def test_long_rate_limit_and_server_errors_reach_the_outbox_as_before(slack):
    client = build_slack_client(token=TOKEN, base_url=slack.api_url)
    slack.rate_limit("chat.postMessage", retry_after=30)
    with pytest.raises(SlackApiError) as limited:
        _post(client)
    failure = classify(limited.value)
    assert (failure.transient, failure.error, failure.retry_after) == (True, "ratelimited", 30)
    assert limited.value.response.status_code == 429
    # A 5xx is retried once in line, then handed on.
    slack.server_error("chat.postMessage", status=502, times=2)
    with pytest.raises(SlackApiError) as down:
        _post(client)
    assert classify(down.value).error == "http_502"
    assert len(slack.calls("chat.postMessage")) == 3
    slack.server_error("chat.postMessage", status=503, times=1)
    assert _post(client, "회복")  # the in-line retry takes it
    assert slack.posts(CHANNEL)[-1]["text"] == "회복"


def test_an_answer_that_comes_too_late_is_never_read_as_the_next_ones(slack):
    client = build_slack_client(token=TOKEN, base_url=slack.api_url, timeout=1)
    slack.hang("chat.postMessage", seconds=2)
    with pytest.raises(TimeoutError) as slow:
        _post(client)
    assert classify(slow.value).transient
    ts = _post(client, "다음")  # its own answer, with the ts the late one lacks
    assert ts == slack.posts(CHANNEL)[-1]["ts"]
    assert slack.connections_made == 2


def test_through_a_proxy_slack_sdk_sends_as_it_always_did(slack, monkeypatch):
    # The fake answers a proxy's absolute-URI requests too: it stands in for the proxy.
    monkeypatch.setenv("HTTP_PROXY", slack.url)
    client = build_slack_client(token=TOKEN, base_url="http://slack.invalid/api/")
    assert client.proxy == slack.url
    _post(client)
    _post(client)
    assert slack.connections_made == 2  # urllib's connection a call
