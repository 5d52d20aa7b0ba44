"""Declare, note, severity, status, resolve, report: the whole journey over signed HTTP."""

from __future__ import annotations

import re

import pytest

from storage import incidents, timeline
from tests.harness import FakeClock, ack, card_blocks, declare, flat


@pytest.fixture
def default_store_url(store_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL: the store several replicas share
    gets the same proof as the one-file store."""
    return store_url


def test_incident_start_creates_channel_invites_declarer_and_posts_card(bot):
    answer = ack(bot.command("incident start P1 결제 API 다운", user="U_ALICE"))
    assert "#1" in answer and "P1" in answer
    bot.settle()

    (channel,) = bot.slack.channels.values()
    assert re.fullmatch(r"inc-\d{8}-결제-api-다운", channel["name"])
    assert "U_ALICE" in bot.slack.members[channel["id"]]

    card = flat(card_blocks(bot, channel["id"]))
    for expected in ("P1", "결제 API 다운", "조사 중", "<@U_ALICE>", "장애 인지", "0~5분"):
        assert expected in card
    assert "<!date^" in card and "{ago}" in card  # time since start, live in Slack
    assert bot.slack.pins == [(channel["id"], bot.slack.posts(channel["id"])[0]["ts"])]
    # The channel where it was declared hears where the incident lives.
    announcement = bot.slack.responses[-1]
    assert announcement["response_type"] == "in_channel"
    assert f"<#{channel['id']}>" in announcement["text"]

    with bot.store.read() as session:
        (incident,) = incidents.list_all(session)
        assert (incident.severity, incident.status, incident.commander_id) == (
            "P1",
            "investigating",
            "U_ALICE",
        )
        assert incident.channel_id == channel["id"]
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=incident.id)]
    assert kinds == ["declared", "channel_created"]


def test_channel_name_uses_kst_date(make_bot):
    # 23:30 UTC on the 25th is already the 26th in Seoul.
    from datetime import UTC, datetime

    bot = make_bot(clock=FakeClock(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)))
    channel = declare(bot, "incident start P2 Login broken")
    assert bot.slack.channels[channel]["name"] == "inc-20261126-login-broken"


def test_korean_only_title_gives_a_channel_name_a_korean_reader_can_read(bot):
    channel = declare(bot, "incident start 서버 다운!")
    name = bot.slack.channels[channel]["name"]
    assert re.fullmatch(r"inc-\d{8}-서버-다운", name)


def test_channel_name_is_the_titles_first_words_within_80_characters(bot):
    title = "결제 API 다운, 카드 승인 실패. 고객 문의 폭주 (토스 PG)"
    channel = declare(bot, f"incident start P1 {title}")
    name = bot.slack.channels[channel]["name"]
    assert re.fullmatch(r"inc-\d{8}-결제-api-다운-카드", name)
    long_word = "가" * 120
    other = declare(bot, f"incident start P1 {long_word}", channel="C_OTHER")
    name = bot.slack.channels[other]["name"]
    assert len(name) == 80 and re.fullmatch(r"inc-\d{8}-가+", name)


def test_a_workspace_refusing_korean_names_gets_the_romanised_name(bot):
    bot.slack.fail_method("conversations.create", "invalid_name_specials")
    channel = declare(bot, "incident start P1 결제 API 다운")
    names = [r.arg("name") for r in bot.slack.calls("conversations.create")]
    assert [re.sub(r"\d{8}", "D", n) for n in names] == [
        "inc-D-결제-api-다운",
        "inc-D-gyeolje-api-daun",
    ]
    assert bot.slack.channels[channel]["name"] == names[1]


def test_a_create_answered_after_the_timeout_leaves_one_channel(make_bot):
    # Slack makes the channel at once but answers after the bot stopped waiting (1 s).
    bot = make_bot(slack_timeout=1)
    bot.slack.answer_late("conversations.create", seconds=2.5)
    for number in range(1, 4):  # more channels than one page of conversations.list
        bot.slack.add_channel(f"general-{number}", channel_id=f"CPRE{number}")
    ack(bot.command("incident start P1 결제 API 다운"))
    bot.settle(timeout=20)
    made = [c for c in bot.slack.channels.values() if c["name"].startswith("inc-")]
    assert [re.sub(r"\d{8}", "D", c["name"]) for c in made] == ["inc-D-결제-api-다운"]
    with bot.store.read() as session:
        (incident,) = incidents.list_all(session)
        assert incident.channel_id == made[0]["id"]
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=incident.id)]
    assert kinds.count("channel_created") == 1 and "channel_failed" not in kinds
    assert "U_ALICE" in bot.slack.members[made[0]["id"]]
    assert bot.slack.posts(made[0]["id"]), "the card goes into the one channel"


def test_emoji_only_title_falls_back_to_incident_number(bot):
    channel = declare(bot, "incident start 🔥🔥")
    assert bot.slack.channels[channel]["name"].endswith("-incident-1")


def test_channel_name_collision_takes_next_free_name(bot):
    first = declare(bot, "incident start P2 API 느림")
    # A different title whose first words give the same name.
    second = declare(bot, "incident start P3 API 느림!", channel="C_OTHER")
    names = {bot.slack.channels[c]["name"] for c in (first, second)}
    base = bot.slack.channels[first]["name"]
    assert names == {base, f"{base}-2"}


def test_long_title_is_cut_to_slacks_80_characters(bot):
    channel = declare(bot, "incident start P2 " + "supercalifragilistic " * 9)
    name = bot.slack.channels[channel]["name"]
    # Cut between words: three whole words fit after inc-YYYYMMDD-.
    assert re.fullmatch(r"inc-\d{8}(-supercalifragilistic){3}", name)


def test_a_title_over_the_limit_is_refused_with_the_limit(bot):
    answer = ack(bot.command("incident start P2 " + "가" * 201))
    assert "200" in answer and "201" in answer
    assert not bot.slack.calls("conversations.create")


def test_default_severity_is_p2(bot):
    answer = ack(bot.command("incident start 대시보드 오류"))
    assert "P2" in answer
    with bot.store.read() as session:
        assert incidents.list_all(session)[0].severity == "P2"


def test_incident_lives_in_declaring_channel_without_incident_channels(make_bot):
    bot = make_bot(AILEX_INCIDENT_CHANNELS="false")
    ack(bot.command("incident start P1 전체 다운", channel="C_OPS"))
    bot.settle()
    assert not bot.slack.calls("conversations.create")
    card = flat(card_blocks(bot, "C_OPS"))
    assert "전체 다운" in card
    # A second open incident cannot share the channel.
    answer = ack(bot.command("incident start P2 또 다른 장애", channel="C_OPS"))
    assert "#1" in answer and "이미" in answer
    with bot.store.read() as session:
        assert len(incidents.list_all(session)) == 1


def test_note_is_recorded_with_its_author_and_shown_in_channel(bot):
    channel = declare(bot)
    answer = ack(bot.command("note 재시작 <시도> & 확인", user="U_BOB", channel=channel))
    assert "기록" in answer
    bot.settle()
    with bot.store.read() as session:
        events = timeline.for_incident(session, incident_id=1)
    note = events[-1]
    assert (note.kind, note.actor, note.text) == ("note", "U_BOB", "재시작 <시도> & 확인")
    posted = bot.slack.posts(channel)[-1]["text"]
    assert "<@U_BOB>" in posted and "&lt;시도&gt; &amp; 확인" in posted


def test_severity_change_is_recorded_and_card_redrawn(bot):
    channel = declare(bot)
    ack(bot.command("severity p3", user="U_BOB", channel=channel))
    bot.settle()
    card = bot.slack.posts(channel)[0]
    assert card.get("updates", 0) >= 1
    assert "P3" in flat(card["blocks"]) and "성능 저하" in flat(card["blocks"])
    with bot.store.read() as session:
        event = timeline.for_incident(session, incident_id=1)[-1]
    assert (event.kind, event.actor, event.data) == (
        "severity_changed",
        "U_BOB",
        {"from": "P1", "to": "P3"},
    )
    # Setting the same severity again is refused plainly.
    assert "이미" in ack(bot.command("severity P3", channel=channel))


def test_status_change_is_recorded_and_moves_card_phase(bot):
    channel = declare(bot)
    ack(bot.command("status identified", channel=channel))
    bot.settle()
    card = flat(bot.slack.posts(channel)[0]["blocks"])
    assert "원인 파악" in card and "초기 대응" in card
    ack(bot.command("상태 모니터링", channel=channel))
    bot.settle()
    assert "복구 확인" in flat(bot.slack.posts(channel)[0]["blocks"])


def test_status_shows_the_card_of_this_channels_incident(bot):
    channel = declare(bot)
    answer = ack(bot.command("status", channel=channel))
    assert "결제 API 다운" in answer and "조사 중" in answer


def test_incident_list_shows_open_incidents(bot):
    declare(bot, "incident start P1 하나")
    declare(bot, "incident start P3 둘", channel="C_TWO")
    answer = ack(bot.command("incident list"))
    assert "하나" in answer and "둘" in answer and "2" in answer


@pytest.mark.parametrize(
    "text", ["note 메모", "severity P1", "status", "resolve 원인", "report", "status monitoring"]
)
def test_incident_commands_outside_an_incident_channel_get_a_clear_error(bot, text):
    answer = ack(bot.command(text, channel="C_RANDOM"))
    assert "이 채널에는 장애가 없습니다" in answer
    with bot.store.read() as session:
        assert incidents.list_all(session) == []


def test_resolve_with_cause_posts_report_message_and_markdown_file(bot):
    channel = declare(bot)
    ack(bot.command("note DB 커넥션 확인", channel=channel))
    answer = ack(bot.command("resolve DB 커넥션 풀 고갈", channel=channel))
    assert "해결" in answer
    bot.settle()

    with bot.store.read() as session:
        incident = incidents.get(session, incident_id=1)
        assert incident.status == "resolved" and incident.resolved_at is not None
        assert incident.cause == "DB 커넥션 풀 고갈"
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=1)]
    assert kinds[-3:] == ["status_changed", "resolved", "report_posted"]

    report_message = next(m for m in bot.slack.posts(channel) if "보고서" in m["text"])
    assert "DB 커넥션 풀 고갈" in flat(report_message["blocks"])
    (upload,) = bot.slack.shared_files()
    assert upload["channel"] == channel and upload["filename"].endswith(".md")
    markdown = upload["content"]
    for heading in (
        "## 장애 보고서",
        "발생일시",
        "복구일시",
        "영향 시간",
        "영향 범위",
        "심각도: P1(전체 다운)",
        "### 타임라인",
        "장애 인지",
        "진단 시작",
        "원인 파악",
        "조치 실행",
        "복구 확인",
        "### 원인",
        "### 조치 내용",
        "### 재발 방지 대책",
        "1. (단기)",
        "2. (중장기)",
    ):
        assert heading in markdown
    assert "KST" in markdown and "메모: DB 커넥션 확인" in markdown
    # The card no longer offers to resolve.
    assert "ailex.resolve" not in flat(bot.slack.posts(channel)[0]["blocks"])


def test_resolve_without_text_opens_form_and_submission_fills_report(bot):
    channel = declare(bot)
    response = bot.command("resolve", channel=channel, trigger_id="trig-resolve")
    assert response.status_code == 200
    bot.settle()
    (opened,) = bot.slack.views
    assert opened["trigger_id"] == "trig-resolve"
    view = opened["view"]
    submitted = bot.submit_view(
        view,
        {
            "cause": "잘못된 마이그레이션",
            "impact": "고객사 12곳, 대시보드",
            "actions": "이전 배포로 롤백",
            "prevention_short": "마이그레이션 리뷰 강화",
            "prevention_long": "스테이징 먼저 적용",
        },
        user="U_BOB",
    )
    assert submitted.status_code == 200 and not submitted.content
    bot.settle()
    markdown = bot.slack.shared_files()[0]["content"]
    for text in (
        "잘못된 마이그레이션",
        "고객사 12곳, 대시보드",
        "이전 배포로 롤백",
        "1. (단기) 마이그레이션 리뷰 강화",
        "2. (중장기) 스테이징 먼저 적용",
    ):
        assert text in markdown
    with bot.store.read() as session:
        assert timeline.for_incident(session, incident_id=1)[-2].actor == "U_BOB"


def test_resolve_form_requires_a_cause(bot):
    channel = declare(bot)
    bot.command("resolve", channel=channel)
    bot.settle()
    response = bot.submit_view(bot.slack.views[0]["view"], {"impact": "일부"})
    assert response.json()["response_action"] == "errors"
    with bot.store.read() as session:
        assert incidents.get(session, incident_id=1).resolved_at is None


def test_card_resolve_button_opens_the_form(bot):
    channel = declare(bot)
    response = bot.click("ailex.resolve", "1", channel=channel, trigger_id="trig-button")
    assert response.status_code == 200
    bot.settle()
    assert bot.slack.views[0]["trigger_id"] == "trig-button"
    assert bot.slack.views[0]["view"]["callback_id"] == "ailex.resolve_modal"


def test_report_posts_the_report_again(bot):
    channel = declare(bot)
    ack(bot.command("resolve 원인", channel=channel))
    bot.settle()
    answer = ack(bot.command("report", channel=channel))
    assert "보고서" in answer
    bot.settle()
    assert len(bot.slack.shared_files()) == 2
    with bot.store.read() as session:
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=1)]
    assert kinds.count("report_posted") == 2


def test_resolving_twice_is_refused(bot):
    channel = declare(bot)
    ack(bot.command("resolve 원인", channel=channel))
    assert "이미 해결" in ack(bot.command("resolve 다시", channel=channel))


def test_english_locale_gives_english_card_and_report(make_bot):
    bot = make_bot(AILEX_LOCALE="en")
    channel = declare(bot, "incident start P1 Checkout down")
    assert "Investigating" in flat(card_blocks(bot, channel))
    ack(bot.command("resolve bad deploy", channel=channel))
    bot.settle()
    markdown = bot.slack.shared_files()[0]["content"]
    assert "## Incident report" in markdown and "### Cause" in markdown
    assert "Severity: P1 (full outage)" in markdown
    assert "장애" not in markdown


def test_card_phase_follows_the_runbook_clock(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    assert "장애 인지" in flat(bot.slack.posts(channel)[0]["blocks"])
    clock.advance(minutes=6)
    bot.settle()  # the phase timer falls due and redraws the card
    card = flat(bot.slack.posts(channel)[0]["blocks"])
    assert "초기 대응" in card and "14:15" in card
    clock.advance(minutes=30)
    bot.settle()
    assert "기한 지남" in flat(bot.slack.posts(channel)[0]["blocks"])


def test_every_event_lists_actor_and_kst_time_in_report(make_bot):
    clock = FakeClock()  # 14:00 KST
    bot = make_bot(clock=clock)
    bot.slack.add_user("U_BOB", "bob")
    channel = declare(bot)
    clock.advance(minutes=7)
    ack(bot.command("note 원인 후보: 배포", user="U_BOB", channel=channel))
    clock.advance(minutes=3)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    markdown = bot.slack.shared_files()[0]["content"]
    assert "발생일시: 2026-11-26 14:00 KST" in markdown
    assert "복구일시: 2026-11-26 14:10 KST" in markdown
    assert "영향 시간: 10분" in markdown
    assert "- 14:07 - bob 메모: 원인 후보: 배포" in markdown
    assert "- 14:00 - 장애 인지" in markdown and "- 14:10 - 복구 확인" in markdown
