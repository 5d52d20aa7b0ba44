"""SPEC 6 "Reliability" and issue 9's list, over real HTTP: every answer the webhooks owe (202,
200, 401, 404, 413, 400, 405) with nothing stored on a refusal, hostile bodies that never get a
500, a burst across two replicas that opens one incident, alerts kept while Slack is down,
alerts a dead replica left behind, and the UptimeRobot secret kept out of the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.alerts.intake import ORPHAN_AFTER
from storage import alerts as alert_rows
from storage.models import Alert, Base
from tests.fakes import alert_senders as send
from tests.harness import FakeClock

ALERT_CHANNEL = "C0ALERTS"
ONCALL = "U0ONCALL1"
LIMIT = 1_048_576
SECRETS = {
    "AILEX_UPTIMEROBOT_SECRET": send.UPTIMEROBOT_SECRET,
    "SENTRY_CLIENT_SECRET": send.SENTRY_SECRET,
    "VERCEL_WEBHOOK_SECRET": send.VERCEL_SECRET,
    "GITHUB_WEBHOOK_SECRET": send.GITHUB_SECRET,
}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def alerting(make_bot, outage_world, clock):
    """Build a bot that receives alerts; `replica_of` shares that bot's store and Slack."""

    def build(*, store_url: str | None = None, replica_of=None, **extra):
        values = {
            **outage_world["settings"],
            "AILEX_PROBE_TIMEOUT": "1",
            "AILEX_ALERT_CHANNEL": ALERT_CHANNEL,
            "AILEX_ONCALL": ONCALL,
            **SECRETS,
            **extra,
        }
        values = {k: v for k, v in values.items() if v is not None}
        if replica_of is not None:
            return make_bot(
                store_url=replica_of.settings.database_url,
                clock=clock,
                slack=replica_of.slack,
                **values,
            )
        bot = make_bot(store_url=store_url, clock=clock, **values)
        bot.slack.add_channel("alerts", channel_id=ALERT_CHANNEL)
        bot.slack.add_user(ONCALL, "oncall")
        return bot

    return build


def deliver(bot, delivery: send.Delivery):
    return bot.http.post(delivery.url_path, content=delivery.body, headers=delivery.headers)


def assert_nothing_stored(bot) -> None:
    bot.settle()
    assert bot.core.alerts.list_all() == []
    assert list(bot.core.incidents.list_all()) == []


def firing(source: str, clock, n: int = 0) -> send.Delivery:
    """A firing alert of `source` whose key is its own (n tells them apart)."""
    if source == "uptimerobot":
        return send.uptimerobot(monitor_id=f"80{n}", name=f"site-{n}.ailex.app", at=clock())
    if source == "sentry":
        return send.sentry_event_alert(
            title=f"Error: connect ECONNREFUSED 10.0.0.{n % 250}:5432",
            issue_id=f"90{n}",
            at=clock(),
        )
    if source == "vercel":
        return send.vercel_deployment(project_id=f"prj_burst{n}", name=f"ailex-{n}")
    return send.github_workflow_run(
        "failure", path=f"cheesom-max/app{n}/.github/workflows/deploy.yml", run_id=1000 + n
    )


SOURCES = ["uptimerobot", "sentry", "vercel", "github"]


# -- 202 and 200 -------------------------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
def test_a_firing_alert_is_stored_and_answered_202(alerting, clock, source):
    bot = alerting()
    answer = deliver(bot, firing(source, clock))
    assert answer.status_code == 202, answer.text
    (alert,) = bot.core.alerts.list_all()
    assert answer.json()["alert"] == alert.id and alert.source == source
    bot.settle()
    (incident,) = bot.core.incidents.list_all()
    assert bot.core.alerts.list_all()[0].incident_id == incident.id


def _again(source: str, first: send.Delivery, clock) -> send.Delivery:
    """Another delivery with the first's delivery id, but a body that differs otherwise."""
    if source == "uptimerobot":
        # Same monitor, alert type and alertDateTime; other details, the secret in a header.
        return send.uptimerobot(
            monitor_id="800",
            name="site-0.ailex.app",
            details="HTTP 503 - Service Unavailable",
            duration="60",
            at=clock(),
            secret_in="header",
        )
    if source == "sentry":
        return send.sentry_event_alert(
            title="Error: something else", at=clock(), request_id=first.headers["Request-ID"]
        )
    if source == "vercel":
        delivery_id = json.loads(first.body)["id"]
        return send.vercel_deployment(deployment_id="dpl_other", delivery_id=delivery_id)
    return send.github_workflow_run(
        "timed_out", run_id=5, delivery=first.headers["X-GitHub-Delivery"]
    )


@pytest.mark.parametrize("source", SOURCES)
def test_a_repeated_delivery_is_answered_200_and_stores_nothing_new(alerting, clock, source):
    bot = alerting()
    first = firing(source, clock)
    assert deliver(bot, first).status_code == 202
    bot.settle()
    before = bot.core.incidents.events(1)
    for repeat in (first, _again(source, first, clock)):
        answer = deliver(bot, repeat)
        assert answer.status_code == 200, answer.text
    bot.settle()
    assert len(bot.core.alerts.list_all()) == 1
    assert len(bot.core.incidents.list_all()) == 1
    assert len(bot.core.incidents.events(1)) == len(before)


def test_one_delivery_sent_ten_times_at_once_is_stored_once(alerting, clock):
    bot = alerting()
    delivery = send.sentry_event_alert(at=clock())
    with ThreadPoolExecutor(10) as pool:
        codes = sorted(pool.map(lambda _: deliver(bot, delivery).status_code, range(10)))
    assert codes == [200] * 9 + [202]
    bot.settle()
    assert len(bot.core.alerts.list_all()) == 1


def _ignored(clock) -> list[send.Delivery]:
    return [
        send.github_ping(),
        send.sentry_installation(at=clock()),
        send.vercel_deployment("deployment.created"),
        send.github_workflow_run("success", path=".github/workflows/ci.yml", name="CI"),
    ]


def test_ignored_events_are_answered_200_and_stored_nowhere(alerting, clock):
    bot = alerting()
    for delivery in _ignored(clock):
        answer = deliver(bot, delivery)
        assert answer.status_code == 200, (delivery.path, answer.text)
        assert "alert" not in answer.json()
    assert_nothing_stored(bot)
    assert bot.slack.posts(ALERT_CHANNEL) == []


def _cli_alerts(bot, clean_env) -> list[dict[str, Any]]:
    """`ailex alerts --json`, the installed console script, against the bot's store."""
    script = Path(sys.executable).with_name("ailex")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    listed = subprocess.run(
        [*command, "alerts", "--json"],
        env={**clean_env, "AILEX_DATABASE_URL": bot.settings.database_url},
        cwd=os.getcwd(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(listed.stdout)


def test_ailex_alerts_lists_the_stored_alert_and_none_of_the_ignored(alerting, clock, clean_env):
    bot = alerting()
    for delivery in _ignored(clock):
        assert deliver(bot, delivery).status_code == 200
    assert _cli_alerts(bot, clean_env) == []
    assert deliver(bot, send.uptimerobot(monitor_id="777", name="ailex.app")).status_code == 202
    bot.settle()
    (incident,) = bot.core.incidents.list_all()
    (listed,) = _cli_alerts(bot, clean_env)
    assert {"id", "source", "key", "state", "summary", "scenario", "received", "incident"} <= set(
        listed
    )
    assert listed["source"] == "uptimerobot" and listed["key"] == "777"
    assert listed["state"] == "firing" and listed["scenario"] == "outage"
    assert listed["incident"] == incident.id and isinstance(listed["id"], int)
    assert "ailex.app" in listed["summary"]
    assert datetime.fromisoformat(listed["received"]).tzinfo is not None


# -- 401 ---------------------------------------------------------------------------------------
def _unauthenticated(clock) -> list[tuple[str, send.Delivery]]:
    wrong = "not-the-secret"
    stripped = send.sentry_event_alert(at=clock())
    sentry_headers = {k: v for k, v in stripped.headers.items() if k != "Sentry-Hook-Signature"}
    github = send.github_workflow_run("failure")
    github_headers = {
        k: v for k, v in github.headers.items() if not k.startswith("X-Hub-Signature")
    }
    vercel = send.vercel_deployment()
    tampered = replace(vercel, body=vercel.body.replace(b"production", b"productioN"))
    return [
        ("uptimerobot wrong secret", send.uptimerobot(secret=wrong)),
        ("uptimerobot wrong header", send.uptimerobot(secret=wrong, secret_in="header")),
        ("uptimerobot no secret", send.uptimerobot(secret=None)),
        ("uptimerobot empty secret", send.uptimerobot(secret="")),
        ("sentry wrong", send.sentry_event_alert(at=clock(), secret=wrong)),
        ("sentry missing", replace(stripped, headers=sentry_headers)),
        ("vercel wrong", send.vercel_deployment(secret=wrong)),
        ("vercel missing", replace(vercel, headers={"Content-Type": "application/json"})),
        ("vercel body changed", tampered),
        ("github wrong", send.github_workflow_run("failure", secret=wrong)),
        ("github missing", replace(github, headers=github_headers)),
        ("github ping wrong", send.github_ping(secret=wrong)),
        ("sentry installation wrong", send.sentry_installation(at=clock(), secret=wrong)),
    ]


def test_a_wrong_or_missing_secret_or_signature_is_401_and_stores_nothing(alerting, clock):
    bot = alerting()
    for what, delivery in _unauthenticated(clock):
        answer = deliver(bot, delivery)
        assert answer.status_code == 401, (what, answer.status_code, answer.text)
    assert_nothing_stored(bot)


def test_a_sentry_timestamp_over_five_minutes_old_is_401(alerting, clock):
    bot = alerting()
    stale = send.sentry_event_alert(at=clock() - timedelta(minutes=5, seconds=30))
    assert deliver(bot, stale).status_code == 401
    missing = send.sentry_event_alert(at=clock())
    headers = {k: v for k, v in missing.headers.items() if k != "Sentry-Hook-Timestamp"}
    assert deliver(bot, replace(missing, headers=headers)).status_code == 401
    assert_nothing_stored(bot)
    # Four minutes late is within the tolerance, by the bot's clock, not the wall's.
    late = send.sentry_event_alert(at=clock() - timedelta(minutes=4))
    assert deliver(bot, late).status_code == 202
    clock.advance(minutes=10)
    assert deliver(bot, send.sentry_event_alert(at=clock())).status_code == 202


# -- 404, 405 ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "setting"),
    [
        ("uptimerobot", "AILEX_UPTIMEROBOT_SECRET"),
        ("sentry", "SENTRY_CLIENT_SECRET"),
        ("vercel", "VERCEL_WEBHOOK_SECRET"),
        ("github", "GITHUB_WEBHOOK_SECRET"),
    ],
)
def test_a_source_whose_secret_is_unset_is_404(alerting, clock, source, setting):
    bot = alerting(**{setting: None})
    answer = deliver(bot, firing(source, clock))
    assert answer.status_code == 404, answer.text
    assert bot.http.get(f"/webhooks/{source}").status_code == 404
    assert_nothing_stored(bot)


@pytest.mark.parametrize("path", ["/webhooks/pagerduty", "/webhooks/", "/webhooks/Sentry"])
def test_an_unknown_source_is_404(alerting, clock, path):
    bot = alerting()
    delivery = send.sentry_event_alert(at=clock())
    answer = bot.http.post(path, content=delivery.body, headers=delivery.headers)
    assert answer.status_code == 404
    assert_nothing_stored(bot)


@pytest.mark.parametrize("source", SOURCES)
def test_get_is_405(alerting, clock, source):
    bot = alerting()
    delivery = firing(source, clock)
    answer = bot.http.get(delivery.url_path, headers=delivery.headers)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert_nothing_stored(bot)


# -- 413 ---------------------------------------------------------------------------------------
def _oversized(source: str, clock) -> send.Delivery:
    """A correctly signed delivery one byte over 1 MiB (a JSON object padded to size)."""
    base = firing(source, clock)
    payload = json.loads(base.body) if base.body else {}
    payload["padding"] = ""
    room = LIMIT + 1 - len(json.dumps(payload, separators=(",", ":")).encode())
    payload["padding"] = "x" * room
    body = json.dumps(payload, separators=(",", ":")).encode()
    assert len(body) == LIMIT + 1
    secret = {"sentry": send.SENTRY_SECRET, "vercel": send.VERCEL_SECRET}.get(
        source, send.GITHUB_SECRET
    )
    headers = dict(base.headers)
    headers["Content-Type"] = "application/json"
    return send.resigned(replace(base, body=body, headers=headers), secret)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_over_one_mebibyte_is_413(alerting, clock, source, framing):
    bot = alerting()
    delivery = _oversized(source, clock)
    if framing == "chunked":

        def chunks():
            for start in range(0, len(delivery.body), 65536):
                yield delivery.body[start : start + 65536]

        content: Any = chunks()
    else:
        content = delivery.body
    answer = bot.http.post(delivery.url_path, content=content, headers=delivery.headers)
    assert answer.status_code == 413, answer.text
    assert_nothing_stored(bot)
    # Exactly the limit is not refused for its size.
    assert deliver(bot, firing(source, clock, 1)).status_code == 202


def test_a_body_of_exactly_one_mebibyte_is_read(alerting, clock):
    bot = alerting()
    base = send.sentry_event_alert(at=clock())
    payload = json.loads(base.body)
    payload["padding"] = ""
    room = LIMIT - len(json.dumps(payload, separators=(",", ":")).encode())
    payload["padding"] = "x" * room
    body = json.dumps(payload, separators=(",", ":")).encode()
    assert len(body) == LIMIT
    answer = deliver(bot, send.resigned(replace(base, body=body), send.SENTRY_SECRET))
    assert answer.status_code == 202, answer.text


# -- 400 ---------------------------------------------------------------------------------------
def _signed(source: str, body: bytes, clock, **kw) -> send.Delivery:
    if source == "sentry":
        return send.sentry_raw(body, resource=kw.get("resource", "event_alert"), at=clock())
    if source == "vercel":
        return send.vercel_raw(body)
    if source == "github":
        return send.github_raw(body, event=kw.get("event", "workflow_run"))
    return send.Delivery(
        "/webhooks/uptimerobot",
        body,
        {"Content-Type": kw.get("content_type", "application/json")},
        f"secret={send.UPTIMEROBOT_SECRET}",
    )


def _with(delivery: send.Delivery, change) -> bytes:
    payload = json.loads(delivery.body)
    change(payload)
    return json.dumps(payload).encode()


def _unreadable(clock) -> list[tuple[str, send.Delivery]]:
    cases: list[tuple[str, send.Delivery]] = []
    for source in SOURCES:
        cases += [
            (f"{source} not JSON", _signed(source, b"{not json", clock)),
            (f"{source} not UTF-8", _signed(source, b'{"a": "\xff\xfe"}', clock)),
            (f"{source} a list", _signed(source, b"[1, 2, 3]", clock)),
        ]
    ur = send.uptimerobot()
    sentry = send.sentry_event_alert(at=clock())
    issue = send.sentry_issue(at=clock())
    metric = send.sentry_metric_alert(at=clock())
    vercel = send.vercel_deployment()
    github = send.github_workflow_run("failure")

    def drop(*path):
        def change(payload):
            for part in path[:-1]:
                payload = payload[part]
            del payload[path[-1]]

        return change

    def put(value, *path):
        def change(payload):
            for part in path[:-1]:
                payload = payload[part]
            payload[path[-1]] = value

        return change

    cases += [
        ("uptimerobot no monitorID", _signed("uptimerobot", _with(ur, drop("monitorID")), clock)),
        (
            "uptimerobot alertType 9",
            _signed("uptimerobot", _with(ur, put("9", "alertType")), clock),
        ),
        (
            "uptimerobot alertType list",
            _signed("uptimerobot", _with(ur, put(["1"], "alertType")), clock),
        ),
        (
            "uptimerobot monitorID object",
            _signed("uptimerobot", _with(ur, put({"a": 1}, "monitorID")), clock),
        ),
        (
            "uptimerobot form without fields",
            _signed(
                "uptimerobot",
                b"alertType=1",
                clock,
                content_type="application/x-www-form-urlencoded",
            ),
        ),
        ("sentry no data", _signed("sentry", _with(sentry, drop("data")), clock)),
        ("sentry data a string", _signed("sentry", _with(sentry, put("x", "data")), clock)),
        ("sentry event a list", _signed("sentry", _with(sentry, put([], "data", "event")), clock)),
        (
            "sentry title a list",
            _signed("sentry", _with(sentry, put(["t"], "data", "event", "title")), clock),
        ),
        (
            "sentry level true",
            _signed("sentry", _with(sentry, put(True, "data", "event", "level")), clock),
        ),
        (
            "sentry no ids",
            _signed(
                "sentry",
                _with(
                    sentry,
                    lambda p: [p["data"]["event"].pop(k) for k in ("issue_id", "event_id")],
                ),
                clock,
            ),
        ),
        (
            "sentry issue without id",
            _signed("sentry", _with(issue, drop("data", "issue", "id")), clock, resource="issue"),
        ),
        (
            "sentry metric id NaN",
            send.sentry_raw(
                metric.body.replace(b'"id":"98765"', b'"id":NaN'),
                resource="metric_alert",
                at=clock(),
            ),
        ),
        ("vercel no id", _signed("vercel", _with(vercel, drop("id")), clock)),
        ("vercel payload a list", _signed("vercel", _with(vercel, put([], "payload")), clock)),
        ("vercel type a number", _signed("vercel", _with(vercel, put({"t": 1}, "type")), clock)),
        (
            "vercel deployment a string",
            _signed("vercel", _with(vercel, put("d", "payload", "deployment")), clock),
        ),
        (
            "github no workflow_run",
            _signed("github", _with(github, drop("workflow_run")), clock),
        ),
        (
            "github no path",
            _signed("github", _with(github, drop("workflow_run", "path")), clock),
        ),
        (
            "github path an object",
            _signed("github", _with(github, put({"p": 1}, "workflow_run", "path")), clock),
        ),
    ]
    return cases


def test_an_unreadable_body_is_400_and_stores_nothing(alerting, clock):
    bot = alerting()
    wrong = []
    for what, delivery in _unreadable(clock):
        answer = deliver(bot, delivery)
        if answer.status_code != 400:
            wrong.append((what, answer.status_code, answer.text))
    assert wrong == []
    assert_nothing_stored(bot)


def test_a_content_length_that_is_not_a_number_is_400(alerting, clock):
    bot = alerting()
    import http.client

    delivery = send.sentry_event_alert(at=clock())
    connection = http.client.HTTPConnection("127.0.0.1", bot.server.server_port, timeout=10)
    try:
        connection.putrequest("POST", delivery.path)
        for name, value in delivery.headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", "lots")
        connection.endheaders()
        assert connection.getresponse().status == 400
    finally:
        connection.close()
    assert_nothing_stored(bot)


# -- hostile bodies ----------------------------------------------------------------------------
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["\x00", "\ud800", "\u202e", "1", "2", "3", "production", "critical"])
    # Times as the sources write them, at the calendar's edges and with any offset.
    | st.builds(
        lambda at, offset: at.isoformat() + offset,
        st.datetimes(),
        st.sampled_from(["", "Z", "+14:00", "-23:59", "+00:00"]),
    )
    | st.sampled_from(["1e20", "-1e20", "NaN", "253402300800", "-62135596801"])
)
_json_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    return found


@st.composite
def _mutated(draw, template: bytes) -> bytes:
    """A real delivery's JSON with one of its fields (or the whole) replaced by any JSON."""
    payload = json.loads(template)
    path = draw(st.sampled_from(_paths(payload)))
    value = draw(_json_values)
    if not path:
        return json.dumps(value).encode()
    target = payload
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return json.dumps(payload, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def _bodies(template: bytes):
    return (
        st.binary(max_size=200)
        | _mutated(template)
        | _json_values.map(lambda v: json.dumps(v).encode())
    )


HOSTILE = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ALLOWED = {200, 202, 400, 413}


def _hostile(bot, delivery: send.Delivery) -> None:
    answer = deliver(bot, delivery)
    assert answer.status_code in ALLOWED, (answer.status_code, answer.text, delivery.body[:300])
    assert bot.http.get("/healthz").status_code == 200


@pytest.fixture
def hostile_bot(alerting, store_url):
    return alerting(store_url=store_url)


@HOSTILE
@given(data=st.data())
def test_hostile_uptimerobot_bodies_never_get_a_500(hostile_bot, clock, data):
    template = send.uptimerobot().body
    how = data.draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    body = data.draw(_bodies(template) | st.text(max_size=200).map(str.encode))
    query = data.draw(st.text(max_size=40)).encode("utf-8", "surrogatepass")
    delivery = send.Delivery(
        "/webhooks/uptimerobot",
        body,
        {"Content-Type": how},
        f"secret={send.UPTIMEROBOT_SECRET}&monitorID={query.hex()}",
    )
    _hostile(hostile_bot, delivery)


@HOSTILE
@given(data=st.data())
def test_hostile_sentry_bodies_never_get_a_500(hostile_bot, clock, data):
    kind = data.draw(st.sampled_from(["event_alert", "issue", "metric_alert", "error", ""]))
    template = {
        "event_alert": send.sentry_event_alert(at=clock()),
        "issue": send.sentry_issue(at=clock()),
        "metric_alert": send.sentry_metric_alert(at=clock()),
    }.get(kind, send.sentry_event_alert(at=clock()))
    body = data.draw(_bodies(template.body))
    request_id = data.draw(st.sampled_from(["", "same", None]))
    _hostile(
        hostile_bot,
        send.sentry_raw(body, resource=kind, at=clock(), request_id=request_id or None),
    )


@HOSTILE
@given(data=st.data())
def test_hostile_vercel_bodies_never_get_a_500(hostile_bot, clock, data):
    body = data.draw(_bodies(send.vercel_deployment().body))
    _hostile(hostile_bot, send.vercel_raw(body))


@HOSTILE
@given(data=st.data())
def test_hostile_github_bodies_never_get_a_500(hostile_bot, clock, data):
    event = data.draw(st.sampled_from(["workflow_run", "ping", "push"]))
    body = data.draw(_bodies(send.github_workflow_run("failure").body))
    _hostile(hostile_bot, send.github_raw(body, event=event))


def test_the_bot_still_stores_alerts_after_hostile_bodies(hostile_bot, clock):
    for body in (b"\x00" * 100, b'{"data": {"event": {"title": "\\u0000\\ud800"}}}', b"[" * 5000):
        for source in SOURCES:
            assert deliver(hostile_bot, _signed(source, body, clock)).status_code in ALLOWED
    assert deliver(hostile_bot, firing("sentry", clock)).status_code == 202
    hostile_bot.settle()
    assert len(hostile_bot.core.alerts.list_all()) == 1


# -- a burst across two replicas -----------------------------------------------------------------
def _burst(clock, count: int) -> list[send.Delivery]:
    return [firing(SOURCES[n % 4], clock, n) for n in range(count)]


def test_a_burst_across_two_replicas_opens_one_incident(alerting, clock, store_url):
    first = alerting(store_url=store_url)
    second = alerting(replica_of=first)
    replicas = [first, second]
    deliveries = _burst(clock, 100)

    def post(indexed):
        n, delivery = indexed
        return deliver(replicas[n % 2], delivery).status_code

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(post, enumerate(deliveries)))
    assert codes == [202] * 100
    for replica in replicas:
        replica.settle(timeout=90)
    first.settle(timeout=90)
    (incident,) = first.core.incidents.list_all()
    assert incident.resolved_at is None
    stored = first.core.alerts.list_all()
    assert len(stored) == 100
    assert len({(a.source, a.key) for a in stored}) == 100
    assert {a.incident_id for a in stored} == {incident.id}
    assert all(a.handled_at is not None for a in stored)
    alert_events = [e for e in first.core.incidents.events(incident.id) if e.kind == "alert"]
    assert sorted(e.data["alert_id"] for e in alert_events) == sorted(a.id for a in stored)
    # One announcement in the alert channel, one incident channel.
    assert len(first.slack.posts(ALERT_CHANNEL)) == 1
    assert len(first.slack.calls("conversations.create")) == 1


# -- Slack down during a burst -------------------------------------------------------------------
@pytest.mark.parametrize("outage", ["errors", "hang"])
def test_alerts_are_stored_and_handled_while_slack_is_down(alerting, clock, store_url, outage):
    bot = alerting(store_url=store_url, slack_timeout=1)
    for method in ("conversations.create", "chat.postMessage", "chat.update"):
        if outage == "errors":
            bot.slack.server_error(method, status=503, times=6)
            bot.slack.rate_limit(method, retry_after=20, times=3)
        else:
            # Slack takes the call and never answers in time: the bot hears a timeout.
            bot.slack.hang(method, seconds=2, times=3)
    deliveries = _burst(clock, 20)
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda d: deliver(bot, d).status_code, deliveries))
    assert codes == [202] * 20
    bot.settle(timeout=60)
    (incident,) = bot.core.incidents.list_all()
    stored = bot.core.alerts.list_all()
    assert len(stored) == 20
    assert all(a.handled_at is not None and a.incident_id == incident.id for a in stored)
    kinds = [e.kind for e in bot.core.incidents.events(incident.id)]
    assert kinds.count("alert") == 20 and "diagnosis" in kinds
    assert bot.slack.posts(ALERT_CHANNEL) == [] and not bot.slack.channels
    # Slack comes back once its faults are used up: retried by the bot's clock, with backoff.
    for _ in range(40):
        clock.advance(minutes=6)
        bot.settle(timeout=60)
        incident = bot.core.incidents.get(incident.id)
        if bot.slack.posts(ALERT_CHANNEL) and bot.slack.posts(incident.channel_id):
            break
    (announce,) = bot.slack.posts(ALERT_CHANNEL)
    assert f"<@{ONCALL}>" in announce["text"]
    posts = bot.slack.posts(incident.channel_id)
    assert "ailex.ack" in json.dumps(posts[0].get("blocks"))
    for _ in range(20):
        if any("상황 1" in json.dumps(p.get("blocks"), ensure_ascii=False) for p in posts):
            break
        clock.advance(minutes=6)
        bot.settle(timeout=60)
        posts = bot.slack.posts(incident.channel_id)
    assert any("상황 1" in json.dumps(p.get("blocks"), ensure_ascii=False) for p in posts)


# -- orphans -----------------------------------------------------------------------------------
def _store_orphan(bot, clock, n: int) -> int:
    """Store an alert as the intake does, then die before handling it (no spawn)."""
    with bot.store.write() as session:
        alert_id = alert_rows.add(
            session,
            source="uptimerobot",
            delivery_id=f"90{n}:1:{n}",
            key=f"90{n}",
            state="firing",
            kind="down",
            name=f"orphan-{n}.ailex.app",
            summary="HTTP 502 - Bad Gateway",
            level=None,
            url="https://ailex.app",
            details={"alert_type": "Down"},
            scenario="outage",
            severity="P1",
            received_at=clock(),
            occurred_at=clock(),
        )
    assert alert_id is not None
    return alert_id


def test_an_orphan_alert_is_handled_once_by_one_replica(alerting, clock, store_url):
    first = alerting(store_url=store_url)
    second = alerting(replica_of=first)
    alert_id = _store_orphan(first, clock, 1)
    # Too young: the replica that stored it may still be handling it.
    assert first.core.alerts.handle_orphans() == 0
    clock.advance(seconds=ORPHAN_AFTER.total_seconds() + 1)
    assert first.core.alerts.handle_orphans() == 1
    assert first.core.alerts.handle_orphans() == 0
    assert second.core.alerts.handle_orphans() == 0
    first.settle()
    (incident,) = first.core.incidents.list_all()
    (alert,) = first.core.alerts.list_all()
    assert alert.id == alert_id and alert.incident_id == incident.id
    assert [e.kind for e in first.core.incidents.events(incident.id)].count("alert") == 1


def test_orphans_sought_by_two_replicas_at_once_are_each_handled_once(alerting, clock, store_url):
    first = alerting(store_url=store_url)
    second = alerting(replica_of=first)
    ids = [_store_orphan(first, clock, n) for n in range(5)]
    clock.advance(seconds=ORPHAN_AFTER.total_seconds() + 1)
    start = threading.Barrier(2)

    def seek(replica):
        start.wait()
        return replica.core.alerts.handle_orphans()

    with ThreadPoolExecutor(2) as pool:
        handled = list(pool.map(seek, [first, second]))
    assert sum(handled) == 5
    first.settle()
    second.settle()
    (incident,) = first.core.incidents.list_all()
    events = [e for e in first.core.incidents.events(incident.id) if e.kind == "alert"]
    assert sorted(e.data["alert_id"] for e in events) == ids


# -- secrets -----------------------------------------------------------------------------------
def _everything_stored(bot) -> str:
    """Every row of every table of the store, as text."""
    dumped = []
    with bot.store.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                dumped.append(repr(tuple(row)))
    return "\n".join(dumped)


def test_the_uptimerobot_secret_is_stored_nowhere(alerting, clock, store_url):
    bot = alerting(store_url=store_url)
    secret = send.UPTIMEROBOT_SECRET
    down = send.uptimerobot(
        name=f"ailex.app {secret}",
        url=f"https://ailex.app/health?secret={secret}",
        details=f"HTTP 502 - {secret}",
        at=clock(),
    )
    assert deliver(bot, down).status_code == 202
    assert deliver(bot, send.uptimerobot(monitor_id="778", secret_in="header")).status_code == 202
    form = send.uptimerobot(monitor_id="779", how="form", at=clock())
    assert deliver(bot, form).status_code == 202
    bot.settle()
    with bot.store.read() as session:
        rows = session.scalars(select(Alert)).all()
        assert len(rows) == 3
        for row in rows:
            for value in (row.details, row.summary, row.url, row.name, row.key, row.delivery_id):
                assert secret not in json.dumps(value), (row.id, value)
    (incident,) = bot.core.incidents.list_all()
    for event in bot.core.incidents.events(incident.id):
        assert secret not in (event.text or "") and secret not in json.dumps(event.data)
    assert secret not in _everything_stored(bot)
    assert secret not in json.dumps([r.body.decode("utf-8", "replace") for r in bot.slack.requests])


# -- times at the edge of the calendar ---------------------------------------------------------
_EDGE_TIMES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("stamp", _EDGE_TIMES)
def test_an_event_time_past_the_calendar_in_utc_is_stored_not_a_500(alerting, clock, stamp):
    """A readable ISO time whose UTC form falls outside years 1 to 9999 is no time at all."""
    bot = alerting()
    event = send.sentry_event_alert(at=clock())
    body = event.body.replace(
        json.dumps(json.loads(event.body)["data"]["event"]["datetime"]).encode(),
        json.dumps(stamp).encode(),
    )
    assert stamp.encode() in body
    answer = deliver(bot, send.resigned(replace(event, body=body), send.SENTRY_SECRET))
    assert answer.status_code == 202, answer.text
    metric = send.sentry_metric_alert(at=clock())
    payload = json.loads(metric.body)
    payload["data"]["metric_alert"]["date_started"] = stamp
    delivery = send.sentry_raw(json.dumps(payload).encode(), resource="metric_alert", at=clock())
    assert deliver(bot, delivery).status_code == 202
    run = send.github_workflow_run("failure")
    payload = json.loads(run.body)
    payload["workflow_run"]["updated_at"] = stamp
    assert (
        deliver(
            bot, send.github_raw(json.dumps(payload).encode(), event="workflow_run")
        ).status_code
        == 202
    )
    bot.settle()
    assert len(bot.core.alerts.list_all()) == 3


# -- `ailex serve` as deployed: gunicorn reads the body, Socket Mode still listens --------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(env: dict[str, str], args: list[str], cwd, *, port: int):
    """Start `ailex serve` and wait for /healthz; yield its base URL; stop it."""
    import signal
    import time

    import httpx

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"ailex serve never answered /healthz (exit {process.poll()})")
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


def _stored_in(url: str) -> list[Alert]:
    from storage import Store

    store = Store(url)
    try:
        with store.read() as session:
            return list(alert_rows.list_all(session))
    finally:
        store.dispose()


def test_served_by_gunicorn_a_chunked_body_is_read_and_an_oversized_one_refused(
    tmp_path, clean_env
):
    import httpx

    from tests.fakes.slack import TOKEN, FakeSlack
    from tests.harness import SIGNING_SECRET

    store_url = f"sqlite:///{tmp_path / 'serve.db'}"
    with FakeSlack() as slack:
        env = {
            **clean_env,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{slack.url}/api/",
            "AILEX_DATABASE_URL": store_url,
            "AILEX_SITE_URL": "http://127.0.0.1:9/",
            "AILEX_PROBE_TIMEOUT": "1",
            **SECRETS,
        }
        serving = _serving(env, ["--workers", "1", "--threads", "4"], tmp_path, port=_free_port())
        url = next(serving)
        try:
            down = send.uptimerobot(monitor_id="4242")

            def chunks(body: bytes, size: int = 7):
                for start in range(0, len(body), size):
                    yield body[start : start + size]

            answer = httpx.post(
                f"{url}{down.url_path}", content=chunks(down.body), headers=down.headers
            )
            assert answer.status_code == 202, answer.text
            big = _oversized("sentry", FakeClock())
            # A connection each: gunicorn closes a kept-alive one whose refused body it would
            # have to drain past 64 KiB, so a client reusing it would lose the next request.
            for content in (big.body, chunks(big.body, 65536)):
                answer = httpx.post(f"{url}{big.url_path}", content=content, headers=big.headers)
                assert answer.status_code == 413
            (alert,) = _stored_in(store_url)
            assert alert.key == "4242"
        finally:
            serving.close()
