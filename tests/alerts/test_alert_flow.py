"""An alert opens an incident, others join it, a person acknowledges it, recovery is offered
(SPEC 6, issue 9's user story), driven over real HTTP with deliveries signed as the sources
sign them, against the fake Slack."""

from __future__ import annotations

import json

import pytest

from tests.fakes import alert_senders as send
from tests.harness import FakeClock, ack, flat

ALERT_CHANNEL = "C0ALERTS"
ONCALL = "U0ONCALL1"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def alerting(make_bot, outage_world, clock, default_store_url):
    def build(**extra):
        settings = {
            **outage_world["settings"],
            "AILEX_PROBE_TIMEOUT": "1",
            "AILEX_ALERT_CHANNEL": ALERT_CHANNEL,
            "AILEX_ONCALL": ONCALL,
            "AILEX_UPTIMEROBOT_SECRET": send.UPTIMEROBOT_SECRET,
            "SENTRY_CLIENT_SECRET": send.SENTRY_SECRET,
            "VERCEL_WEBHOOK_SECRET": send.VERCEL_SECRET,
            "GITHUB_WEBHOOK_SECRET": send.GITHUB_SECRET,
            **extra,
        }
        bot = make_bot(clock=clock, **settings)
        bot.slack.add_channel("alerts", channel_id=ALERT_CHANNEL)
        bot.slack.add_user(ONCALL, "oncall")
        return bot

    return build


def deliver(bot, delivery: send.Delivery):
    return bot.http.post(delivery.url_path, content=delivery.body, headers=delivery.headers)


def incidents_of(bot):
    return bot.core.incidents.list_all()


def test_a_down_alert_opens_a_p1_incident_announced_and_diagnosed(alerting, clock):
    bot = alerting()
    answer = deliver(bot, send.uptimerobot(alert_type="1", name="ailex.app", details="HTTP 502"))
    assert answer.status_code == 202, answer.text
    bot.settle()
    (incident,) = incidents_of(bot)
    assert incident.severity == "P1"
    assert incident.title == "UptimeRobot: ailex.app 다운"
    assert incident.commander_id == ""
    channel = incident.channel_id
    assert channel and channel != ALERT_CHANNEL
    # Announced in the alert channel, mentioning the on-call, linking the incident's channel.
    (announce,) = bot.slack.posts(ALERT_CHANNEL)
    assert f"<@{ONCALL}>" in announce["text"] and f"<#{channel}>" in announce["text"]
    # The card waits for acknowledgement; the outage diagnosis is posted, complete.
    card = flat(bot.slack.posts(channel)[0]["blocks"])
    assert "ailex.ack" in card and "인지 대기" in card
    runs = [p for p in bot.slack.posts(channel) if "상황 1" in flat(p.get("blocks"))]
    assert runs, "no outage diagnosis posted"
    assert ONCALL in bot.slack.members.get(channel, set())


def test_a_sentry_alert_a_minute_later_joins_and_runs_its_diagnosis(alerting, clock):
    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="1"))
    bot.settle()
    clock.advance(minutes=1)
    joined = send.sentry_event_alert(title="Error: connect ECONNREFUSED", at=clock())
    assert deliver(bot, joined).status_code == 202
    bot.settle()
    (incident,) = incidents_of(bot)
    kinds = [e.kind for e in bot.core.incidents.events(incident.id)]
    assert kinds.count("alert") == 2
    scenarios = [
        e.data["scenario"] for e in bot.core.incidents.events(incident.id) if e.kind == "diagnosis"
    ]
    assert scenarios == ["outage", "database"]
    # The same delivery again changes nothing; the same alert again only records.
    assert deliver(bot, joined).status_code == 200
    clock.advance(minutes=1)
    again = send.sentry_event_alert(
        title="Error: connect ECONNREFUSED", at=clock(), request_id="another-delivery"
    )
    assert deliver(bot, again).status_code == 202
    bot.settle()
    events = bot.core.incidents.events(incident.id)
    assert [e.kind for e in events].count("alert") == 3
    assert [e.kind for e in events].count("diagnosis") == 2
    assert len(incidents_of(bot)) == 1


def test_acknowledge_makes_the_first_presser_commander_and_knows_mtta(alerting, clock):
    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="1"))
    bot.settle()
    (incident,) = incidents_of(bot)
    clock.advance(minutes=3)
    bot.click("ailex.ack", str(incident.id), channel=incident.channel_id, user="U0FIRST")
    bot.settle()
    answer = bot.command("ack", channel=incident.channel_id, user="U0SECOND")
    bot.settle()
    after = bot.core.incidents.get(incident.id)
    assert after.commander_id == "U0FIRST" and after.acknowledged_by == "U0FIRST"
    acks = [e for e in bot.core.incidents.events(incident.id) if e.kind == "acknowledged"]
    assert len(acks) == 1 and acks[0].data["mtta_s"] == 180
    assert "U0FIRST" in ack(answer)  # the second is told who was first
    # The card, as it is now: commanded by the first, no acknowledge button any more.
    card = flat(bot.slack.posts(incident.channel_id)[0]["blocks"])
    assert "ailex.ack" not in card and "<@U0FIRST>" in card and "3분" in card


def test_up_notice_posts_recovery_reruns_the_diagnosis_and_never_resolves(alerting, clock):
    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    clock.advance(minutes=2)
    deliver(bot, send.uptimerobot(alert_type="2", at=clock()))
    bot.settle()
    (incident,) = incidents_of(bot)
    assert incident.resolved_at is None
    events = bot.core.incidents.events(incident.id)
    assert [e.kind for e in events].count("alert_recovered") == 1
    assert [e.kind for e in events].count("diagnosis") == 2
    recovery = [p for p in bot.slack.posts(incident.channel_id) if "복구 신호" in p["text"]]
    assert recovery and "ailex.resolve" in flat(recovery[0]["blocks"])


def test_triage_mode_posts_declare_and_dismiss_instead(alerting, clock):
    bot = alerting(AILEX_ALERT_MODE="triage")
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    assert incidents_of(bot) == []
    (post,) = bot.slack.posts(ALERT_CHANNEL)
    blocks = flat(post["blocks"])
    assert "ailex.alert.declare" in blocks and "ailex.alert.dismiss" in blocks
    (alert,) = bot.core.alerts.list_all()
    clock.advance(seconds=30)
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    assert len(bot.core.alerts.list_all()) == 2 and incidents_of(bot) == []
    bot.click("ailex.alert.declare", str(alert.id), channel=ALERT_CHANNEL, user="U0TRIAGE")
    bot.settle()
    (incident,) = incidents_of(bot)
    assert incident.commander_id == "U0TRIAGE"
    assert all(a.incident_id == incident.id for a in bot.core.alerts.list_all())


def test_a_failed_deploy_opens_p3_and_a_down_alert_raises_it_to_p1(alerting, clock):
    bot = alerting()
    deliver(bot, send.github_workflow_run(conclusion="failure", at=clock()))
    bot.settle()
    (incident,) = incidents_of(bot)
    assert incident.severity == "P3" and incident.title.startswith("GitHub: ")
    clock.advance(minutes=2)
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    (incident,) = incidents_of(bot)
    assert incident.severity == "P1"
    (raised,) = [e for e in bot.core.incidents.events(incident.id) if e.kind == "severity_changed"]
    assert (
        raised.actor == "bot"
        and raised.data["from"] == "P3"
        and "UptimeRobot" in raised.data["why"]
    )
    # A Vercel production deploy that succeeded is a recovery signal for its own key only.
    deliver(bot, send.vercel_deployment(type="deployment.succeeded", target="production"))
    bot.settle()
    assert [e.kind for e in bot.core.incidents.events(incident.id)].count("alert_recovered") == 0


def test_after_the_grouping_window_a_new_alert_opens_a_new_incident(alerting, clock):
    bot = alerting(AILEX_ALERT_GROUP_MINUTES="0.5")
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    clock.advance(minutes=1)
    deliver(bot, send.github_workflow_run(conclusion="failure", at=clock()))
    bot.settle()
    assert len(incidents_of(bot)) == 2
    # The down alert's key still belongs to the first incident, whatever the window says.
    clock.advance(minutes=10)
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    assert len(incidents_of(bot)) == 2
    first = min(incidents_of(bot), key=lambda i: i.id)
    kinds = [e.kind for e in bot.core.incidents.events(first.id)]
    assert kinds.count("alert") == 2


def test_dismissed_triage_alert_keeps_no_incident_and_cannot_be_declared_after(alerting, clock):
    bot = alerting(AILEX_ALERT_MODE="triage")
    deliver(bot, send.sentry_event_alert(title="TypeError: x is undefined", at=clock()))
    bot.settle()
    (alert,) = bot.core.alerts.list_all()
    assert alert.scenario == "triage"
    bot.click("ailex.alert.dismiss", str(alert.id), channel=ALERT_CHANNEL, user="U0TRIAGE")
    bot.settle()
    (post,) = bot.slack.posts(ALERT_CHANNEL)
    shown = flat(post["blocks"])
    assert "ailex.alert.declare" not in shown and "<@U0TRIAGE>" in shown and "무시" in shown
    bot.click("ailex.alert.declare", str(alert.id), channel=ALERT_CHANNEL, user="U0OTHER")
    bot.settle()
    assert incidents_of(bot) == []
    told = [r.get("text", "") for r in bot.slack.responses if r.get("response_type") == "ephemeral"]
    assert any("이미 처리" in text and "<@U0TRIAGE>" in text for text in told)
    (alert,) = bot.core.alerts.list_all()
    assert alert.incident_id is None and alert.triage == "dismissed"


def test_ssl_expiry_is_announced_and_opens_nothing(alerting, clock):
    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="3", at=clock()))
    bot.settle()
    assert incidents_of(bot) == []
    (post,) = bot.slack.posts(ALERT_CHANNEL)
    assert "UptimeRobot" in post["text"]
    (alert,) = bot.core.alerts.list_all()
    assert alert.state == "info" and alert.incident_id is None


def test_ack_is_only_for_incidents_an_alert_opened(make_bot):
    from tests.harness import declare

    bot = make_bot()
    channel = declare(bot)
    answer = bot.command("ack", channel=channel)
    assert "사람이 선언한 장애" in ack(answer)


def test_the_report_shows_each_alert_and_the_time_to_acknowledge(alerting, clock):
    from bot.incidents.report import render_markdown

    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    clock.advance(seconds=45)
    deliver(bot, send.sentry_event_alert(title="Error: connect ECONNREFUSED", at=clock()))
    bot.settle()
    (incident,) = incidents_of(bot)
    bot.command("ack", channel=incident.channel_id, user="U0FIRST")
    bot.settle()
    incident = bot.core.incidents.get(incident.id)
    report = render_markdown(
        incident,
        bot.core.incidents.events(incident.id),
        t=bot.core.t,
        zone=bot.core.zone,
        now=clock(),
    )
    assert "🔔 UptimeRobot 알림: ailex.app" in report
    assert "🔔 Sentry 알림: Error: connect ECONNREFUSED" in report
    assert "인지까지 걸린 시간: 45초" in report
    assert "장애 인지" in report


def test_ailex_alerts_lists_what_arrived_in_both_languages(
    alerting, clock, monkeypatch, capsys, default_store_url
):
    from bot.cli import main

    bot = alerting()
    deliver(bot, send.uptimerobot(alert_type="1", at=clock()))
    bot.settle()
    monkeypatch.setenv("AILEX_DATABASE_URL", default_store_url)
    capsys.readouterr()
    assert main(["alerts", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert {"id", "source", "key", "state", "summary", "scenario", "received", "incident"} <= set(
        listed
    )
    assert (listed["source"], listed["key"], listed["state"], listed["scenario"]) == (
        "uptimerobot",
        "777",
        "firing",
        "outage",
    )
    assert listed["incident"] == incidents_of(bot)[0].id
    assert main(["alerts"]) == 0
    assert "발생 중" in capsys.readouterr().out
    monkeypatch.setenv("AILEX_LOCALE", "en")
    assert main(["alerts"]) == 0
    assert "firing" in capsys.readouterr().out
