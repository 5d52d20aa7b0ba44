"""The report a customer reads: names not ids, no internal noise, phases in time order,
severity changes, when impact began (`started`, the form), and edits after resolve."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from storage import incidents, timeline
from tests.fakes.vercel import TOKEN as VERCEL_TOKEN
from tests.fakes.vercel import FakeVercel
from tests.harness import SIGNING_SECRET, FakeClock, ack, declare, flat, resolve_confirmed


def _markdown(bot, index: int = -1) -> str:
    files = bot.slack.shared_files()
    assert files, "no report file"
    return files[index]["content"]


def _report_message(bot, channel: str) -> dict:
    return [m for m in bot.slack.posts(channel) if "보고서" in (m["text"] or "")][-1]


def _events(bot, incident_id: int = 1):
    with bot.store.read() as session:
        return timeline.for_incident(session, incident_id=incident_id)


def _section(markdown: str, heading: str) -> list[str]:
    lines = markdown.splitlines()
    start = lines.index(f"### {heading}") + 1
    out = []
    for line in lines[start:]:
        if line.startswith("#") or not line.strip():
            break
        out.append(line)
    return out


# -- names, not ids ----------------------------------------------------------------------------
def test_report_file_names_people_and_the_message_mentions_them(make_bot):
    clock = FakeClock()  # 14:00 KST
    bot = make_bot(clock=clock)
    bot.slack.add_user("U_ALICE", "김지휘")
    bot.slack.add_user("U_BOB", "박엔지니어")
    channel = declare(bot)
    clock.advance(minutes=7)
    ack(bot.command("note 원인 후보: 배포", user="U_BOB", channel=channel))
    ack(bot.command("note 로그 확인", user="U_GHOST", channel=channel))  # not in Slack
    clock.advance(minutes=3)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()

    markdown = _markdown(bot)
    assert "- 지휘자: 김지휘" in markdown
    assert "- 14:07 - 박엔지니어 메모: 원인 후보: 배포" in markdown
    # Someone Slack does not know is shown by id, and the report is still written.
    assert "- 14:07 - @U_GHOST 메모: 로그 확인" in markdown
    assert "<@" not in markdown and "U_ALICE" not in markdown and "U_BOB" not in markdown
    # In the Slack message, mentions are fine: Slack renders them as names.
    assert "<@U_ALICE>" in flat(_report_message(bot, channel)["blocks"])

    # Names are cached: posting the report again asks Slack nothing new.
    asked = len(bot.slack.calls("users.info"))
    assert asked == 3
    ack(bot.command("report", channel=channel))
    bot.settle()
    assert "- 지휘자: 김지휘" in _markdown(bot)
    assert len(bot.slack.calls("users.info")) == asked


def test_report_file_shows_ids_when_slack_cannot_name_anyone(make_bot):
    bot = make_bot()
    bot.slack.add_user("U_ALICE", "김지휘")
    channel = declare(bot)
    bot.slack.fail_method("users.info", "missing_scope", times=5)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    markdown = _markdown(bot)
    assert "- 지휘자: @U_ALICE" in markdown and "배포 오류" in markdown
    # One failure is enough to stop asking (a report never waits on each person in turn).
    assert len(bot.slack.calls("users.info")) == 1


def test_cli_report_names_people_through_slack(make_bot, clean_env, tmp_path):
    bot = make_bot()
    bot.slack.add_user("U_ALICE", "김지휘")
    channel = declare(bot)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    env = {
        **clean_env,
        "AILEX_DATABASE_URL": bot.settings.database_url,
        "SLACK_BOT_TOKEN": bot.settings.slack_bot_token.get_secret_value(),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": str(bot.settings.slack_api_url),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "- 지휘자: 김지휘" in done.stdout


# -- no internal noise -------------------------------------------------------------------------
@pytest.fixture
def vercel():
    with FakeVercel() as fake:
        yield fake


def test_report_timeline_has_no_refused_clicks_channel_or_case_keys(make_bot, vercel):
    bot = make_bot(
        VERCEL_TOKEN=VERCEL_TOKEN,
        VERCEL_PROJECT_ID=vercel.project_id,
        VERCEL_API_URL=vercel.url,
        AILEX_EDGE_CONFIG_ID=vercel.edge_config_id,
        AILEX_PROBE_TIMEOUT="3",
    )
    channel = declare(bot)
    # A diagnosis that points to no case (nothing of it is configured).
    ack(bot.command("diagnose deploy", channel=channel))
    bot.settle(timeout=30)
    ack(bot.command("remediate maintenance on", channel=channel))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_ALICE", channel=channel)  # refused: self-approval
    bot.settle()
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    kinds = [e.kind for e in _events(bot)]
    assert "remediation_refused" in kinds and "diagnosis_result" in kinds

    markdown = _markdown(bot)
    events = "\n".join(_section(markdown, "전체 기록"))
    assert "승인 거부" not in events  # the refused click
    assert "대응 채널 생성" not in events and "inc-" not in events
    assert "보고서 게시" not in events
    assert not re.search(r"경우 [-a-z]", markdown), markdown
    assert re.search(
        r"진단 결과: 상황 6 배포 실패 · (?:(?:실패|오류|경고|정상|설정 없음) \d+(?: · |\n))+",
        events,
    )
    assert "조치 실행 #1" in events


def test_a_diagnosis_with_a_case_shows_the_runbooks_words(make_bot, outage_world):
    bot = make_bot(**outage_world["settings"])
    channel = declare(bot)
    ack(bot.command("diagnose outage", channel=channel))
    bot.settle(timeout=30)
    resolve_confirmed(bot, "resolve 배포 오류", channel=channel)  # the site still fails
    bot.settle()
    (line,) = [x for x in _section(_markdown(bot), "전체 기록") if "진단 결과" in x]
    assert "경우 A: 최근 배포 이후 발생" in line, line
    assert not line.rstrip().endswith("경우 A")


# -- phases in time order ----------------------------------------------------------------------
def test_phases_are_listed_in_the_order_they_happened(make_bot):
    clock = FakeClock()  # 14:00 KST
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=2)
    ack(bot.command("status identified", channel=channel))
    clock.advance(minutes=3)
    ack(bot.command("diagnose deploy", channel=channel))
    bot.settle(timeout=30)
    clock.advance(minutes=5)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    assert _section(_markdown(bot), "타임라인") == [
        "- 14:00 - 장애 인지",
        "- 14:02 - 원인 파악",
        "- 14:05 - 진단 시작",
        "- 14:10 - 복구 확인",
        "- --:-- - 조치 실행 (기록 없음)",
    ]


# -- severity changes --------------------------------------------------------------------------
def test_severity_line_shows_each_change_and_the_final_one(bot):
    channel = declare(bot)  # P1
    ack(bot.command("severity P3", channel=channel))
    ack(bot.command("severity P2", channel=channel))
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    assert "- 심각도: P2(일부 기능 장애) (변경: P1 → P3 → P2)" in _markdown(bot)


def test_severity_line_without_changes_stays_plain(bot):
    channel = declare(bot)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    markdown = _markdown(bot)
    assert "- 심각도: P1(전체 다운)\n" in markdown and "(변경:" not in markdown


# -- when impact began -------------------------------------------------------------------------
def test_started_sets_the_reports_start_and_is_recorded(make_bot):
    clock = FakeClock()  # 14:00 KST
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=5)
    answer = ack(bot.command("started 13:40", channel=channel))
    assert "2026-11-26 13:40 KST" in answer
    clock.advance(minutes=5)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    markdown = _markdown(bot)
    assert "- 발생일시: 2026-11-26 13:40 KST" in markdown
    assert "- 영향 시간: 30분" in markdown
    # 장애 인지 stays when it was declared; the setting itself is in the record.
    assert "- 14:00 - 장애 인지" in markdown
    assert "@U_ALICE 발생일시 지정: 2026-11-26 13:40 KST" in markdown
    (event,) = [e for e in _events(bot) if e.kind == "impact_started"]
    assert event.actor == "U_ALICE" and event.data == {"at": "2026-11-26T04:40:00+00:00"}
    # The channel hears of it.
    assert any("발생일시" in (p["text"] or "") for p in bot.slack.posts(channel))


def test_started_hh_mm_later_than_now_means_yesterday(make_bot):
    clock = FakeClock()  # 14:00 KST
    bot = make_bot(clock=clock)
    channel = declare(bot)
    answer = ack(bot.command("발생 23:50", channel=channel))  # the Korean alias
    assert "2026-11-25 23:50 KST" in answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("started", "영향이 시작된 시각"),
        ("started 어제쯤", "시각으로 읽을 수 없습니다"),
        ("started 25:00", "시각으로 읽을 수 없습니다"),
        ("started 2026-02-30 10:00", "시각으로 읽을 수 없습니다"),
        ("started 2026-11-26 14:30", "지금(2026-11-26 14:05 KST)보다 늦을 수 없습니다"),
    ],
)
def test_started_refuses_what_is_not_a_past_time(make_bot, text, expected):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=5)
    answer = ack(bot.command(text, channel=channel))
    assert expected in answer, answer
    assert "impact_started" not in [e.kind for e in _events(bot)]


def test_started_after_the_recovery_is_refused(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=10)
    ack(bot.command("resolve 배포 오류", channel=channel))
    clock.advance(minutes=50)  # 15:00 KST
    answer = ack(bot.command("started 14:30", channel=channel))
    assert "복구일시(2026-11-26 14:10 KST)보다 늦을 수 없습니다" in answer
    # Before the recovery it may still be set after resolve.
    assert "13:30" in ack(bot.command("started 13:30", channel=channel))


def test_started_outside_an_incident_channel_is_refused(bot):
    assert "이 채널에는 장애가 없습니다" in ack(bot.command("started 13:40", channel="C_RANDOM"))


def test_resolve_form_takes_when_impact_began(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=20)
    bot.command("resolve", channel=channel)
    bot.settle()
    view = bot.slack.views[-1]["view"]
    assert "impact_started" in flat(view["blocks"])
    # A bad time is refused on its field, and nothing is resolved.
    refused = bot.submit_view(view, {"cause": "원인", "impact_started": "내일 아침"})
    body = refused.json()
    assert body["response_action"] == "errors" and "impact_started" in body["errors"]
    future = bot.submit_view(view, {"cause": "원인", "impact_started": "2026-11-26 15:00"})
    assert "늦을 수 없습니다" in future.json()["errors"]["impact_started"]
    with bot.store.read() as session:
        assert incidents.get(session, incident_id=1).resolved_at is None

    assert bot.submit_view(view, {"cause": "원인", "impact_started": "13:50"}).status_code == 200
    bot.settle()
    markdown = _markdown(bot)
    assert "- 발생일시: 2026-11-26 13:50 KST" in markdown and "- 영향 시간: 30분" in markdown


# -- edits after resolve ----------------------------------------------------------------------
def test_report_edit_after_resolve_opens_the_filled_form_and_records_the_change(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=10)
    bot.command("resolve", channel=channel)
    bot.settle()
    bot.submit_view(
        bot.slack.views[-1]["view"],
        {"cause": "잘못된 마이그레이션", "impact": "대시보드", "prevention_short": "리뷰"},
    )
    bot.settle()
    assert len(bot.slack.shared_files()) == 1

    clock.advance(hours=2)
    response = bot.command("report edit", channel=channel, trigger_id="trig-edit")
    assert response.status_code == 200
    bot.settle()
    opened = bot.slack.views[-1]
    assert opened["trigger_id"] == "trig-edit"
    view = opened["view"]
    assert view["callback_id"] == "ailex.resolve_modal"
    assert json.loads(view["private_metadata"])["edit"] is True
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert initial["cause"] == "잘못된 마이그레이션" and initial["impact"] == "대시보드"
    assert initial["prevention_short"] == "리뷰"
    assert "보고서 고치기" in flat(view)

    # A resolved report keeps a cause.
    cleared = bot.submit_view(view, {"impact": "대시보드"})
    assert "cause" in cleared.json()["errors"]

    edited = bot.submit_view(
        view,
        {
            "cause": "인덱스 없는 마이그레이션",
            "impact": "대시보드",
            "prevention_short": "리뷰",
            "prevention_long": "스테이징 먼저",
            "impact_started": "13:45",
        },
        user="U_BOB",
    )
    assert edited.status_code == 200 and not edited.content
    bot.settle()

    with bot.store.read() as session:
        incident = incidents.get(session, incident_id=1)
    assert incident.cause == "인덱스 없는 마이그레이션"
    assert incident.prevention_long == "스테이징 먼저"
    (event,) = [e for e in _events(bot) if e.kind == "report_edited"]
    assert event.actor == "U_BOB"
    assert event.data["fields"] == ["cause", "prevention_long", "impact_started"]
    assert event.data["before"] == {"cause": "잘못된 마이그레이션", "prevention_long": None}

    # The report is posted again, as edited.
    assert len(bot.slack.shared_files()) == 2
    markdown = _markdown(bot)
    assert "인덱스 없는 마이그레이션" in markdown and "잘못된 마이그레이션" not in markdown
    assert "2. (중장기) 스테이징 먼저" in markdown
    assert "- 발생일시: 2026-11-26 13:45 KST" in markdown
    assert "보고서 수정: 원인, 재발 방지 대책 (중장기), 발생일시" in markdown
    # `report` shows the edit too.
    ack(bot.command("report", channel=channel))
    bot.settle()
    assert "인덱스 없는 마이그레이션" in _markdown(bot)


def test_report_edit_that_changes_nothing_records_nothing(bot):
    channel = declare(bot)
    ack(bot.command("resolve 원인", channel=channel))
    bot.settle()
    bot.command("report edit", channel=channel)
    bot.settle()
    view = bot.slack.views[-1]["view"]
    assert bot.submit_view(view, {"cause": "원인"}).status_code == 200
    bot.settle()
    assert "report_edited" not in [e.kind for e in _events(bot)]
    assert len(bot.slack.shared_files()) == 1


def test_report_edit_of_an_open_incident_does_not_resolve_it(bot):
    channel = declare(bot)
    bot.command("보고서 수정", channel=channel)
    bot.settle()
    view = bot.slack.views[-1]["view"]
    assert bot.submit_view(view, {"impact": "결제 전체"}).status_code == 200
    bot.settle()
    with bot.store.read() as session:
        incident = incidents.get(session, incident_id=1)
    assert incident.resolved_at is None and incident.impact == "결제 전체"
    assert "report_edited" in [e.kind for e in _events(bot)]


def test_report_with_an_unknown_word_is_refused_with_usage(bot):
    channel = declare(bot)
    answer = ack(bot.command("report eidt", channel=channel))
    assert "eidt" in answer and "report edit" in answer


def test_resolve_form_shows_the_start_already_set_and_keeps_it_without_a_second_record(
    make_bot,
):
    clock = FakeClock()
    bot = make_bot(clock=clock)
    channel = declare(bot)
    clock.advance(minutes=5)
    ack(bot.command("started 13:40", channel=channel))
    bot.command("resolve", channel=channel)
    bot.settle()
    view = bot.slack.views[-1]["view"]
    (field,) = [b for b in view["blocks"] if b.get("block_id") == "impact_started"]
    assert field["element"]["initial_value"] == "2026-11-26 13:40"
    bot.submit_view(view, {"cause": "원인", "impact_started": "2026-11-26 13:40"})
    bot.settle()
    assert [e.kind for e in _events(bot)].count("impact_started") == 1
    assert "- 발생일시: 2026-11-26 13:40 KST" in _markdown(bot)


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("report edit", "report_edit", ""),
        ("보고서 수정", "report_edit", ""),
        ("started 13:40", "started", "13:40"),
        ("발생 2026-11-26 13:40", "started", "2026-11-26 13:40"),
        ("발생일시 9:05", "started", "9:05"),
    ],
)
def test_report_edit_and_started_parse(text, name, arg):
    from handlers.parse import parse

    command = parse(text)
    assert (command.name, command.text) == (name, arg)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("started", "started_missing"), ("started 오후 1시", "started_format")],
)
def test_started_without_a_time_is_a_usage_error(text, reason):
    from handlers.parse import ParseError, parse

    with pytest.raises(ParseError) as error:
        parse(text)
    assert (error.value.reason, error.value.usage) == (reason, "started")


def test_english_report_names_the_changes_in_english(make_bot):
    clock = FakeClock()
    bot = make_bot(clock=clock, AILEX_LOCALE="en")
    channel = declare(bot, "incident start P1 Checkout down")
    clock.advance(minutes=5)
    assert "2026-11-26 13:40 KST" in ack(bot.command("started 13:40", channel=channel))
    ack(bot.command("severity P2", channel=channel))
    ack(bot.command("resolve bad deploy", channel=channel))
    bot.settle()
    markdown = _markdown(bot)
    assert "- Started: 2026-11-26 13:40 KST" in markdown
    # (the space before a parenthesis may differ by locale; the change history may not)
    assert re.search(r"- Severity: P2 ?\(partial outage\) \(changed: P1 → P2\)", markdown)
    assert "impact start set: 2026-11-26 13:40 KST" in markdown
    assert not re.search(r"[가-힣]", markdown)


def test_diagnosis_counts_keep_errors_apart_from_failures_in_both_languages():
    """A check that could not answer (error) is not counted as a failure, and English counts
    carry no wrong plural ("1 errors")."""
    from bot.messages import Catalogue
    from bot.text import status_counts

    counts = {"fail": 0, "error": 1, "warn": 0, "ok": 0, "skipped": 4}
    assert status_counts(counts, Catalogue("ko")) == "오류 1 · 설정 없음 4"
    assert status_counts(counts, Catalogue("en")) == "errors 1 · not configured 4"
    assert status_counts({}, Catalogue("ko")) == "-"


def test_a_diagnosis_result_names_its_own_case_where_a_letter_has_two(make_bot):
    """상황 3 has two cases B (out of credit, expired key): the timeline says which one."""
    from bot.incidents.timeline import describe
    from bot.messages import Catalogue
    from tests.fakes.openai import FakeOpenAI
    from tests.fakes.statuspage import FakeStatusPage

    with FakeOpenAI() as openai, FakeStatusPage("OpenAI") as status:
        openai.mode = "quota"
        bot = make_bot(
            OPENAI_BASE_URL=f"{openai.url}/v1",
            OPENAI_API_KEY=openai.key,
            AILEX_STATUSPAGE_OPENAI=status.url,
        )
        channel = declare(bot)
        ack(bot.command("diagnose openai", channel=channel))
        bot.settle(timeout=30)
    (result,) = [e for e in _events(bot) if e.kind == "diagnosis_result"]
    line = describe(result, Catalogue("ko"))
    assert "경우 B: 잔액 부족" in line, line
    assert "API 키 만료" not in line


def test_a_diagnosis_result_recorded_before_its_case_sentence_was_kept_still_reads():
    """Events stored by earlier versions name the case by letter only (or in the summary)."""
    from bot.incidents.timeline import diagnosis_verdict
    from bot.messages import Catalogue

    t = Catalogue("ko")
    counts = {"fail": 1, "ok": 2}
    by_letter = diagnosis_verdict({"scenario": "outage", "counts": counts, "case": "A"}, t)
    assert "경우 A: 최근 배포 이후 발생" in by_letter
    in_summary = diagnosis_verdict(
        {
            "scenario": "database",
            "counts": counts,
            "summary": {"key": "diagnosis.result_summary", "params": {"case": "C"}},
        },
        t,
    )
    assert "경우 C: DB 용량 초과" in in_summary
    # A letter two cases share cannot say which: no sentence rather than the wrong one.
    ambiguous = diagnosis_verdict({"scenario": "openai", "counts": counts, "case": "B"}, t)
    assert "경우 B" not in ambiguous
    for none in ("-", None):
        assert "경우" not in diagnosis_verdict(
            {"scenario": "outage", "counts": counts, "case": none}, t
        )
