"""`ailex incidents` and `ailex report` on the store the bot wrote."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from bot.cli import main
from tests.harness import ack, declare


def test_incidents_json_lists_every_incident_with_iso_times(
    make_bot, tmp_path, monkeypatch, capsys
):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    bot = make_bot(store_url=url)
    channel = declare(bot, "incident start P1 첫 장애")
    ack(bot.command("resolve 원인", channel=channel))
    declare(bot, "incident start P3 둘째", channel="C_TWO")
    bot.settle()
    monkeypatch.setenv("AILEX_DATABASE_URL", url)
    capsys.readouterr()
    assert main(["incidents", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [i["id"] for i in listed] == [2, 1]
    first = listed[1]
    assert set(first) == {
        "id",
        "severity",
        "status",
        "title",
        "channel",
        "commander",
        "started",
        "resolved",
    }
    # SPEC 3.1: the commander is a Slack user id (the declarer, by default).
    assert first["commander"] == "U_ALICE"
    assert (first["severity"], first["status"], first["title"], first["channel"]) == (
        "P1",
        "resolved",
        "첫 장애",
        channel,
    )
    assert datetime.fromisoformat(first["started"]).utcoffset() is not None
    assert datetime.fromisoformat(first["resolved"]) >= datetime.fromisoformat(first["started"])
    assert listed[0]["resolved"] is None

    assert main(["incidents"]) == 0
    text = capsys.readouterr().out
    assert "첫 장애" in text and "둘째" in text


def test_report_prints_markdown_and_unknown_id_fails(make_bot, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    bot = make_bot(store_url=url)
    channel = declare(bot)
    ack(bot.command("resolve 커넥션 고갈", channel=channel))
    bot.settle()
    monkeypatch.setenv("AILEX_DATABASE_URL", url)
    capsys.readouterr()
    assert main(["report", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## 장애 보고서") and "커넥션 고갈" in out
    assert main(["report", "99"]) == 1
    assert "#99" in capsys.readouterr().err


_ARGPARSE_ENGLISH = (
    "usage:",
    "positional arguments",
    "options:",
    "show this help message",
    "error:",
    "invalid choice",
    "required",
    "COMMAND",
)


def _help_and_error(monkeypatch, capsys, locale: str | None, argv: list[str]) -> str:
    if locale:
        monkeypatch.setenv("AILEX_LOCALE", locale)
    else:
        monkeypatch.delenv("AILEX_LOCALE", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return str(exited.value.code) + "\n" + captured.out + captured.err


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["serve", "--help"], ["diagnose", "--help"], ["bogus"], [], ["report", "x"]],
)
def test_help_and_usage_errors_are_korean_by_default(monkeypatch, capsys, tmp_path, argv):
    monkeypatch.chdir(tmp_path)
    text = _help_and_error(monkeypatch, capsys, None, argv)
    assert "사용법: ailex" in text
    assert not [word for word in _ARGPARSE_ENGLISH if word in text], text
    if argv and argv[-1] == "--help":
        assert (
            text.startswith("0\n") and "옵션:" in text and "이 도움말을 보여 주고 끝냅니다" in text
        )
    else:
        assert text.startswith("2\n") and "오류:" in text


def test_usage_errors_say_what_was_wrong_in_korean(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = _help_and_error(monkeypatch, capsys, None, ["bogus"])
    assert "ailex: 오류: <명령> 인자: 알 수 없는 값입니다: 'bogus' (가능한 값: 'serve'," in text
    text = _help_and_error(monkeypatch, capsys, None, [])
    assert "ailex: 오류: 다음 인자가 필요합니다: <명령>" in text
    text = _help_and_error(monkeypatch, capsys, None, ["report", "x"])
    assert "ailex report: 오류: <장애번호> 인자: 잘못된 값입니다: 'x' (정수여야 합니다)" in text
    text = _help_and_error(monkeypatch, capsys, None, ["incidents", "--all"])
    assert "ailex: 오류: 알 수 없는 인자입니다: --all" in text


def test_help_and_usage_errors_are_english_with_the_english_locale(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = _help_and_error(monkeypatch, capsys, "en", ["--help"])
    assert "usage: ailex [-h] COMMAND ..." in text and "show this help message and exit" in text
    assert not re.search(r"[\uac00-\ud7a3]", text)
    text = _help_and_error(monkeypatch, capsys, "en", ["report", "x"])
    assert "ailex report: error: argument INCIDENT_ID: invalid integer value: 'x'" in text
    assert not re.search(r"[\uac00-\ud7a3]", text)


def test_korean_help_columns_line_up_in_a_terminal(monkeypatch, capsys, tmp_path):
    import unicodedata

    monkeypatch.chdir(tmp_path)
    text = _help_and_error(monkeypatch, capsys, None, ["serve", "--help"])
    rows = [line for line in text.splitlines() if line.startswith("  -")]
    assert len(rows) == 5

    def column_of_help(line: str) -> int:
        invocation_end = line.index("  ", 2)
        start = invocation_end + len(line[invocation_end:]) - len(line[invocation_end:].lstrip())
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:start])

    assert len({column_of_help(row) for row in rows}) == 1, rows
