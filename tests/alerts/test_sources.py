"""Reading webhook deliveries as the services send them (SPEC 6): authentication on the raw
bytes, what counts as firing, resolved, info or ignored, and what is refused with which status."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.signal import AlertState, Ignored, Refused, Signal, Source
from bot.alerts.sources import MAX_BODY_BYTES, Secrets, read
from tests.fakes import alert_senders as send
from tests.fakes.alert_senders import Delivery

NOW = datetime(2025, 3, 14, 1, 30, 20, tzinfo=UTC)
SECRETS = Secrets(
    uptimerobot=send.UPTIMEROBOT_SECRET,
    sentry=send.SENTRY_SECRET,
    vercel=send.VERCEL_SECRET,
    github=send.GITHUB_SECRET,
)
SOURCE_OF = {
    "/webhooks/uptimerobot": Source.UPTIMEROBOT,
    "/webhooks/sentry": Source.SENTRY,
    "/webhooks/vercel": Source.VERCEL,
    "/webhooks/github": Source.GITHUB,
}
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def deliver(
    delivery: Delivery,
    *,
    secrets: Secrets = SECRETS,
    now: datetime = NOW,
    workflow: str = "deploy.yml",
) -> Signal | Ignored:
    return read(
        SOURCE_OF[delivery.path],
        body=delivery.body,
        headers=delivery.headers,
        query=delivery.query,
        secrets=secrets,
        now=now,
        workflow=workflow,
    )


def signal_of(delivery: Delivery, **kwargs: Any) -> Signal:
    result = deliver(delivery, **kwargs)
    assert isinstance(result, Signal), result
    return result


def refused(delivery: Delivery, **kwargs: Any) -> int:
    with pytest.raises(Refused) as caught:
        deliver(delivery, **kwargs)
    return caught.value.status


def with_headers(delivery: Delivery, **changes: str | None) -> Delivery:
    headers = {k: v for k, v in delivery.headers.items() if k not in changes}
    headers.update({k: v for k, v in changes.items() if v is not None})
    return replace(delivery, headers=headers)


def displayable(signal: Signal) -> list[str]:
    return [
        signal.delivery_id,
        signal.key,
        signal.name,
        signal.summary,
        signal.text,
        signal.url or "",
        *signal.details.keys(),
        *signal.details.values(),
    ]


# --- UptimeRobot -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["json", "form", "query"])
def test_uptimerobot_down_fires_however_the_values_arrive(how: str) -> None:
    signal = signal_of(send.uptimerobot(how=how, alert_type="1", duration="93"))
    at = int(send.DEFAULT_AT.timestamp())
    assert signal.source is Source.UPTIMEROBOT
    assert signal.state is AlertState.FIRING
    assert signal.kind == "down"
    assert signal.key == "777"
    assert signal.delivery_id == f"777:1:{at}"
    assert signal.name == "ailex.app"
    assert signal.summary == "HTTP 502 - Bad Gateway"
    assert signal.url == "https://ailex.app"
    assert signal.occurred_at == send.DEFAULT_AT
    assert signal.details["duration_seconds"] == "93"


def test_uptimerobot_secret_in_the_header_authenticates() -> None:
    assert signal_of(send.uptimerobot(secret_in="header")).state is AlertState.FIRING


def test_uptimerobot_up_resolves_and_ssl_expiry_is_info() -> None:
    up = signal_of(send.uptimerobot(alert_type="2"))
    assert (up.state, up.kind, up.summary) == (AlertState.RESOLVED, "up", "HTTP 200 - OK")
    ssl = signal_of(
        send.uptimerobot(alert_type="3", ssl_expiry_date="2025-04-01", ssl_days_left="7")
    )
    assert (ssl.state, ssl.kind) == (AlertState.INFO, "ssl")
    assert ssl.details["ssl_expiry_days_left"] == "7"
    assert ssl.details["ssl_expiry_date"] == "2025-04-01"


def test_uptimerobot_keys_are_case_insensitive_and_values_may_be_numbers() -> None:
    body = json.dumps({"MONITORID": 777, "alerttype": 1, "monitorfriendlyname": "ailex.app"})
    delivery = Delivery("/webhooks/uptimerobot", body.encode(), {}, "secret=" + SECRETS_UR)
    signal = signal_of(delivery)
    assert (signal.key, signal.kind, signal.name) == ("777", "down", "ailex.app")


SECRETS_UR = send.UPTIMEROBOT_SECRET


def test_uptimerobot_values_split_between_query_and_form_body() -> None:
    delivery = Delivery(
        "/webhooks/uptimerobot",
        b"alertType=1&alertDetails=Connection+Timeout",
        {"Content-Type": "application/x-www-form-urlencoded"},
        f"secret={SECRETS_UR}&monitorID=42&monitorURL=https%3A%2F%2Failex.app%2Fapi",
    )
    signal = signal_of(delivery)
    assert (signal.key, signal.summary) == ("42", "Connection Timeout")
    assert signal.name == "https://ailex.app/api"  # no friendly name: the URL names it


def test_uptimerobot_names_the_monitor_by_id_when_nothing_else() -> None:
    delivery = Delivery(
        "/webhooks/uptimerobot", b"", {}, f"secret={SECRETS_UR}&monitorID=9&alertType=1"
    )
    assert signal_of(delivery).name == "9"


@pytest.mark.parametrize(
    "changes",
    [
        {"secret": "wrong", "secret_in": "query"},
        {"secret": "wrong", "secret_in": "header"},
        {"secret": send.UPTIMEROBOT_SECRET + "x", "secret_in": "query"},
        {"secret": "", "secret_in": "query"},
        {"secret": None},
    ],
)
def test_uptimerobot_wrong_or_missing_secret_is_401(changes: dict[str, Any]) -> None:
    assert refused(send.uptimerobot(**changes)) == 401


def test_uptimerobot_refuses_missing_monitor_id_and_unknown_alert_type() -> None:
    base = f"secret={SECRETS_UR}"
    assert refused(Delivery("/webhooks/uptimerobot", b"", {}, base + "&alertType=1")) == 400
    assert refused(send.uptimerobot(alert_type="4")) == 400
    assert refused(send.uptimerobot(alert_type="")) == 400


def test_uptimerobot_secret_never_reaches_the_signal() -> None:
    secret = send.UPTIMEROBOT_SECRET
    delivery = send.uptimerobot(
        how="query",
        details=f"GET https://ailex.app/?secret={secret} failed",
        url=f"https://ailex.app/?secret={secret}",
        name=f"ailex {secret}",
    )
    signal = signal_of(delivery)
    assert secret not in repr(signal)
    assert all(secret not in value for value in displayable(signal))


def test_uptimerobot_secret_field_in_the_body_is_dropped() -> None:
    secret = send.UPTIMEROBOT_SECRET
    body = json.dumps({"monitorID": "1", "alertType": "1", "secret": secret}).encode()
    signal = signal_of(Delivery("/webhooks/uptimerobot", body, {"X-Webhook-Secret": secret}))
    assert secret not in repr(signal)


# --- Sentry ----------------------------------------------------------------------------------


def test_sentry_event_alert_triggered_fires() -> None:
    delivery = send.sentry_event_alert(
        title="Error: connect ECONNREFUSED 10.0.0.5:5432",
        culprit="lib/db.ts in query",
        level="Error",
        issue_id="123",
        at=NOW,
        request_id="req-1",
    )
    signal = signal_of(delivery)
    assert signal.source is Source.SENTRY
    assert (signal.state, signal.kind, signal.key) == (AlertState.FIRING, "event_alert", "123")
    assert signal.delivery_id == "req-1"
    assert signal.name == "Error: connect ECONNREFUSED 10.0.0.5:5432"
    assert signal.text == "Error: connect ECONNREFUSED 10.0.0.5:5432 lib/db.ts in query"
    assert signal.level == "error"
    assert signal.url is not None and signal.url.startswith("https://ailex.sentry.io/issues/123/")
    assert signal.details["rule"] == "Production errors"


def test_sentry_event_alert_without_issue_id_is_keyed_by_event() -> None:
    signal = signal_of(send.sentry_event_alert(issue_id=None, event_id="ev-9", at=NOW))
    assert signal.key == "ev-9"


def test_sentry_event_alert_other_actions_are_ignored() -> None:
    assert isinstance(deliver(send.sentry_event_alert(action="resolved", at=NOW)), Ignored)


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("created", AlertState.FIRING),
        ("unresolved", AlertState.FIRING),
        ("resolved", AlertState.RESOLVED),
    ],
)
def test_sentry_issue_actions(action: str, state: AlertState) -> None:
    signal = signal_of(send.sentry_issue(action, issue_id="555", short_id="AILEX-1", at=NOW))
    assert (signal.state, signal.kind, signal.key) == (state, "issue", "555")
    assert signal.name == "AuthApiError: Invalid JWT"
    assert "lib/supabase/server.ts in getUser" in signal.text
    assert signal.details["short_id"] == "AILEX-1"
    assert signal.level == "error"


@pytest.mark.parametrize("action", ["assigned", "archived", "ignored"])
def test_sentry_issue_other_actions_are_ignored(action: str) -> None:
    assert isinstance(deliver(send.sentry_issue(action, at=NOW)), Ignored)


@pytest.mark.parametrize(
    ("action", "state", "level"),
    [
        ("critical", AlertState.FIRING, "critical"),
        ("warning", AlertState.FIRING, "warning"),
        ("resolved", AlertState.RESOLVED, None),
    ],
)
def test_sentry_metric_alert_actions(action: str, state: AlertState, level: str | None) -> None:
    signal = signal_of(send.sentry_metric_alert(action, alert_id="31", at=NOW))
    assert (signal.state, signal.kind, signal.key, signal.level) == (
        state,
        "metric_alert",
        "31",
        level,
    )
    assert signal.name == "API p95 latency"
    assert "p95(transaction.duration)" in signal.text
    assert signal.url == "https://ailex.sentry.io/alerts/rules/details/31/"


def test_sentry_metric_alert_without_title_is_named_by_its_description() -> None:
    body = json.dumps(
        {
            "action": "critical",
            "data": {
                "description_title": "Critical: DB errors",
                "metric_alert": {"id": 5, "alert_rule": {"aggregate": "count()"}},
            },
        }
    ).encode()
    signal = signal_of(send.sentry_raw(body, resource="metric_alert", at=NOW))
    assert (signal.key, signal.name) == ("5", "Critical: DB errors")


@pytest.mark.parametrize("resource", ["installation", "error", "comment", ""])
def test_sentry_other_resources_are_ignored(resource: str) -> None:
    delivery = send.sentry_raw(b'{"action":"created","data":{}}', resource=resource, at=NOW)
    assert isinstance(deliver(delivery), Ignored)
    assert isinstance(deliver(send.sentry_installation(at=NOW)), Ignored)


def test_sentry_delivery_id_falls_back_to_the_body_digest() -> None:
    delivery = with_headers(send.sentry_issue(at=NOW), **{"Request-ID": None})
    first, again = signal_of(delivery), signal_of(delivery)
    assert first.delivery_id == again.delivery_id
    assert re.fullmatch(r"[0-9a-f]{64}", first.delivery_id)


@pytest.mark.parametrize("signature", [None, "", "0" * 64, "not hex at all"])
def test_sentry_wrong_or_missing_signature_is_401(signature: str | None) -> None:
    delivery = with_headers(send.sentry_issue(at=NOW), **{"Sentry-Hook-Signature": signature})
    assert refused(delivery) == 401


def test_sentry_signed_with_another_secret_is_401() -> None:
    assert refused(send.sentry_issue(at=NOW, secret="other")) == 401


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)]
)
def test_sentry_stale_or_future_timestamp_is_401(offset: timedelta) -> None:
    assert refused(send.sentry_issue(at=NOW + offset)) == 401


@pytest.mark.parametrize("stamp", [None, "", "yesterday", "nan", "inf", "1e400"])
def test_sentry_missing_or_unreadable_timestamp_is_401(stamp: str | None) -> None:
    delivery = with_headers(send.sentry_issue(at=NOW), **{"Sentry-Hook-Timestamp": stamp})
    assert refused(delivery) == 401


def test_sentry_timestamp_within_five_minutes_and_fractional_is_accepted() -> None:
    assert signal_of(send.sentry_issue(at=NOW - timedelta(minutes=4, seconds=50)))
    fractional = with_headers(
        send.sentry_issue(at=NOW), **{"Sentry-Hook-Timestamp": f"{NOW.timestamp() - 12.345}"}
    )
    assert signal_of(fractional)


def test_signature_is_checked_on_the_raw_bytes_not_reserialised_json() -> None:
    # As Sentry might send it: spaces and \u escapes that json.dumps would write differently.
    raw = (
        b'{ "action" : "created", "data" : { "issue" : { "id" : "77", '
        b'"title" : "\\uc5f0\\uacb0 timeout", "culprit": "db" } } }'
    )
    reserialised = json.dumps(json.loads(raw)).encode()
    assert reserialised != raw
    good = send.sentry_raw(raw, resource="issue", at=NOW)
    assert signal_of(good).name == "연결 timeout"
    signed_over_other = with_headers(
        good, **{"Sentry-Hook-Signature": send.hex_hmac_sha256(send.SENTRY_SECRET, reserialised)}
    )
    assert refused(signed_over_other) == 401


# --- Vercel ----------------------------------------------------------------------------------


def test_vercel_production_deployment_error_fires() -> None:
    delivery = send.vercel_deployment(
        "deployment.error", project_id="prj_1", name="ailex", delivery_id="evt_1"
    )
    signal = signal_of(delivery)
    assert signal.source is Source.VERCEL
    assert (signal.state, signal.kind, signal.key) == (
        AlertState.FIRING,
        "deployment.error",
        "prj_1",
    )
    assert (signal.delivery_id, signal.name) == ("evt_1", "ailex")
    assert signal.url == "https://vercel.com/ailex/ailex/dpl_8aBcDeFgHiJkLmNoP"
    assert signal.details["deployment_url"] == "ailex-git-main-ailex.vercel.app"
    assert signal.occurred_at == send.DEFAULT_AT


@pytest.mark.parametrize("kind", ["deployment.succeeded", "deployment.promoted"])
def test_vercel_production_success_resolves(kind: str) -> None:
    assert signal_of(send.vercel_deployment(kind)).state is AlertState.RESOLVED


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("deployment.error", None),
        ("deployment.error", "preview"),
        ("deployment.succeeded", "staging"),
        ("deployment.created", "production"),
        ("deployment.canceled", "production"),
        ("project.created", "production"),
    ],
)
def test_vercel_other_events_are_ignored(kind: str, target: str | None) -> None:
    assert isinstance(deliver(send.vercel_deployment(kind, target=target)), Ignored)


def test_vercel_key_and_url_fallbacks() -> None:
    body = json.dumps(
        {
            "type": "deployment.error",
            "id": "evt_2",
            "payload": {"target": "production", "deployment": {"name": "ailex", "url": "x.app"}},
        }
    ).encode()
    signal = signal_of(send.vercel_raw(body))
    assert (signal.key, signal.url) == ("ailex", "https://x.app")


@pytest.mark.parametrize("signature", [None, "", "f" * 40])
def test_vercel_wrong_or_missing_signature_is_401(signature: str | None) -> None:
    delivery = with_headers(send.vercel_deployment(), **{"x-vercel-signature": signature})
    assert refused(delivery) == 401
    # An SHA-256 signature is not what Vercel sends.
    sha256 = send.hex_hmac_sha256(send.VERCEL_SECRET, delivery.body)
    assert refused(with_headers(delivery, **{"x-vercel-signature": sha256})) == 401


# --- GitHub ----------------------------------------------------------------------------------


def test_github_signature_matches_the_documented_test_vector() -> None:
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert send.github_signature(secret, body) == "sha256=" + expected
    # The bot accepts exactly that signature (a ping is authenticated, then ignored).
    delivery = send.github_raw(body, event="ping", secret=secret)
    assert isinstance(deliver(delivery, secrets=Secrets(github=secret)), Ignored)
    tampered = replace(delivery, body=b"Hello, World?")
    assert refused(tampered, secrets=Secrets(github=secret)) == 401


@pytest.mark.parametrize("conclusion", ["failure", "timed_out", "startup_failure"])
def test_github_deploy_workflow_failure_fires(conclusion: str) -> None:
    delivery = send.github_workflow_run(conclusion, delivery="guid-1", run_number=7)
    signal = signal_of(delivery)
    assert signal.source is Source.GITHUB
    assert (signal.state, signal.kind) == (AlertState.FIRING, "workflow_run")
    assert (signal.key, signal.name) == (".github/workflows/deploy.yml", "Deploy")
    assert signal.delivery_id == "guid-1"
    assert signal.summary == f"{conclusion} main 3f2a9c1"
    assert signal.url == "https://github.com/cheesom-max/AILEX/actions/runs/9876543210"
    assert signal.details["run_number"] == "7"
    assert signal.details["conclusion"] == conclusion
    assert signal.details["branch"] == "main"


def test_github_success_resolves() -> None:
    assert signal_of(send.github_workflow_run("success")).state is AlertState.RESOLVED


@pytest.mark.parametrize("conclusion", ["cancelled", "skipped", "neutral", "action_required", None])
def test_github_other_conclusions_are_ignored(conclusion: str | None) -> None:
    assert isinstance(deliver(send.github_workflow_run(conclusion)), Ignored)


def test_github_runs_not_completed_or_of_other_workflows_are_ignored() -> None:
    assert isinstance(deliver(send.github_workflow_run(action="in_progress")), Ignored)
    assert isinstance(deliver(send.github_workflow_run(action="requested")), Ignored)
    other = send.github_workflow_run(path=".github/workflows/ci.yml")
    assert isinstance(deliver(other), Ignored)
    # A file merely ending in the same letters is another workflow.
    assert isinstance(
        deliver(send.github_workflow_run(path=".github/workflows/predeploy.yml")), Ignored
    )


def test_github_workflow_setting_is_compared_by_file_name() -> None:
    delivery = send.github_workflow_run("failure")
    assert signal_of(delivery, workflow=".github/workflows/deploy.yml").state is AlertState.FIRING
    assert isinstance(deliver(delivery, workflow="release.yml"), Ignored)


def test_github_ping_and_other_events_are_ignored() -> None:
    assert isinstance(deliver(send.github_ping()), Ignored)
    push = send.github_raw(b'{"ref":"refs/heads/main"}', event="push")
    assert isinstance(deliver(push), Ignored)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=" + "0" * 64, "sha1=whatever"],
)
def test_github_wrong_or_missing_signature_is_401(header: str | None) -> None:
    delivery = with_headers(send.github_workflow_run(), **{"X-Hub-Signature-256": header})
    assert refused(delivery) == 401


def test_github_signature_without_its_prefix_is_401() -> None:
    delivery = send.github_workflow_run()
    bare = send.hex_hmac_sha256(send.GITHUB_SECRET, delivery.body)
    assert refused(with_headers(delivery, **{"X-Hub-Signature-256": bare})) == 401


# --- every source ----------------------------------------------------------------------------


def realistic() -> list[Delivery]:
    return [
        send.uptimerobot(),
        send.sentry_event_alert(at=NOW),
        send.vercel_deployment(),
        send.github_workflow_run(),
    ]


@pytest.mark.parametrize("delivery", realistic(), ids=lambda d: d.path)
def test_a_source_whose_secret_is_unset_is_404(delivery: Delivery) -> None:
    assert refused(delivery, secrets=Secrets()) == 404
    empty = Secrets(uptimerobot="", sentry="", vercel="", github="")
    assert refused(delivery, secrets=empty) == 404


@pytest.mark.parametrize("delivery", realistic(), ids=lambda d: d.path)
def test_over_one_mebibyte_is_413_even_correctly_signed(delivery: Delivery) -> None:
    padded = delivery.body[:-1] + b" " * (MAX_BODY_BYTES - len(delivery.body) + 1) + b"}"
    assert len(padded) == MAX_BODY_BYTES + 1
    big = send.resigned(replace(delivery, body=padded), SECRETS.of(SOURCE_OF[delivery.path]) or "")
    assert refused(big) == 413
    at_limit = padded[:-2] + b"}"
    assert len(at_limit) == MAX_BODY_BYTES
    fits = send.resigned(
        replace(delivery, body=at_limit), SECRETS.of(SOURCE_OF[delivery.path]) or ""
    )
    assert isinstance(deliver(fits), Signal)


@pytest.mark.parametrize("delivery", realistic(), ids=lambda d: d.path)
def test_header_names_are_case_insensitive(delivery: Delivery) -> None:
    lower = replace(delivery, headers={k.lower(): v for k, v in delivery.headers.items()})
    upper = replace(delivery, headers={k.upper(): v for k, v in delivery.headers.items()})
    assert deliver(lower) == deliver(upper) == deliver(delivery)


UNREADABLE = [
    b"\xff\xfe not utf-8",
    b"not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": ' + b"9" * 10_000 + b"}",
]


@pytest.mark.parametrize("body", UNREADABLE, ids=range(len(UNREADABLE)))
def test_unreadable_bodies_are_400(body: bytes) -> None:
    assert refused(send.sentry_raw(body, resource="issue", at=NOW)) == 400
    assert refused(send.vercel_raw(body)) == 400
    assert refused(send.github_raw(body, event="workflow_run")) == 400
    if body.lstrip()[:1] in (b"[", b'"', b"{") or body.startswith(b"\xff"):
        ur = Delivery("/webhooks/uptimerobot", body, {}, f"secret={SECRETS_UR}")
        assert refused(ur) == 400


@pytest.mark.parametrize(
    "delivery",
    [
        send.sentry_raw(b'{"action":"created","data":"x"}', resource="issue", at=NOW),
        send.sentry_raw(b'{"action":"created","data":{"issue":[]}}', resource="issue", at=NOW),
        send.sentry_raw(b'{"action":"created","data":{"issue":{}}}', resource="issue", at=NOW),
        send.sentry_raw(
            b'{"action":"created","data":{"issue":{"id":"1","title":["x"]}}}',
            resource="issue",
            at=NOW,
        ),
        send.sentry_raw(
            b'{"action":"created","data":{"issue":{"id":true}}}', resource="issue", at=NOW
        ),
        send.sentry_raw(
            b'{"action":"triggered","data":{"event":{}}}', resource="event_alert", at=NOW
        ),
        send.sentry_raw(b'{"action":"critical","data":{}}', resource="metric_alert", at=NOW),
        send.vercel_raw(b'{"type":"deployment.error","id":"1","payload":"x"}'),
        send.vercel_raw(b'{"type":"deployment.error","payload":{"target":"production"}}'),
        send.vercel_raw(b'{"type":"deployment.error","id":"1","payload":{"target":"production"}}'),
        send.github_raw(b'{"action":"completed","workflow_run":1}', event="workflow_run"),
        send.github_raw(b'{"action":"completed","workflow_run":{}}', event="workflow_run"),
        send.github_raw(
            b'{"action":"completed","workflow_run":{"path":{"a":1}}}', event="workflow_run"
        ),
    ],
)
def test_wrong_types_and_missing_fields_are_400(delivery: Delivery) -> None:
    assert refused(delivery) == 400


def test_strings_are_clipped_and_cleaned() -> None:
    title = "Error:\x00 bad\u202e thing\n" + "x" * 10_000
    signal = signal_of(send.sentry_issue(title=title, culprit="c" * 10_000, at=NOW))
    assert signal.name.startswith("Error: bad thing x")
    assert len(signal.name) <= 200
    assert len(signal.summary) <= 500
    assert len(signal.text) <= 1000
    assert not any(UNSAFE.search(value) for value in displayable(signal))


def test_a_url_that_is_not_http_is_dropped() -> None:
    body = json.dumps(
        {"action": "created", "data": {"issue": {"id": "1", "web_url": "javascript:alert(1)"}}}
    ).encode()
    assert signal_of(send.sentry_raw(body, resource="issue", at=NOW)).url is None


def test_secrets_do_not_show_in_their_repr() -> None:
    assert send.GITHUB_SECRET not in repr(SECRETS)
    assert "github=set" in repr(SECRETS)


# --- hostile bodies, correctly signed ----------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50)
    | st.text(min_size=2000, max_size=3000),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELD_NAMES = {
    Source.SENTRY: [
        "action",
        "data",
        "event",
        "issue",
        "metric_alert",
        "id",
        "issue_id",
        "title",
        "culprit",
        "level",
        "web_url",
        "alert_rule",
        "aggregate",
        "description_title",
    ],
    Source.VERCEL: [
        "type",
        "id",
        "createdAt",
        "payload",
        "target",
        "project",
        "deployment",
        "name",
        "url",
        "links",
        "meta",
    ],
    Source.GITHUB: [
        "action",
        "workflow_run",
        "path",
        "name",
        "conclusion",
        "head_sha",
        "head_branch",
        "html_url",
        "run_number",
        "updated_at",
    ],
    Source.UPTIMEROBOT: [
        "monitorID",
        "alertType",
        "monitorURL",
        "monitorFriendlyName",
        "alertDetails",
        "alertDateTime",
        "alertDuration",
        "secret",
    ],
}


def mutated(payload: Any, data: st.DataObject, names: list[str]) -> Any:
    """The payload with some of its fields replaced by hostile values, at any depth."""
    if isinstance(payload, dict):
        out = {}
        for key, value in payload.items():
            if data.draw(st.integers(0, 5)) == 0:
                out[key] = data.draw(json_values)
            elif data.draw(st.integers(0, 9)) != 0:
                out[key] = mutated(value, data, names)
        if data.draw(st.booleans()):
            out[data.draw(st.sampled_from(names))] = data.draw(json_values)
        return out
    return payload


def sign(source: Source, body: bytes, resource: str, event: str) -> Delivery:
    if source is Source.SENTRY:
        return send.sentry_raw(body, resource=resource, at=NOW)
    if source is Source.VERCEL:
        return send.vercel_raw(body)
    if source is Source.GITHUB:
        return send.github_raw(body, event=event)
    return Delivery("/webhooks/uptimerobot", body, {}, f"secret={SECRETS_UR}")


def assert_well_formed(delivery: Delivery) -> None:
    try:
        result = deliver(delivery)
    except Refused as refusal:
        assert refusal.status in (400, 413), refusal.reason
        return
    assert isinstance(result, Signal | Ignored)
    if isinstance(result, Signal):
        values = displayable(result)
        assert all(isinstance(v, str) for v in values)
        assert not any(UNSAFE.search(v) for v in values)
        assert len(result.name) <= 200 and len(result.summary) <= 500
        assert SECRETS_UR not in repr(result)
        assert result.key and result.delivery_id and result.name
        for value in values:
            value.encode("utf-8")  # a store and Slack can take it


sources = st.sampled_from(list(FIELD_NAMES))
resources = st.sampled_from(["event_alert", "issue", "metric_alert", "installation"])
events = st.sampled_from(["workflow_run", "ping", "push"])
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(source=sources, body=st.binary(max_size=2000), resource=resources, event=events)
def test_random_bytes_only_ever_read_or_refuse(
    source: Source, body: bytes, resource: str, event: str
) -> None:
    assert_well_formed(sign(source, body, resource, event))


@FUZZ
@given(source=sources, value=json_values, resource=resources, event=events)
def test_random_json_only_ever_reads_or_refuses(
    source: Source, value: Any, resource: str, event: str
) -> None:
    body = json.dumps(value).encode()
    assert_well_formed(sign(source, body, resource, event))


def realistic_payloads() -> list[tuple[Source, Any, str, str]]:
    return [
        (Source.SENTRY, json.loads(send.sentry_event_alert(at=NOW).body), "event_alert", ""),
        (Source.SENTRY, json.loads(send.sentry_issue(at=NOW).body), "issue", ""),
        (Source.SENTRY, json.loads(send.sentry_metric_alert(at=NOW).body), "metric_alert", ""),
        (Source.VERCEL, json.loads(send.vercel_deployment().body), "", ""),
        (Source.GITHUB, json.loads(send.github_workflow_run().body), "", "workflow_run"),
        (Source.UPTIMEROBOT, json.loads(send.uptimerobot().body), "", ""),
    ]


@FUZZ
@given(case=st.sampled_from(realistic_payloads()), data=st.data())
def test_realistic_payloads_with_hostile_fields_only_ever_read_or_refuse(
    case: tuple[Source, Any, str, str], data: st.DataObject
) -> None:
    source, payload, resource, event = case
    body = json.dumps(
        mutated(payload, data, FIELD_NAMES[source]), ensure_ascii=data.draw(st.booleans())
    )
    assert_well_formed(sign(source, body.encode("utf-8", "surrogatepass"), resource, event))


@FUZZ
@given(query=st.text(max_size=300), body=st.binary(max_size=500))
def test_uptimerobot_hostile_query_strings_only_ever_read_or_refuse(
    query: str, body: bytes
) -> None:
    delivery = Delivery("/webhooks/uptimerobot", body, {}, f"secret={SECRETS_UR}&{query}")
    assert_well_formed(delivery)
