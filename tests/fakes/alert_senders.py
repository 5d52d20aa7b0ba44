"""Webhook deliveries as each alert source sends them: body bytes, headers, query string.

The signers here use hmac directly, written from the sources' documentation and not from the
bot's code, so a test that signs with them checks the bot against the services, not against
itself. Builders take plain values and return a Delivery to POST to `path`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

UPTIMEROBOT_SECRET = "uptimerobot-shared-secret-7f3a"
SENTRY_SECRET = "sentry-client-secret-0b9e1c2d"
VERCEL_SECRET = "vercel-webhook-secret-41aa"
GITHUB_SECRET = "github-webhook-secret-c0ffee"

# A fixed instant for payload fields whose time does not matter to the bot's checks.
DEFAULT_AT = datetime(2025, 3, 14, 1, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Delivery:
    """One HTTP POST a source makes: `path` (and `query`) of the URL, raw body, headers."""

    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: str = ""

    @property
    def url_path(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


# --- signers ---------------------------------------------------------------------------------


def hex_hmac_sha256(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hex_hmac_sha1(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def github_signature(secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 as GitHub writes it."""
    return "sha256=" + hex_hmac_sha256(secret, body)


def _json(payload: Any) -> bytes:
    # Services send compact JSON with non-ASCII as UTF-8; the bot must not care either way.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


# --- raw senders: any body, signed as the source signs ---------------------------------------


def sentry_raw(
    body: bytes,
    *,
    resource: str,
    at: datetime,
    secret: str = SENTRY_SECRET,
    request_id: str | None = None,
) -> Delivery:
    """A Sentry integration-platform delivery of `body`, signed; `at` is its timestamp."""
    return Delivery(
        "/webhooks/sentry",
        body,
        {
            "Content-Type": "application/json",
            "Request-ID": request_id or str(uuid.uuid4()),
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": str(int(at.timestamp())),
            "Sentry-Hook-Signature": hex_hmac_sha256(secret, body),
        },
    )


def vercel_raw(body: bytes, *, secret: str = VERCEL_SECRET) -> Delivery:
    return Delivery(
        "/webhooks/vercel",
        body,
        {"Content-Type": "application/json", "x-vercel-signature": hex_hmac_sha1(secret, body)},
    )


def github_raw(
    body: bytes, *, event: str, secret: str = GITHUB_SECRET, delivery: str | None = None
) -> Delivery:
    return Delivery(
        "/webhooks/github",
        body,
        {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/5a1b2c3",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "512345678",
            "X-Hub-Signature": "sha1=" + hex_hmac_sha1(secret, body),
            "X-Hub-Signature-256": github_signature(secret, body),
        },
    )


def resigned(delivery: Delivery, secret: str) -> Delivery:
    """The same delivery with its signature recomputed (e.g. after its body was changed)."""
    headers = dict(delivery.headers)
    if "Sentry-Hook-Signature" in headers:
        headers["Sentry-Hook-Signature"] = hex_hmac_sha256(secret, delivery.body)
    if "x-vercel-signature" in headers:
        headers["x-vercel-signature"] = hex_hmac_sha1(secret, delivery.body)
    if "X-Hub-Signature-256" in headers:
        headers["X-Hub-Signature-256"] = github_signature(secret, delivery.body)
    return replace(delivery, headers=headers)


# --- UptimeRobot -----------------------------------------------------------------------------


def uptimerobot(
    *,
    alert_type: str = "1",
    monitor_id: str = "777",
    name: str = "ailex.app",
    url: str = "https://ailex.app",
    details: str | None = None,
    duration: str = "0",
    at: datetime = DEFAULT_AT,
    secret: str | None = UPTIMEROBOT_SECRET,
    how: str = "json",
    secret_in: str = "query",
    ssl_expiry_date: str = "",
    ssl_days_left: str = "",
) -> Delivery:
    """An UptimeRobot webhook alert contact's POST, with the fields written as `*placeholders*`
    fill them: `how` "json" (JSON body), "form" (form fields) or "query" (only the URL's query
    string); the secret in the query (`secret_in="query"`) or an `X-Webhook-Secret` header."""
    friendly = {"1": "Down", "2": "Up", "3": "SSL Expiry"}.get(alert_type, "")
    if details is None:
        details = {"1": "HTTP 502 - Bad Gateway", "2": "HTTP 200 - OK"}.get(alert_type, "")
    values = {
        "monitorID": monitor_id,
        "monitorURL": url,
        "monitorFriendlyName": name,
        "alertType": alert_type,
        "alertTypeFriendlyName": friendly,
        "alertDetails": details,
        "alertDuration": duration,
        "alertDateTime": str(int(at.timestamp())),
        "sslExpiryDate": ssl_expiry_date,
        "sslExpiryDaysLeft": ssl_days_left,
    }
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {"User-Agent": "UptimeRobot/1.0"}
    if secret is not None and secret_in == "query":
        query.append(("secret", secret))
    elif secret is not None:
        headers["X-Webhook-Secret"] = secret
    if how == "json":
        body = _json(values)
        headers["Content-Type"] = "application/json"
    elif how == "form":
        body = urlencode(values).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif how == "query":
        body = b""
        query.extend(values.items())
    else:
        raise ValueError(f"how: json, form or query, not {how!r}")
    return Delivery("/webhooks/uptimerobot", body, headers, urlencode(query))


# --- Sentry ----------------------------------------------------------------------------------


def sentry_event_alert(
    *,
    title: str = "Error: connect ECONNREFUSED 10.0.0.5:5432",
    culprit: str = "app/api/v1/dashboard/summary/route.ts in GET",
    level: str = "error",
    issue_id: str | None = "4567890123",
    event_id: str = "b1c2d3e4f5a6478b9c0d1e2f3a4b5c6d",
    at: datetime,
    secret: str = SENTRY_SECRET,
    request_id: str | None = None,
    action: str = "triggered",
) -> Delivery:
    """An issue alert rule firing (`Sentry-Hook-Resource: event_alert`)."""
    event: dict[str, Any] = {
        "event_id": event_id,
        "title": title,
        "culprit": culprit,
        "level": level,
        "platform": "javascript",
        "datetime": at.isoformat().replace("+00:00", "Z"),
        "project": 4501234,
        "url": f"https://sentry.io/api/0/projects/ailex/ailex-web/events/{event_id}/",
        "web_url": f"https://ailex.sentry.io/issues/{issue_id}/events/{event_id}/",
        "issue_url": f"https://sentry.io/api/0/issues/{issue_id}/",
        "tags": [["environment", "production"], ["level", level]],
    }
    if issue_id is not None:
        event["issue_id"] = issue_id
    payload = {
        "action": action,
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {
            "event": event,
            "triggered_rule": "Production errors",
            "issue_alert": {"title": "Production errors", "settings": []},
        },
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }
    return sentry_raw(
        _json(payload), resource="event_alert", at=at, secret=secret, request_id=request_id
    )


def sentry_issue(
    action: str = "created",
    *,
    title: str = "AuthApiError: Invalid JWT",
    culprit: str = "lib/supabase/server.ts in getUser",
    level: str = "error",
    issue_id: str = "4567890124",
    short_id: str = "AILEX-WEB-3F",
    at: datetime,
    secret: str = SENTRY_SECRET,
    request_id: str | None = None,
) -> Delivery:
    """An issue created, resolved, unresolved, assigned or archived (`issue`)."""
    status = "resolved" if action == "resolved" else "unresolved"
    payload = {
        "action": action,
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {
            "issue": {
                "id": issue_id,
                "shortId": short_id,
                "title": title,
                "culprit": culprit,
                "level": level,
                "status": status,
                "substatus": "new" if action == "created" else None,
                "web_url": f"https://ailex.sentry.io/issues/{issue_id}/",
                "project": {"id": "4501234", "name": "ailex-web", "slug": "ailex-web"},
                "firstSeen": at.isoformat(),
            }
        },
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }
    return sentry_raw(_json(payload), resource="issue", at=at, secret=secret, request_id=request_id)


def sentry_metric_alert(
    action: str = "critical",
    *,
    title: str = "API p95 latency",
    aggregate: str = "p95(transaction.duration)",
    description_title: str | None = None,
    alert_id: str = "98765",
    at: datetime,
    secret: str = SENTRY_SECRET,
    request_id: str | None = None,
) -> Delivery:
    """A metric alert crossing a threshold (`metric_alert`: critical, warning, resolved)."""
    word = {"critical": "Critical", "warning": "Warning", "resolved": "Resolved"}.get(action, "")
    payload = {
        "action": action,
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {
            "description_title": description_title or f"{word}: {title}",
            "description_text": "2300ms in the last 5 minutes",
            "web_url": f"https://ailex.sentry.io/alerts/rules/details/{alert_id}/",
            "metric_alert": {
                "id": alert_id,
                "identifier": "42",
                "title": title,
                "status": {"critical": 2, "warning": 1}.get(action, 0),
                "date_started": at.isoformat(),
                "date_detected": at.isoformat(),
                "date_closed": at.isoformat() if action == "resolved" else None,
                "alert_rule": {
                    "name": title,
                    "aggregate": aggregate,
                    "query": "event.type:transaction",
                    "time_window": 5,
                },
            },
        },
    }
    return sentry_raw(
        _json(payload), resource="metric_alert", at=at, secret=secret, request_id=request_id
    )


def sentry_installation(*, at: datetime, secret: str = SENTRY_SECRET) -> Delivery:
    payload = {"action": "created", "data": {"installation": {"uuid": "7a48"}}}
    return sentry_raw(_json(payload), resource="installation", at=at, secret=secret)


# --- Vercel ----------------------------------------------------------------------------------


def vercel_deployment(
    type: str = "deployment.error",
    *,
    target: str | None = "production",
    project_id: str = "prj_ailex0123456789",
    name: str = "ailex",
    deployment_id: str = "dpl_8aBcDeFgHiJkLmNoP",
    secret: str = VERCEL_SECRET,
    delivery_id: str | None = None,
    at: datetime = DEFAULT_AT,
) -> Delivery:
    """A Vercel deployment webhook (`deployment.created|succeeded|promoted|error|canceled`)."""
    host = f"{name}-git-main-ailex.vercel.app"
    payload = {
        "type": type,
        "id": delivery_id or f"uHsdPskGyD{uuid.uuid4().hex[:12]}",
        "createdAt": int(at.timestamp() * 1000),
        "region": "icn1",
        "payload": {
            "team": {"id": "team_ailex"},
            "user": {"id": "usr_0001"},
            "deployment": {
                "id": deployment_id,
                "url": host,
                "name": name,
                "meta": {
                    "githubCommitSha": "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f",
                    "githubCommitRef": "main",
                    "githubCommitMessage": "fix: dashboard summary",
                },
            },
            "links": {
                "deployment": f"https://vercel.com/ailex/{name}/{deployment_id}",
                "project": f"https://vercel.com/ailex/{name}",
            },
            "name": name,
            "plan": "pro",
            "project": {"id": project_id},
            "regions": ["icn1"],
            "target": target,
            "type": "LAMBDAS",
            "url": host,
        },
    }
    return vercel_raw(_json(payload), secret=secret)


# --- GitHub ----------------------------------------------------------------------------------


def github_workflow_run(
    conclusion: str | None = "failure",
    *,
    action: str = "completed",
    path: str = ".github/workflows/deploy.yml",
    name: str = "Deploy",
    run_id: int = 9876543210,
    run_number: int = 412,
    branch: str = "main",
    sha: str = "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f",
    secret: str = GITHUB_SECRET,
    delivery: str | None = None,
    at: datetime = DEFAULT_AT,
) -> Delivery:
    """A `workflow_run` event of cheesom-max/AILEX."""
    stamp = at.isoformat().replace("+00:00", "Z")
    payload = {
        "action": action,
        "workflow_run": {
            "id": run_id,
            "name": name,
            "path": path,
            "head_branch": branch,
            "head_sha": sha,
            "display_title": "fix: dashboard summary",
            "run_number": run_number,
            "run_attempt": 1,
            "event": "push",
            "status": "completed" if action == "completed" else "in_progress",
            "conclusion": conclusion if action == "completed" else None,
            "workflow_id": 87654321,
            "html_url": f"https://github.com/cheesom-max/AILEX/actions/runs/{run_id}",
            "created_at": stamp,
            "updated_at": stamp,
        },
        "workflow": {"id": 87654321, "name": name, "path": path},
        "repository": {"id": 123456789, "full_name": "cheesom-max/AILEX"},
        "sender": {"login": "cheesom-max", "type": "User"},
    }
    return github_raw(_json(payload), event="workflow_run", secret=secret, delivery=delivery)


def github_ping(*, secret: str = GITHUB_SECRET, delivery: str | None = None) -> Delivery:
    payload = {
        "zen": "Design for failure.",
        "hook_id": 512345678,
        "hook": {"type": "Repository", "events": ["workflow_run"], "active": True},
        "repository": {"id": 123456789, "full_name": "cheesom-max/AILEX"},
    }
    return github_raw(_json(payload), event="ping", secret=secret, delivery=delivery)
