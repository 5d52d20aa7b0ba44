"""SPEC 5: signatures, retries, Slack failing, malformed text, errors, secrets."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from sqlalchemy import text

from storage import incidents, outbox, timeline
from tests.harness import FakeClock, ack, declare, flat


@pytest.fixture
def default_store_url(store_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL: the store several replicas share
    gets the same proof as the one-file store."""
    return store_url


def _incident_count(bot) -> int:
    with bot.store.read() as session:
        return len(incidents.list_all(session))


def _events(bot, incident_id: int = 1) -> list:
    with bot.store.read() as session:
        return list(timeline.for_incident(session, incident_id=incident_id))


# -- signatures --------------------------------------------------------------------------------
def test_unsigned_request_is_rejected_and_changes_nothing(bot):
    response = bot.command("incident start P1 위조", signed=False)
    assert response.status_code == 401
    assert _incident_count(bot) == 0 and not bot.slack.requests


def test_wrongly_signed_request_is_rejected(bot):
    response = bot.command(
        "incident start P1 위조", headers={"X-Slack-Signature": "v0=" + "0" * 64}
    )
    assert response.status_code == 401
    assert _incident_count(bot) == 0


def test_stale_signature_is_rejected(bot):
    stale = int(time.time()) - 6 * 60
    response = bot.command("incident start P1 재전송", timestamp=stale)
    assert response.status_code == 401
    assert _incident_count(bot) == 0


def test_signature_over_other_body_is_rejected(bot):
    from tests.harness import sign

    headers = sign(b"command=%2Failex&text=help")
    response = bot.command("incident start P1 바꿔치기", headers=headers)
    assert response.status_code == 401
    assert _incident_count(bot) == 0


# -- retries and repeated deliveries ----------------------------------------------------------
def test_slack_retry_of_a_declaration_creates_one_incident(bot):
    ack(bot.command("incident start P1 중복", trigger_id="trig-1"))
    retry = bot.command(
        "incident start P1 중복",
        trigger_id="trig-1",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    bot.settle()
    assert _incident_count(bot) == 1
    assert len(bot.slack.calls("conversations.create")) == 1
    assert len(bot.slack.calls("chat.postMessage")) == 1


def test_concurrent_duplicate_deliveries_record_one_note(bot):
    channel = declare(bot)
    barrier = threading.Barrier(8)
    responses = []

    def send():
        barrier.wait()
        responses.append(bot.command("note 한 번만", channel=channel, trigger_id="same-trigger"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle()
    assert all(r.status_code == 200 for r in responses)
    assert [e.kind for e in _events(bot)].count("note") == 1
    notes = [m for m in bot.slack.posts(channel) if "한 번만" in (m["text"] or "")]
    assert len(notes) == 1


def test_repeated_button_click_opens_one_form(bot):
    channel = declare(bot)
    bot.click("ailex.resolve", "1", channel=channel, trigger_id="t-click")
    # A button click Slack delivers twice is one click.
    bot.click("ailex.resolve", "1", channel=channel, trigger_id="t-click")
    bot.settle()
    assert len(bot.slack.views) == 1


# -- Slack failing ------------------------------------------------------------------------------
def test_note_is_recorded_when_slack_fails_and_posted_when_it_recovers(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    bot.slack.server_error("chat.postMessage", status=500, times=2)  # the in-line retry too
    ack(bot.command("note 슬랙이 아파도 기록", channel=channel))
    bot.settle()
    assert "note" in [e.kind for e in _events(bot)]
    assert not any("슬랙이 아파도" in (m["text"] or "") for m in bot.slack.posts(channel))
    clock.advance(seconds=10)
    bot.settle()
    assert any("슬랙이 아파도" in (m["text"] or "") for m in bot.slack.posts(channel))


def test_rate_limited_message_waits_for_retry_after(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    bot.slack.rate_limit("chat.postMessage", retry_after=30, times=1)
    ack(bot.command("note 429 뒤에", channel=channel))
    bot.settle()
    with bot.store.read() as session:
        (waiting,) = outbox.pending_in(session, queue="incident:1")
        assert waiting.last_error == "ratelimited"
        assert (waiting.next_attempt_at - clock()).total_seconds() == pytest.approx(30, abs=1)
    clock.advance(seconds=31)
    bot.settle()
    assert any("429 뒤에" in (m["text"] or "") for m in bot.slack.posts(channel))


def test_slack_timeout_keeps_message_for_later(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock, slack_timeout=1)
    channel = declare(bot)
    bot.slack.hang("chat.postMessage", seconds=3, times=1)
    ack(bot.command("note 느린 슬랙", channel=channel))
    bot.settle(timeout=20)
    with bot.store.read() as session:
        assert outbox.pending_in(session, queue="incident:1")
    clock.advance(seconds=60)
    bot.settle()
    assert any("느린 슬랙" in (m["text"] or "") for m in bot.slack.posts(channel))


def test_messages_of_an_incident_keep_their_order_across_failures(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    bot.slack.server_error("chat.postMessage", status=502, times=2)
    for n in range(3):
        ack(bot.command(f"note 순서 {n}", channel=channel))
    bot.settle()
    clock.advance(seconds=10)
    bot.settle()
    # Held back behind the first, they go out in order (a burst of notes as one message).
    lines = [
        line
        for m in bot.slack.posts(channel)
        for line in (m["text"] or "").splitlines()
        if "순서" in line
    ]
    assert lines == [f"📝 <@U_ALICE>: 순서 {n}" for n in range(3)]


def test_permanently_refused_message_does_not_block_the_next(bot):
    channel = declare(bot)
    bot.slack.fail_method("chat.postMessage", "msg_too_long")
    ack(bot.command("note 거절됨", channel=channel))
    ack(bot.command("note 다음 것", channel=channel))
    bot.settle()
    assert any("다음 것" in (m["text"] or "") for m in bot.slack.posts(channel))
    with bot.store.read() as session:
        assert outbox.counts(session).get("failed") == 1


def test_channel_creation_retried_then_card_goes_into_it(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    bot.slack.server_error("conversations.create", status=503, times=2)
    ack(bot.command("incident start P1 채널 재시도"))
    bot.settle()
    assert not bot.slack.channels and not bot.slack.all_posts()
    clock.advance(seconds=10)
    bot.settle()
    (channel,) = bot.slack.channels
    assert "채널 재시도" in flat(bot.slack.posts(channel)[0]["blocks"])


def test_channel_creation_refused_for_good_falls_back_to_declaring_channel(bot):
    bot.slack.fail_method("conversations.create", "restricted_action")
    ack(bot.command("incident start P1 채널 불가", channel="C_OPS"))
    bot.settle()
    assert "채널 불가" in flat(bot.slack.posts("C_OPS")[0]["blocks"])
    assert [e.kind for e in _events(bot)] == ["declared", "channel_failed"]
    # The incident now answers in that channel.
    assert "기록" in ack(bot.command("note 여기서", channel="C_OPS"))


def test_commands_are_acknowledged_while_slack_is_down(bot):
    bot.slack.server_error("conversations.create", status=500, times=100)
    bot.slack.server_error("chat.postMessage", status=500, times=100)
    answer = ack(bot.command("incident start P1 슬랙 다운"))
    assert "#1" in answer
    assert _incident_count(bot) == 1


# -- malformed input and errors ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "blah",
        "incident",
        "incident start",
        "incident start P1",
        "incident frobnicate",
        "severity",
        "severity P9",
        "status bogus",
        "note",
        "diagnose",
        "remediate",
        "\u0000\u202e\ufeff",
        "<script>alert(1)</script>",
        "&amp;&lt;&gt;",
        "'; DROP TABLE incidents; --",
        "x" * 10000,
        "장애",
        "%s %d {0} {title}",
        "incident start P1 " + "{id}{} %s",
    ],
)
def test_any_command_text_gets_a_helpful_answer(bot, text):
    response = bot.command(text)
    assert response.status_code == 200
    body = response.text
    assert "Traceback" not in body and "Error" not in body
    assert response.json()["response_type"] == "ephemeral"


def test_store_failure_answers_with_an_error_id_not_a_trace(bot, caplog):
    channel = declare(bot)
    cascade = " CASCADE" if bot.store.engine.dialect.name == "postgresql" else ""
    with bot.store.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE timeline_events{cascade}"))
    caplog.set_level(logging.ERROR)
    answer = ack(bot.command("note 저장소가 망가짐", channel=channel))
    assert "오류 ID" in answer and "Traceback" not in answer and "timeline_events" not in answer
    assert any("error id" in r.getMessage() for r in caplog.records)


# -- secrets ------------------------------------------------------------------------------------
def test_secrets_never_reach_slack_the_timeline_or_logs(make_bot, caplog):
    secrets = {
        "VERCEL_TOKEN": "vercel-secret-token-123456",
        "OPENAI_API_KEY": "sk-proj-supersecretkey000000",
        "SUPABASE_ANON_KEY": "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlc2VjcmV0",
        "GITHUB_TOKEN": "ghp_secretgithubtoken0000",
        "AILEX_AUTH_CHECK_PASSWORD": "check-password-secret",
        "SUPABASE_DB_URL": "postgresql://app:db-password-secret@127.0.0.1:9/postgres",
    }
    caplog.set_level(logging.DEBUG)
    bot = make_bot(**secrets)
    channel = declare(bot)
    ack(bot.command("note 점검", channel=channel))
    ack(bot.command("resolve 원인", channel=channel))
    bot.settle()
    sent = "".join(r.body.decode("utf-8", "replace") for r in bot.slack.requests)
    with bot.store.read() as session:
        stored = json.dumps(
            [(e.text, e.data) for e in timeline.for_incident(session, incident_id=1)],
            ensure_ascii=False,
        )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in [
        *secrets.values(),
        "db-password-secret",
        bot.settings.slack_bot_token.get_secret_value(),
    ]:
        if value == bot.settings.slack_bot_token.get_secret_value():
            # The bot token is sent as a header, never inside a body.
            assert value not in sent
            continue
        assert value not in sent and value not in stored and value not in logged


def test_a_console_sharing_the_store_never_takes_the_real_slacks_messages(make_bot):
    from tests.fakes.slack import FakeSlack

    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    bot.slack.server_error("chat.postMessage", status=500, times=2)
    ack(bot.command("note 진짜 Slack으로", channel=channel))
    bot.settle()
    with FakeSlack() as other:
        from bot.app import create_app
        from bot.slack.client import build_slack_client

        console = create_app(
            settings=bot.settings,
            client=build_slack_client(token=other.token, base_url=f"{other.url}/api/"),
            store=bot.store,
            clock=clock,
            outbox_target="console",
        )
        try:
            clock.advance(minutes=5)
            console.core.sender.flush()
            assert not other.requests
        finally:
            console.close()
    bot.settle()
    assert any("진짜 Slack으로" in (m["text"] or "") for m in bot.slack.posts(channel))


def test_every_outbox_operation_has_one_name_and_its_code():
    """What a flow may enqueue is an `Operation`; each one has its Slack code, once (the
    incident flows' in bot/slack/operations.py, the alerts' in bot/alerts/slack.py, the
    statistics' in bot/evidence/slack.py)."""
    from bot.alerts.slack import AlertOperations
    from bot.clock.followups import FollowUps
    from bot.clock.reminders import Reminders
    from bot.evidence.slack import Evidence
    from bot.settings import Settings
    from bot.slack.operations import SlackOperations
    from bot.slack.outbox import Operation

    class Registry:
        def __init__(self) -> None:
            self.ops: list[object] = []

        def register(self, op: object, call: object, merge: object = None) -> None:
            assert callable(call) and (merge is None or callable(merge))
            self.ops.append(op)

    registry = Registry()
    SlackOperations(store=None, renderer=None, clock=None, approvers=[]).register(registry)  # type: ignore[arg-type]
    AlertOperations(store=None, renderer=None, alerts=None, alert_channel=None, oncall=[]).register(  # type: ignore[arg-type]
        registry
    )
    Evidence(store=None, sender=None, clock=None, t=None, zone=None).register(registry)  # type: ignore[arg-type]
    # The runbook's clock (bot/clock/): a reminder, a follow-up's direct message.
    settings = Settings()
    for clock_ops in (Reminders, FollowUps):
        clock_ops(store=None, sender=None, settings=settings, clock=None).register(registry)  # type: ignore[arg-type]
    assert len(registry.ops) == len(set(registry.ops))
    assert all(isinstance(op, Operation) for op in registry.ops)
    assert sorted(registry.ops) == sorted(Operation)
