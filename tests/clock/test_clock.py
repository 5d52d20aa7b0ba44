"""The runbook's clock (SPEC 7), through the app factory's FakeClock on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from storage import timeline
from tests.harness import FakeClock, ack, declare, flat


def _reminders(bot, channel: str) -> list[dict]:
    return [m for m in bot.slack.posts(channel) if (m["text"] or "").startswith("⏰")]


def _kinds(bot, incident_id: int = 1) -> list[str]:
    with bot.store.read() as session:
        return [e.kind for e in timeline.for_incident(session, incident_id=incident_id)]


def _tick(bot) -> int:
    queued = bot.core.clock_due()
    bot.settle()
    return queued


def test_update_reminder_once_per_due_time_and_snooze(make_bot, store_url):
    clock = FakeClock()
    bot = make_bot(store_url, clock=clock)
    channel = declare(bot)  # P1: 30 minutes
    clock.advance(minutes=10)
    ack(bot.command("note 확인 중", channel=channel))
    clock.advance(minutes=29)
    _tick(bot)
    assert not [m for m in _reminders(bot, channel) if "업데이트가 없습니다" in m["text"]]
    clock.advance(minutes=1, seconds=1)
    _tick(bot)
    _tick(bot)  # the same due time again: nothing more
    updates = [m for m in _reminders(bot, channel) if "업데이트가 없습니다" in m["text"]]
    assert len(updates) == 1
    assert "30분 동안 업데이트가 없습니다" in updates[0]["text"]
    assert "ailex.reminder.snooze" in flat(updates[0]["blocks"])
    assert "reminder" in _kinds(bot)
    # Snoozed: nothing for one more interval, then one.
    bot.click("ailex.reminder.snooze", "1", channel=channel)
    bot.settle()
    clock.advance(minutes=29)
    _tick(bot)
    assert len([m for m in _reminders(bot, channel) if "업데이트가" in m["text"]]) == 1
    clock.advance(minutes=2)
    _tick(bot)
    assert len([m for m in _reminders(bot, channel) if "업데이트가" in m["text"]]) == 2
    assert "reminder_snoozed" in _kinds(bot)


def test_phase_reminders_and_nothing_after_resolve(make_bot, store_url):
    clock = FakeClock()
    bot = make_bot(store_url, clock=clock, AILEX_UPDATE_REMINDER_MINUTES="")
    channel = declare(bot)
    clock.advance(minutes=15, seconds=1)
    _tick(bot)
    (diagnose,) = _reminders(bot, channel)
    assert "진단 기록이 없습니다" in diagnose["text"]
    assert '"value": "triage"' in flat(diagnose["blocks"])
    clock.advance(minutes=15)
    _tick(bot)
    notice = _reminders(bot, channel)[-1]
    assert "고객 공지" in notice["text"]
    assert '"value": "customer-notice"' in flat(notice["blocks"])
    ack(bot.command("resolve 설정 오류", channel=channel))
    bot.settle()
    clock.advance(hours=1)
    _tick(bot)
    assert len(_reminders(bot, channel)) == 2


def test_restart_on_the_same_store_does_not_resend(make_bot, store_url):
    clock = FakeClock()
    bot = make_bot(store_url, clock=clock, AILEX_UPDATE_REMINDER_MINUTES="")
    channel = declare(bot)
    clock.advance(minutes=16)
    _tick(bot)
    assert len(_reminders(bot, channel)) == 1
    again = make_bot(store_url, clock=clock, slack=bot.slack, AILEX_UPDATE_REMINDER_MINUTES="")
    assert _tick(again) == 0
    assert len(_reminders(bot, channel)) == 1


def test_two_replicas_race_for_one_reminder(make_bot, store_url):
    import threading

    clock = FakeClock()
    one = make_bot(store_url, clock=clock, AILEX_UPDATE_REMINDER_MINUTES="")
    two = make_bot(store_url, clock=clock, slack=one.slack, AILEX_UPDATE_REMINDER_MINUTES="")
    channel = declare(one)
    clock.advance(minutes=16)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run(bot):
        barrier.wait()
        results.append(bot.core.clock_due())

    threads = [threading.Thread(target=run, args=(b,)) for b in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one.settle()
    two.settle()
    assert sorted(results) == [0, 1]
    assert len(_reminders(one, channel)) == 1
    assert _kinds(one).count("reminder") == 1


def test_slack_outage_sends_late_or_withholds(make_bot, store_url):
    clock = FakeClock()
    bot = make_bot(store_url, clock=clock)
    channel = declare(bot)
    clock.advance(minutes=16)
    bot.slack.server_error("chat.postMessage", status=503, times=4)
    _tick(bot)
    assert not _reminders(bot, channel)  # Slack is down: kept, not lost
    for _ in range(4):
        clock.advance(seconds=30)
        bot.settle()
    assert any("진단 기록이 없습니다" in m["text"] for m in _reminders(bot, channel))
    # The update reminder is queued during an outage, then a note makes it untrue.
    clock.advance(minutes=30)
    bot.slack.server_error("chat.postMessage", status=503, times=4)
    _tick(bot)
    before = len(_reminders(bot, channel))
    ack(bot.command("note 복구 작업 중", channel=channel))
    for _ in range(4):
        clock.advance(seconds=30)
        bot.settle()
    texts = [m["text"] for m in _reminders(bot, channel)]
    assert not any("업데이트가 없습니다" in t for t in texts[before:])
    assert "reminder_withheld" in _kinds(bot)


def test_postmortem_reminders_until_complete(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock, AILEX_UPDATE_REMINDER_MINUTES="")
    channel = declare(bot)
    ack(bot.command("resolve 설정 오류", channel=channel))
    bot.settle()
    clock.advance(hours=20, seconds=1)
    _tick(bot)
    posts = [m for m in bot.slack.posts(channel) if "사후 분석" in (m["text"] or "")]
    assert len(posts) == 1 and "재발 방지 대책" in posts[0]["text"]
    clock.advance(hours=4)
    _tick(bot)
    posts = [m for m in bot.slack.posts(channel) if "사후 분석" in (m["text"] or "")]
    assert len(posts) == 2 and "지났습니다" in posts[1]["text"]


def test_ack_reminder_mentions_oncall_for_an_alert_incident(make_bot):
    from datetime import timedelta

    clock = FakeClock()
    bot = make_bot(clock=clock, AILEX_ONCALL="S0ONCALL", AILEX_UPDATE_REMINDER_MINUTES="")
    channel = declare(bot)
    with bot.store.write() as session:  # as an alert would have opened it
        from storage import incidents

        incident = incidents.get(session, incident_id=1)
        incident.alert_source = "uptimerobot"
        incident.commander_id = ""
    clock.advance(minutes=5, seconds=1)
    _tick(bot)
    (reminder,) = _reminders(bot, channel)
    assert "<!subteam^S0ONCALL>" in reminder["text"]
    assert '"action_id": "ailex.ack"' in flat(reminder["blocks"])
    assert timedelta(0) is not None


def test_followups_commander_and_bad_input(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    bot.slack.add_user("U_BOB", "bob")
    channel = declare(bot)
    assert "사용자가 아닙니다" in ack(bot.command("commander @nobody", channel=channel))
    assert "사용법" in ack(bot.command("commander", channel=channel))
    assert "이제" in ack(bot.command("commander <@U_BOB|bob>", channel=channel))
    bot.settle()
    assert "commander_changed" in _kinds(bot)
    assert "날짜가 아닙니다" in ack(bot.command("followup 캐시 점검 2026-13-45", channel=channel))
    assert "지난 날짜" in ack(bot.command("followup 캐시 점검 2020-01-01", channel=channel))
    assert "추가했습니다" in ack(bot.command("followup 캐시 점검 @bob 2026-11-27", channel=channel))
    assert "없습니다" in ack(bot.command("followup done 9", channel=channel))
    listed = ack(bot.command("followup list", channel=channel))
    assert "캐시 점검" in listed and "U_BOB" in listed
    # The morning after it fell due (09:00 KST on 11-28), bob gets one direct message.
    clock.advance(hours=42)  # 2026-11-28 08:00 KST
    _tick(bot)
    assert not bot.slack.posts("DU_BOB")
    clock.advance(hours=1, seconds=1)
    _tick(bot)
    _tick(bot)
    assert len(bot.slack.posts("DU_BOB")) == 1
    assert "완료했습니다" in ack(bot.command("followup done 1", channel=channel))
    assert "이미 완료" in ack(bot.command("followup done 1", channel=channel))
    assert [f.number for f in bot.core.open_followups("U_BOB")] == []


def test_resolve_form_prevention_lines_become_followups(make_bot):
    bot = make_bot()
    channel = declare(bot)
    incident = bot.core.incidents.for_channel(channel)
    from bot.incidents.flows import Actor

    bot.core.incidents.resolve(
        incident_id=incident.id,
        actor=Actor(user_id="U_ALICE", channel_id=channel),
        cause="원인",
        prevention_short="알림 임계값 조정\n\n모니터 추가",
        prevention_long="구조 개선",
    )
    bot.settle()
    items = bot.core.followups.of_incident(incident.id)
    assert [(f.text, f.owner_id) for f in items] == [
        ("알림 임계값 조정", "U_ALICE"),
        ("모니터 추가", "U_ALICE"),
        ("구조 개선", "U_ALICE"),
    ]
    assert any("모니터 추가" in f["content"] for f in bot.slack.shared_files())


@pytest.mark.parametrize("value", ["P1:0", "P1", "P9:3", "P1:x"])
def test_bad_update_reminder_setting_is_refused(value):
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as error:
        load_settings(AILEX_UPDATE_REMINDER_MINUTES=value)
    assert error.value.variable == "AILEX_UPDATE_REMINDER_MINUTES"


def test_the_report_names_the_people_of_a_hand_over_and_a_follow_up_never_their_ids(make_bot):
    """The Slack report mentions them (`<@U…>`, not escaped into visible text); the file,
    which Slack does not render mentions in, gives their names."""
    bot = make_bot()
    bot.slack.add_user("U_OWNER", "owner")
    bot.slack.add_user("U_NEXT", "next")
    channel = declare(bot)
    added = ack(bot.command("followup 인덱스 추가 <@U_OWNER> 2099-01-31", channel=channel))
    assert "담당 <@U_OWNER>" in added
    ack(bot.command("commander <@U_NEXT>", channel=channel))
    ack(bot.command("resolve 인덱스 누락", channel=channel))
    bot.settle()
    report = [p for p in bot.slack.posts(channel) if "전체 기록" in flat(p.get("blocks") or [])]
    shown = flat(report[-1]["blocks"])
    assert "담당 <@U_OWNER>" in shown and "→ <@U_NEXT>" in shown
    assert "&lt;@" not in shown
    (file,) = [f for f in bot.slack.shared_files() if f["filename"].endswith(".md")]
    assert "담당 owner" in file["content"] and "→ next" in file["content"]
    assert "U_OWNER" not in file["content"] and "U_NEXT" not in file["content"]
