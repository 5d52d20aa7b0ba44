"""`/ailex` text parsing: every subcommand, Korean aliases, and anything malformed."""

from __future__ import annotations

import pytest

from bot.incidents.vocabulary import Severity, Status
from handlers.parse import Name, ParseError, parse


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("", Name.HELP),
        ("help", Name.HELP),
        ("도움말", Name.HELP),
        ("incident list", Name.INCIDENT_LIST),
        ("장애 목록", Name.INCIDENT_LIST),
        ("status", Name.STATUS),
        ("report", Name.REPORT),
        ("보고서", Name.REPORT),
        ("contacts", Name.CONTACTS),
        ("연락처", Name.CONTACTS),
        ("resolve", Name.RESOLVE),
    ],
)
def test_simple_subcommands(text, name):
    assert parse(text).name == name


def test_incident_start_with_and_without_severity():
    command = parse("incident start p1 결제 API   다운")
    assert (command.name, command.severity, command.text) == (
        Name.INCIDENT_START,
        Severity.P1,
        "결제 API   다운",
    )
    command = parse("장애 시작 로그인 실패")
    assert (command.severity, command.text) == (Severity.P2, "로그인 실패")


def test_slack_escaped_characters_are_taken_back():
    assert parse("note a &lt;b&gt; &amp; c").text == "a <b> & c"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("status identified", Status.IDENTIFIED),
        ("상태 모니터링", Status.MONITORING),
        ("status Investigating", Status.INVESTIGATING),
    ],
)
def test_status_change(text, status):
    assert parse(text).status == status


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("frobnicate", "unknown_subcommand"),
        ("incident", "incident_verb"),
        ("incident start", "title_required"),
        ("incident start P1", "title_required"),
        ("severity P4", "bad_severity"),
        ("severity", "bad_severity"),
        ("status resolved", "bad_status"),
        ("note", "note_empty"),
        ("diagnose", "scenario_missing"),
        ("remediate", "action_missing"),
    ],
)
def test_malformed_text_names_the_usage(text, reason):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.reason == reason


def test_arguments_of_diagnose_and_remediate():
    assert parse("diagnose outage").args == ("outage",)
    assert parse("remediate maintenance on").args == ("maintenance", "on")
    assert parse("조치 rollback dpl_123").args == ("rollback", "dpl_123")


# -- say what was meant, or say no (issue 7, items 9 and 10) ---------------------------------
@pytest.mark.parametrize("word", ["P4", "p5", "P0", "P9", "SEV1", "sev-2", "Sev_3"])
def test_a_word_that_looks_like_a_severity_is_refused_not_made_a_title(word):
    with pytest.raises(ParseError) as caught:
        parse(f"incident start {word} test")
    assert (caught.value.reason, caught.value.usage) == ("bad_severity", "incident_start")
    assert caught.value.params["value"] == word


@pytest.mark.parametrize("title", ["P99 응답 지연", "S3 업로드 실패", "PG 결제 오류"])
def test_titles_that_only_start_like_a_severity_are_titles(title):
    command = parse(f"incident start {title}")
    assert (command.severity, command.text) == (Severity.P2, title)


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("severity P1 now", "now"),
        ("contacts x", "x"),
        ("incident list foo", "foo"),
        ("status investigating extra", "extra"),
        ("상태 원인 파악 지금", "지금"),
        ("diagnose database outage", "outage"),
    ],
)
def test_extra_arguments_are_refused_not_ignored(text, extra):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.reason == "extra_arguments"
    assert caught.value.params["extra"] == extra


@pytest.mark.parametrize("text", ["report foo", "report edit now"])
def test_report_takes_nothing_or_edit(text):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.reason == "report_verb"
    assert caught.value.usage == "report_edit"


def test_two_word_korean_status_still_parses():
    assert parse("상태 원인 파악").status == Status.IDENTIFIED


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("diagnoze outage", "diagnose"),
        ("sattus", "status"),
        ("stauts", "stats"),
        ("rsolve 원인", "resolve"),
        ("incident strat 결제", "start"),
        ("status investigatng", "investigating"),
    ],
)
def test_a_typo_gets_the_closest_known_word(text, suggestion):
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert caught.value.suggestion == suggestion


def test_nothing_close_suggests_nothing():
    with pytest.raises(ParseError) as caught:
        parse("frobnicate")
    assert caught.value.suggestion is None


def test_text_over_the_limit_is_refused_not_cut():
    with pytest.raises(ParseError) as caught:
        parse("note " + "x" * 4000)
    assert caught.value.reason == "text_too_long"
    assert caught.value.params["limit"] == "4,000"
