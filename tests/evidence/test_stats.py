"""Incident statistics (SPEC 9): counts, MTTA and MTTR of incidents made through the real
flows with the app factory's clock; percentiles on known data; `ailex stats`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.evidence.stats import Summary, percentile
from tests.fakes import alert_senders as send
from tests.harness import FakeClock, ack, resolve_confirmed


def test_percentiles_interpolate_linearly_between_the_closest_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile(list(range(10, 101, 10)), 0.9) == pytest.approx(91)
    assert percentile([5, 1, 3], 0.5) == 3  # order does not matter
    summary = Summary.of([60, 120, 600])
    assert (summary.median, summary.p90, summary.mean) == (120, 504, 260)
    assert Summary.of([]).as_json() == {"median": None, "p90": None, "mean": None}


@pytest.fixture
def default_store_url(store_url):
    """These figures hold on SQLite and PostgreSQL alike."""
    return store_url


def _deliver(bot, delivery):
    return bot.http.post(delivery.url_path, content=delivery.body, headers=delivery.headers)


def test_stats_count_mtta_and_mttr_of_incidents_with_known_times(make_bot, outage_world):
    clock = FakeClock(datetime(2026, 10, 1, 5, 0, tzinfo=UTC))
    bot = make_bot(
        clock=clock,
        **{**outage_world["settings"], "AILEX_PROBE_TIMEOUT": "1"},
        AILEX_UPTIMEROBOT_SECRET=send.UPTIMEROBOT_SECRET,
    )
    # Long before the period: declared and resolved, counted only in 90 days.
    ack(bot.command("incident start P1 오래된 장애"))
    bot.settle()
    (old,) = bot.core.incidents.list_open()
    ack(bot.command("resolve 원인", channel=old.channel_id))
    bot.settle()
    clock.advance(days=40)

    # An alert opens a P1 (outage); acknowledged 3 minutes later, resolved 20 minutes in.
    assert _deliver(bot, send.uptimerobot(alert_type="1", at=clock())).status_code == 202
    bot.settle()
    (alerted,) = bot.core.incidents.list_open()
    clock.advance(minutes=3)
    bot.click("ailex.ack", str(alerted.id), channel=alerted.channel_id, user="U0FIRST")
    bot.settle()
    clock.advance(minutes=17)
    resolve_confirmed(bot, "resolve 롤백", channel=alerted.channel_id)
    bot.settle()

    # A declared P2 whose impact began at 14:25 KST (25 minutes after the alert), resolved at
    # 15:00 KST: 35 minutes. No diagnosis: its scenario is unknown.
    clock.advance(minutes=10)
    ack(bot.command("incident start P2 결제 지연"))
    bot.settle()
    declared = next(i for i in bot.core.incidents.list_open() if i.title == "결제 지연")
    ack(bot.command("started 14:25", channel=declared.channel_id))
    clock.advance(minutes=30)
    ack(bot.command("resolve 설정 복구", channel=declared.channel_id))
    bot.settle()

    # An open P3, diagnosed as a deploy failure: counted, no MTTR.
    ack(bot.command("incident start P3 배포 실패"))
    bot.settle()
    (open_one,) = bot.core.incidents.list_open()
    ack(bot.command("diagnose deploy", channel=open_one.channel_id))
    bot.settle()

    figures = bot.core.stats(30).as_json()
    assert figures == {
        "days": 30,
        "incidents": 3,
        "by_severity": {"P1": 1, "P2": 1, "P3": 1},
        "by_scenario": {"deploy": 1, "outage": 1, "unknown": 1},
        "mtta_s": {"median": 180.0, "p90": 180.0, "mean": 180.0},
        "mttr_s": {"median": 1650.0, "p90": 2010.0, "mean": 1650.0},
    }
    assert bot.core.stats(90).as_json()["incidents"] == 4
    assert bot.core.stats(90).as_json()["by_severity"] == {"P1": 2, "P2": 1, "P3": 1}
    # The chart's weeks: each incident in the week it started, with that week's MTTR median.
    weeks = bot.core.stats(30).weeks(bot.core.zone)
    assert sum(sum(w.by_severity.values()) for w in weeks) == 3
    (busy,) = [w for w in weeks if sum(w.by_severity.values())]
    assert busy.mttr_median_s == 1650.0


def test_a_period_without_incidents_has_nulls_where_there_is_no_data(bot):
    figures = bot.core.stats(7).as_json()
    assert list(figures) == [
        "days", "incidents", "by_severity", "by_scenario", "mtta_s", "mttr_s"
    ]  # fmt: skip
    assert figures["incidents"] == 0 and figures["by_scenario"] == {}
    assert figures["mtta_s"] == figures["mttr_s"] == {"median": None, "p90": None, "mean": None}


@pytest.mark.parametrize("days", ["0", "-3", "x", "1.5", ""])
def test_ailex_stats_refuses_a_bad_period_with_one_line(days, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AILEX_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["stats", f"--days={days}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--days" in err


def test_ailex_stats_prints_json_text_and_writes_the_chart(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("AILEX_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    png = tmp_path / "chart.png"
    assert main(["stats", "--days", "7", "--json", "--png", str(png)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["days"] == 7 and shown["incidents"] == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    # Which definition each figure uses (SPEC 9: name it).
    assert "MTTA: 알림이 연 장애의 첫 알림 수신부터 장애 인지까지" in text
    assert "MTTR: 장애 시작" in text and "선형 보간" in text
    monkeypatch.setenv("AILEX_LOCALE", "en")
    assert main(["stats", "--days", "90"]) == 0
    assert "MTTR: from the incident's start" in capsys.readouterr().out
