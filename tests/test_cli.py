"""`ailex incidents` and `ailex report` on the store the bot wrote."""

from __future__ import annotations

import json
from datetime import datetime

from bot.cli import main
from tests.test_incident_lifecycle import ack, declare


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
    assert set(first) == {"id", "severity", "status", "title", "channel", "started", "resolved"}
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
