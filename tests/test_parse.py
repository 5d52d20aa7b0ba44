"""`/ailex` text parsing: every subcommand, Korean aliases, and anything malformed."""

from __future__ import annotations

import pytest

from bot.domain import Severity, Status
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
