"""A burst of notes goes out as one Slack message (Slack takes about one message a second in a
channel): only consecutive notes merge, within Slack's limits, and the outbox records every
note as sent, retried or refused together, none lost and none twice."""

from __future__ import annotations

import pytest

from bot.slack.outbox import Operation
from storage import outbox
from storage.models import OutboxMessage
from tests.harness import FakeClock, ack, declare


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _held_burst(bot, channel: str, notes: list[tuple[str, str]]) -> None:
    """Slack throttles the channel (429, Retry-After 30 s) as the first note goes out; the
    others are recorded behind it meanwhile, as in a busy channel."""
    bot.slack.rate_limit("chat.postMessage", retry_after=30, times=1)
    for user, text in notes:
        ack(bot.command(f"note {text}", user=user, channel=channel))
    bot.settle()


def _notes_rows(bot) -> list[OutboxMessage]:
    with bot.store.read() as session:
        rows = session.query(OutboxMessage).order_by(OutboxMessage.id).all()
    return [r for r in rows if r.op == Operation.MESSAGE_POST and r.payload["key"] == "notice.note"]


BURST = [
    ("U_ALICE", "DB 커넥션 급증"),
    ("U_BOB", "배포 롤백 준비 <중>"),
    ("U_CAROL", "고객 문의 3건 & 증가"),
    ("U_ALICE", "롤백 시작"),
]


def test_a_burst_of_notes_arrives_as_one_message_in_order(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    before = len(bot.slack.posts(channel))
    _held_burst(bot, channel, BURST)
    assert len(bot.slack.posts(channel)) == before  # throttled: nothing yet
    clock.advance(seconds=31)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    lines = [
        "📝 <@U_ALICE>: DB 커넥션 급증",
        "📝 <@U_BOB>: 배포 롤백 준비 &lt;중&gt;",
        "📝 <@U_CAROL>: 고객 문의 3건 &amp; 증가",
        "📝 <@U_ALICE>: 롤백 시작",
    ]
    assert len(posts) == 1
    # Each note as it shows alone, one after another.
    assert posts[0]["text"] == "\n".join(lines)
    assert posts[0]["blocks"] == [_section(line) for line in lines]
    rows = _notes_rows(bot)
    assert [r.status for r in rows] == ["sent"] * 4
    assert len({(r.result or {}).get("ts") for r in rows}) == 1  # the one message's answer, each


def test_a_single_note_looks_as_it_always_did(bot):
    channel = declare(bot)
    ack(bot.command("note 재시작 <시도> & 확인", user="U_BOB", channel=channel))
    bot.settle()
    posted = bot.slack.posts(channel)[-1]
    assert posted["text"] == "📝 <@U_BOB>: 재시작 &lt;시도&gt; &amp; 확인"
    assert posted["blocks"] == [_section("📝 <@U_BOB>: 재시작 &lt;시도&gt; &amp; 확인")]


def test_only_consecutive_notes_merge(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    before = len(bot.slack.posts(channel))
    bot.slack.rate_limit("chat.postMessage", retry_after=30, times=1)
    ack(bot.command("note 첫 메모", channel=channel))
    ack(bot.command("status identified", channel=channel))
    ack(bot.command("note 둘째 메모", user="U_BOB", channel=channel))
    bot.settle()
    clock.advance(seconds=31)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    assert [p["text"] for p in posts] == [
        "📝 <@U_ALICE>: 첫 메모",
        "🔄 <@U_ALICE> 님이 상태를 *원인 파악*(으)로 바꿨습니다.",
        "📝 <@U_BOB>: 둘째 메모",
    ]
    assert posts[0]["blocks"] == [_section("📝 <@U_ALICE>: 첫 메모")]
    assert posts[2]["blocks"] == [_section("📝 <@U_BOB>: 둘째 메모")]


def test_long_notes_split_into_messages_within_slacks_limits(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    before = len(bot.slack.posts(channel))
    long_notes = [("U_ALICE", f"{n}번 " + "가나다라 " * 300) for n in range(6)]
    # 1,000 ampersands are 5,000 characters drawn (&amp;): two sections, a message of its own.
    escaped = ("U_BOB", "&" * 1000)
    _held_burst(bot, channel, [*long_notes[:3], escaped, *long_notes[3:]])
    clock.advance(seconds=31)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    for post in posts:
        assert len(post["blocks"]) <= 50
        assert all(len(b["text"]["text"]) <= 3000 for b in post["blocks"])
    # Two of those notes (about 1,500 characters each) fill a message; the long one is alone,
    # in its sections, exactly as before.
    per_post = [p["text"].count("📝") for p in posts]
    assert per_post == [2, 1, 1, 2, 1]
    assert posts[2]["text"] == "📝 <@U_BOB>: " + "&amp;" * 1000
    assert len(posts[2]["blocks"]) == 2
    assert all(len(p["text"]) <= 4000 for i, p in enumerate(posts) if i != 2)
    # Every note, whole and in order, across the messages.
    shown = "".join(b["text"]["text"] for p in posts for b in p["blocks"])
    expected = "".join(
        f"📝 <@{user}>: {text.strip().replace('&', '&amp;')}"
        for user, text in [*long_notes[:3], escaped, *long_notes[3:]]
    )
    assert shown.replace("\n", "") == expected.replace("\n", "")


def test_a_throttled_burst_is_retried_together_and_nothing_is_lost_or_doubled(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    before = len(bot.slack.posts(channel))
    _held_burst(bot, channel, BURST[:2])
    # Slack is down when the merged message goes: the burst waits again, as one.
    bot.slack.server_error("chat.postMessage", status=503, times=2)  # the in-line retry too
    ack(bot.command("note 셋째", user="U_CAROL", channel=channel))
    bot.settle()
    clock.advance(seconds=31)
    bot.settle()
    rows = _notes_rows(bot)
    assert [r.status for r in rows] == ["pending"] * 3
    assert {r.last_error for r in rows} == {"http_503"}
    assert len({r.next_attempt_at for r in rows}) == 1  # due again together
    assert len(bot.slack.posts(channel)) == before
    clock.advance(minutes=5)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    assert [p["text"] for p in posts] == [
        "📝 <@U_ALICE>: DB 커넥션 급증\n📝 <@U_BOB>: 배포 롤백 준비 &lt;중&gt;\n📝 <@U_CAROL>: 셋째"
    ]
    rows = _notes_rows(bot)
    assert [r.status for r in rows] == ["sent"] * 3
    with bot.store.read() as session:
        assert not outbox.pending_in(session, queue="incident:1")
        assert outbox.counts(session).get("failed", 0) == 0


def test_a_merged_message_slack_refuses_goes_note_by_note(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    before = len(bot.slack.posts(channel))
    _held_burst(bot, channel, BURST[:3])
    bot.slack.fail_method("chat.postMessage", "msg_blocks_too_long")
    clock.advance(seconds=31)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    assert [p["text"] for p in posts] == [
        "📝 <@U_ALICE>: DB 커넥션 급증",
        "📝 <@U_BOB>: 배포 롤백 준비 &lt;중&gt;",
        "📝 <@U_CAROL>: 고객 문의 3건 &amp; 증가",
    ]
    assert [r.status for r in _notes_rows(bot)] == ["sent"] * 3


def test_a_burst_in_english(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock, AILEX_LOCALE="en")
    channel = declare(bot, "incident start P1 payments down")
    before = len(bot.slack.posts(channel))
    bot.slack.rate_limit("chat.postMessage", retry_after=30, times=1)
    ack(bot.command("note checking the pool", channel=channel))
    ack(bot.command("note rollback <ready>", user="U_BOB", channel=channel))
    ack(bot.command("status identified", channel=channel))
    bot.settle()
    clock.advance(seconds=31)
    bot.settle()
    posts = bot.slack.posts(channel)[before:]
    assert [p["text"] for p in posts] == [
        "📝 <@U_ALICE>: checking the pool\n📝 <@U_BOB>: rollback &lt;ready&gt;",
        "🔄 <@U_ALICE> set the status to *Identified*.",
    ]


@pytest.mark.parametrize("count", [51, 120])
def test_a_merged_message_never_has_more_than_50_blocks(count):
    from zoneinfo import ZoneInfo

    from bot.incidents.blocks import Renderer
    from bot.messages import Catalogue
    from bot.slack.operations import SlackOperations

    clock = FakeClock()
    renderer = Renderer(t=Catalogue("ko"), zone=ZoneInfo("Asia/Seoul"), clock=clock)
    operations = SlackOperations(store=None, renderer=renderer, clock=clock, approvers=[])  # type: ignore[arg-type]
    payloads = [
        {"incident_id": 1, "key": "notice.note", "params": {"user": "U1", "text": str(n)}}
        for n in range(count)
    ]
    merged = operations.merge_messages(payloads)
    assert sum(n for _, n in merged) == count
    assert all(len(p["blocks"]) <= 50 for p, _ in merged)
    assert merged[0][1] == 50
    lines = [line for p, _ in merged for line in p["text"].splitlines()]
    assert lines == [f"📝 <@U1>: {n}" for n in range(count)]
