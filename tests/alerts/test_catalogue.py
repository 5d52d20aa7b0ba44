"""The alert catalogue (SPEC 6): each row of the table, its order, and that a new symptom is
one entry. Signals are read from realistic deliveries, so the text matched is the text sent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.catalogue import CATALOGUE, UNCLAIMED, Classification, classify, rule
from bot.alerts.signal import AlertState, Signal, Source
from bot.alerts.sources import Secrets, read
from bot.diagnosis.scenarios import SCENARIO_KEYS
from bot.incidents.vocabulary import Severity
from tests.fakes import alert_senders as send
from tests.fakes.alert_senders import Delivery

NOW = datetime(2025, 3, 14, 1, 30, 20, tzinfo=UTC)
P1, P2, P3 = Severity.P1, Severity.P2, Severity.P3
SECRETS = Secrets(
    uptimerobot=send.UPTIMEROBOT_SECRET,
    sentry=send.SENTRY_SECRET,
    vercel=send.VERCEL_SECRET,
    github=send.GITHUB_SECRET,
)


def signal(delivery: Delivery) -> Signal:
    source = Source(delivery.path.rsplit("/", 1)[-1])
    result = read(
        source,
        body=delivery.body,
        headers=delivery.headers,
        query=delivery.query,
        secrets=SECRETS,
        now=NOW,
        workflow="deploy.yml",
    )
    assert isinstance(result, Signal), result
    return result


def of(delivery: Delivery) -> Classification:
    return classify(signal(delivery))


def event(title: str, culprit: str = "lib/x.ts in handler", level: str = "error") -> Delivery:
    return send.sentry_event_alert(title=title, culprit=culprit, level=level, at=NOW)


def test_uptimerobot_down_is_an_outage_p1_and_up_and_ssl_point_there_too() -> None:
    assert of(send.uptimerobot(alert_type="1")) == Classification("outage", P1)
    assert of(send.uptimerobot(alert_type="2")).scenario == "outage"
    assert of(send.uptimerobot(alert_type="3")).scenario == "outage"


@pytest.mark.parametrize(
    "title",
    [
        "Error: connect ECONNREFUSED 10.0.0.5:5432",
        "PostgresError: connection refused",
        "Error: Connection terminated due to connection timeout",
        "QueryError: canceling statement due to statement timeout",
        "Error: query timed out after 30000ms",
        "FATAL: sorry, too many clients already",
        "error: too many connections for role postgres",
        "Error: Too Many Connections",
    ],
)
def test_sentry_database_symptoms_are_database_p2(title: str) -> None:
    assert of(event(title)) == Classification("database", P2)


@pytest.mark.parametrize(
    "title",
    [
        "OpenAI APIError: The server had an error",
        "Error: 429 You exceeded your current quota, please check your plan",
        "RateLimitError: Rate limit reached for gpt-4o",
        "Error: insufficient_quota",
        "APIError: rate_limit_exceeded",
        "Error: openai request timed out",  # names OpenAI: not the database's timeout
    ],
)
def test_sentry_openai_symptoms_are_openai_p2(title: str) -> None:
    assert of(event(title)) == Classification("openai", P2)


@pytest.mark.parametrize(
    "title",
    [
        "AuthApiError: Invalid JWT",
        "AuthSessionMissingError: Auth session missing!",
        'JWTExpired: "exp" claim timestamp check failed',
        "TokenExpiredError: jwt expired",
        "AuthApiError: invalid JWT: unable to parse or verify signature, token is expired",
    ],
)
def test_sentry_auth_symptoms_are_auth_p2(title: str) -> None:
    assert of(event(title)) == Classification("auth", P2)


def test_the_issue_resource_is_classified_by_its_title_and_culprit_too() -> None:
    delivery = send.sentry_issue("created", title="Error", culprit="ECONNREFUSED in db.ts", at=NOW)
    assert of(delivery) == Classification("database", P2)


@pytest.mark.parametrize(
    ("title", "aggregate"),
    [
        ("API p95 latency", "p95(transaction.duration)"),
        ("Slow dashboard", "avg(transaction.duration)"),
        ("Checkout latency", "p75(measurements.lcp)"),
        ("Dashboard", "p99(transaction.duration)"),
    ],
)
def test_sentry_metric_alert_on_latency_is_performance_p2_critical_p3_warning(
    title: str, aggregate: str
) -> None:
    critical = send.sentry_metric_alert("critical", title=title, aggregate=aggregate, at=NOW)
    warning = send.sentry_metric_alert("warning", title=title, aggregate=aggregate, at=NOW)
    assert of(critical) == Classification("performance", P2)
    assert of(warning) == Classification("performance", P3)


def test_a_metric_alert_on_errors_is_not_performance() -> None:
    critical = send.sentry_metric_alert(
        "critical", title="Error count", aggregate="count()", at=NOW
    )
    warning = send.sentry_metric_alert("warning", title="Error count", aggregate="count()", at=NOW)
    assert of(critical) == Classification("triage", P2)
    assert of(warning) == Classification("triage", P3)


def test_a_metric_alert_on_a_database_symptom_is_database() -> None:
    delivery = send.sentry_metric_alert(
        "critical", title="DB connection timeout rate", aggregate="count()", at=NOW
    )
    assert of(delivery) == Classification("database", P2)


def test_a_latency_event_that_is_no_metric_alert_is_not_performance() -> None:
    assert of(event("Slow request: latency over budget")).scenario == "triage"


def test_vercel_deployment_error_and_github_failure_are_deploy_p3() -> None:
    assert of(send.vercel_deployment("deployment.error")) == Classification("deploy", P3)
    assert of(send.github_workflow_run("failure")) == Classification("deploy", P3)
    assert of(send.github_workflow_run("timed_out")) == Classification("deploy", P3)


@pytest.mark.parametrize(
    ("level", "severity"),
    [("fatal", P2), ("error", P2), ("warning", P3), ("info", P3), ("debug", P3)],
)
def test_any_other_sentry_alert_is_triage_by_level(level: str, severity: Severity) -> None:
    delivery = event("TypeError: Cannot read properties of undefined", level=level)
    assert of(delivery) == Classification("triage", severity)


def test_resolved_signals_point_where_their_firing_did() -> None:
    assert of(send.uptimerobot(alert_type="2")).scenario == "outage"
    assert of(send.vercel_deployment("deployment.succeeded")).scenario == "deploy"
    assert of(send.vercel_deployment("deployment.promoted")).scenario == "deploy"
    assert of(send.github_workflow_run("success")).scenario == "deploy"
    resolved = send.sentry_issue("resolved", title="AuthApiError: Invalid JWT", at=NOW)
    assert signal(resolved).state is AlertState.RESOLVED
    assert of(resolved).scenario == "auth"
    metric = send.sentry_metric_alert("resolved", at=NOW)
    assert of(metric).scenario == "performance"


def test_matching_is_case_insensitive() -> None:
    assert of(event("ERROR: CONNECT econnrefused")).scenario == "database"
    assert of(event("invalid jwt")).scenario == "auth"


def test_entries_are_matched_in_table_order() -> None:
    # Both "JWT" and "timeout": the auth entry comes first.
    assert of(event("jwt expired after timeout")).scenario == "auth"
    sig = signal(event("Error: connect ECONNREFUSED"))
    first = rule(Source.SENTRY, (), "econnrefused", "outage", P1)
    assert classify(sig, (first, *CATALOGUE)) == Classification("outage", P1)
    assert classify(sig, (*CATALOGUE, first)) == Classification("database", P2)


def test_a_new_symptom_is_one_entry() -> None:
    sig = signal(event("StorageApiError: Bucket not found", level="error"))
    assert classify(sig) == Classification("triage", P2)
    storage = rule(Source.SENTRY, (), r"storage ?api ?error|bucket not found", "outage", P3)
    extended = (storage, *CATALOGUE)
    assert classify(sig, extended) == Classification("outage", P3)
    # The rest of the table is untouched.
    assert classify(signal(event("Invalid JWT")), extended) == Classification("auth", P2)


def test_a_signal_no_entry_claims_is_triage_p3() -> None:
    sig = signal(send.github_workflow_run("failure"))
    assert classify(sig, ()) == UNCLAIMED == Classification("triage", P3)


def test_every_entry_points_to_a_known_scenario() -> None:
    assert {entry.scenario for entry in CATALOGUE} <= set(SCENARIO_KEYS)


def test_every_source_has_an_entry() -> None:
    assert {entry.source for entry in CATALOGUE} == set(Source)
