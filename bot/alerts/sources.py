"""Reading one webhook delivery (SPEC 6): authenticate it on the raw bytes, then parse it into
a Signal, an Ignored, or a Refused with the status the edge answers.

Pure: no Slack, no store, no clock of its own (`now` is passed in). Every failure of a hostile
or broken body is a `Refused(400)`; nothing else escapes. Authentication always runs before
the body is parsed, and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from bot.alerts.signal import AlertState, Ignored, Refused, Signal, Source

MAX_BODY_BYTES = 1_048_576  # 1 MiB, SPEC 6
SENTRY_TIMESTAMP_TOLERANCE = timedelta(minutes=5)

# Clip lengths: enough for any real title or detail, small enough for a card and a row.
_KEY_CHARS = 200
_NAME_CHARS = 200
_SUMMARY_CHARS = 500
_TEXT_CHARS = 1000
_URL_CHARS = 1000
_DETAIL_CHARS = 200
_LEVEL_CHARS = 20

# C0/C1 controls, lone surrogates (JSON may carry "\ud800", which no UTF-8 store accepts),
# and the bidi overrides that can make a title read backwards.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Secrets:
    """The webhook secrets of SPEC 3.2; None means that source's endpoint is off (404)."""

    uptimerobot: str | None = None
    sentry: str | None = None
    vercel: str | None = None
    github: str | None = None

    def of(self, source: Source) -> str | None:
        return {
            Source.UPTIMEROBOT: self.uptimerobot,
            Source.SENTRY: self.sentry,
            Source.VERCEL: self.vercel,
            Source.GITHUB: self.github,
        }[source]

    def __repr__(self) -> str:
        # A Secrets object may land in a log line or a traceback: never show the values.
        shown = ", ".join(
            f"{f.name}={'set' if getattr(self, f.name) else None}" for f in fields(self)
        )
        return f"Secrets({shown})"


def read(
    source: Source,
    *,
    body: bytes,
    headers: Mapping[str, str],
    query: str,
    secrets: Secrets,
    now: datetime,
    workflow: str,
) -> Signal | Ignored:
    """Authenticate and read one delivery to `POST /webhooks/<source>`; raise Refused."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    secret = secrets.of(source)
    if not secret:
        raise Refused(404, "source not configured")
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "body too large")
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if source is Source.UPTIMEROBOT:
        return _uptimerobot(body, lowered, query, secret, now)
    if source is Source.SENTRY:
        return _sentry(body, lowered, secret, now)
    if source is Source.VERCEL:
        return _vercel(body, lowered, secret)
    return _github(body, lowered, secret, workflow)


# --- authentication -------------------------------------------------------------------------


def _same(expected: str, given: str) -> bool:
    """Constant-time equality of two strings of any characters."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "surrogatepass"))


def _hex_hmac(secret: str, body: bytes, digest: Callable[..., Any]) -> str:
    return hmac.new(secret.encode("utf-8"), body, digest).hexdigest()


def _require_signature(given: str | None, expected: str) -> None:
    if given is None or not _same(expected, given.strip().lower()):
        raise Refused(401, "bad signature")


# --- reading values -------------------------------------------------------------------------


def clean(value: str, limit: int) -> str:
    """One display-safe line: controls removed, whitespace folded, at most `limit` chars."""
    text = _SPACES.sub(" ", _UNSAFE.sub(lambda m: " " if m.group() in "\t\n\r" else "", value))
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _scalar(value: object, field: str) -> str | None:
    """A string, a number written as a string, or None; any other type is unreadable."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Refused(400, f"{field}: wrong type")
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
    raise Refused(400, f"{field}: wrong type")


def _text(obj: Mapping[str, Any], field: str, limit: int = _NAME_CHARS) -> str | None:
    raw = _scalar(obj.get(field), field)
    if raw is None:
        return None
    cleaned = clean(raw, limit)
    return cleaned or None


def _object(obj: Mapping[str, Any], field: str, *, required: bool = False) -> dict[str, Any]:
    value = obj.get(field)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Refused(400, f"{field}: not an object")
    return value


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.lower().startswith(("https://", "http://")):
        return None
    return clean(value, _URL_CHARS).replace(" ", "%20") or None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Refused(400, "body is not JSON") from error
    if not isinstance(decoded, dict):
        raise Refused(400, "body is not a JSON object")
    return decoded


def _joined(*parts: str | None, limit: int = _TEXT_CHARS) -> str:
    return clean(" ".join(p for p in parts if p), limit)


def _details(**values: str | None) -> dict[str, str]:
    return {k: clean(v, _DETAIL_CHARS) for k, v in values.items() if v}


def _unix(value: str | None, *, per_second: int = 1) -> datetime | None:
    """Unix time (seconds, or milliseconds with per_second=1000) as an aware datetime; None
    when it is not a readable instant."""
    if value is None:
        return None
    try:
        seconds = float(value) / per_second
        return datetime.fromtimestamp(seconds, UTC) if math.isfinite(seconds) else None
    except (ValueError, OverflowError, OSError):
        return None


def _iso(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        # An offset can push year 1 or 9999 past the calendar in UTC, where the store keeps it.
        return aware.astimezone(UTC)
    except OverflowError:
        return None


def _body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# --- UptimeRobot ----------------------------------------------------------------------------

_UPTIMEROBOT_STATES = {
    "1": (AlertState.FIRING, "down"),
    "2": (AlertState.RESOLVED, "up"),
    "3": (AlertState.INFO, "ssl"),
}


def _uptimerobot(
    body: bytes, headers: Mapping[str, str], query: str, secret: str, now: datetime
) -> Signal:
    # Unsigned: the secret rides in the URL or a header. Either one matching authenticates.
    query_pairs = parse_qsl(query, keep_blank_values=True)
    offered = [v for k, v in query_pairs if k.lower() == "secret"]
    if "x-webhook-secret" in headers:
        offered.append(headers["x-webhook-secret"])
    # Compare every offered value, so the time taken does not tell which one was right.
    matches = [_same(secret, candidate) for candidate in offered]
    if not any(matches):
        raise Refused(401, "bad secret")

    values: dict[str, Any] = {k.lower(): v for k, v in query_pairs if k.lower() != "secret"}
    values.update(_uptimerobot_body(body))
    values.pop("secret", None)

    monitor_id = _text(values, "monitorid", _KEY_CHARS)
    if monitor_id is None:
        raise Refused(400, "monitorID missing")
    alert_type = _text(values, "alerttype", 4)
    if alert_type not in _UPTIMEROBOT_STATES:
        raise Refused(400, "alertType not 1, 2 or 3")
    state, kind = _UPTIMEROBOT_STATES[alert_type]
    monitor_url = _text(values, "monitorurl", _URL_CHARS)
    name = _text(values, "monitorfriendlyname") or monitor_url or monitor_id
    summary = _text(values, "alertdetails", _SUMMARY_CHARS) or ""
    at_raw = _text(values, "alertdatetime", 40)
    # Without alertDateTime a retry cannot be told from a new alert; the second is the best
    # identity left.
    at_id = at_raw if at_raw is not None else str(int(now.timestamp()))
    details = _details(
        alert_type=_text(values, "alerttypefriendlyname"),
        duration_seconds=_text(values, "alertduration"),
        ssl_expiry_date=_text(values, "sslexpirydate"),
        ssl_expiry_days_left=_text(values, "sslexpirydaysleft"),
    )
    signal = Signal(
        source=Source.UPTIMEROBOT,
        delivery_id=clean(f"{monitor_id}:{alert_type}:{at_id}", _KEY_CHARS),
        key=monitor_id,
        state=state,
        kind=kind,
        name=name,
        summary=summary,
        text=_joined(name, summary),
        url=_url(monitor_url),
        occurred_at=_unix(at_raw),
        details=details,
    )
    return _without(signal, secret)


def _uptimerobot_body(body: bytes) -> dict[str, Any]:
    """The body's fields, keys lower-cased: a JSON object, form fields, or nothing."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, "body is not UTF-8") from error
    if not text.strip():
        return {}
    if text.lstrip().startswith(("{", "[", '"')):
        decoded = _json_object(body)
        lowered: dict[str, Any] = {}
        for k, v in decoded.items():
            lowered[k.lower()] = v
        return lowered
    return {k.lower(): v for k, v in parse_qsl(text, keep_blank_values=True)}


def _without(signal: Signal, secret: str) -> Signal:
    """The signal with the shared secret cut out of every string, wherever a user typed it."""

    def cut(value: str) -> str:
        return value.replace(secret, "[redacted]")

    return Signal(
        source=signal.source,
        delivery_id=cut(signal.delivery_id),
        key=cut(signal.key),
        state=signal.state,
        kind=signal.kind,
        name=cut(signal.name),
        summary=cut(signal.summary),
        text=cut(signal.text),
        level=signal.level,
        url=cut(signal.url) if signal.url else None,
        occurred_at=signal.occurred_at,
        details={k: cut(v) for k, v in signal.details.items()},
    )


# --- Sentry ---------------------------------------------------------------------------------


def _sentry(
    body: bytes, headers: Mapping[str, str], secret: str, now: datetime
) -> Signal | Ignored:
    _require_signature(
        headers.get("sentry-hook-signature"), _hex_hmac(secret, body, hashlib.sha256)
    )
    stamp = _unix(headers.get("sentry-hook-timestamp", "").strip() or None)
    if stamp is None or abs(now - stamp) > SENTRY_TIMESTAMP_TOLERANCE:
        raise Refused(401, "stale or missing timestamp")

    resource = headers.get("sentry-hook-resource", "").strip().lower()
    if resource not in ("event_alert", "issue", "metric_alert"):
        return Ignored(f"sentry resource {clean(resource, 40) or 'missing'}")
    payload = _json_object(body)
    action = _text(payload, "action", 40)
    data = _object(payload, "data", required=True)
    request_id = headers.get("request-id", "").strip()
    delivery_id = clean(request_id, _KEY_CHARS) or _body_digest(body)

    if resource == "event_alert":
        if action != "triggered":
            return Ignored(f"sentry event_alert {action}")
        event = _object(data, "event", required=True)
        key = _text(event, "issue_id", _KEY_CHARS) or _text(event, "event_id", _KEY_CHARS)
        if key is None:
            raise Refused(400, "event without issue_id or event_id")
        title = _text(event, "title")
        culprit = _text(event, "culprit", _SUMMARY_CHARS)
        rule = _object(data, "issue_alert")
        return Signal(
            source=Source.SENTRY,
            delivery_id=delivery_id,
            key=key,
            state=AlertState.FIRING,
            kind=resource,
            name=title or culprit or key,
            summary=culprit or "",
            text=_joined(title, culprit),
            level=_level(event),
            url=_url(_text(event, "web_url", _URL_CHARS) or _text(event, "issue_url", _URL_CHARS)),
            occurred_at=_iso(_text(event, "datetime", 40)) or stamp,
            details=_details(
                event_id=_text(event, "event_id"),
                platform=_text(event, "platform"),
                rule=_text(rule, "title") or _text(data, "triggered_rule"),
            ),
        )

    if resource == "issue":
        issue_states = {
            "created": AlertState.FIRING,
            "unresolved": AlertState.FIRING,
            "resolved": AlertState.RESOLVED,
        }
        if action not in issue_states:
            return Ignored(f"sentry issue {action}")
        issue = _object(data, "issue", required=True)
        key = _text(issue, "id", _KEY_CHARS)
        if key is None:
            raise Refused(400, "issue without id")
        title = _text(issue, "title")
        culprit = _text(issue, "culprit", _SUMMARY_CHARS)
        project = _object(issue, "project")
        return Signal(
            source=Source.SENTRY,
            delivery_id=delivery_id,
            key=key,
            state=issue_states[action],
            kind=resource,
            name=title or culprit or key,
            summary=culprit or "",
            text=_joined(title, culprit),
            level=_level(issue),
            url=_url(_text(issue, "web_url", _URL_CHARS)),
            occurred_at=stamp,
            details=_details(
                short_id=_text(issue, "shortId"),
                status=_text(issue, "status"),
                project=_text(project, "slug") or _text(project, "name"),
            ),
        )

    metric_states = {
        "critical": AlertState.FIRING,
        "warning": AlertState.FIRING,
        "resolved": AlertState.RESOLVED,
    }
    if action not in metric_states:
        return Ignored(f"sentry metric_alert {action}")
    metric = _object(data, "metric_alert", required=True)
    key = _text(metric, "id", _KEY_CHARS)
    if key is None:
        raise Refused(400, "metric alert without id")
    rule = _object(metric, "alert_rule")
    description_title = _text(data, "description_title")
    rule_name = _text(rule, "name")
    aggregate = _text(rule, "aggregate")
    title = _text(metric, "title") or description_title or rule_name or key
    return Signal(
        source=Source.SENTRY,
        delivery_id=delivery_id,
        key=key,
        state=metric_states[action],
        kind=resource,
        name=title,
        summary=_text(data, "description_text", _SUMMARY_CHARS) or description_title or "",
        text=_joined(description_title, rule_name, aggregate),
        level=action if action != "resolved" else None,
        url=_url(_text(data, "web_url", _URL_CHARS)),
        occurred_at=_iso(_text(metric, "date_started", 40)) or stamp,
        details=_details(
            rule=rule_name,
            aggregate=aggregate,
            query=_text(rule, "query"),
            time_window=_text(rule, "time_window"),
            identifier=_text(metric, "identifier"),
        ),
    )


def _level(obj: Mapping[str, Any]) -> str | None:
    level = _text(obj, "level", _LEVEL_CHARS)
    return level.lower() if level else None


# --- Vercel ---------------------------------------------------------------------------------

_VERCEL_STATES = {
    "deployment.error": AlertState.FIRING,
    "deployment.succeeded": AlertState.RESOLVED,
    "deployment.promoted": AlertState.RESOLVED,
}


def _vercel(body: bytes, headers: Mapping[str, str], secret: str) -> Signal | Ignored:
    _require_signature(headers.get("x-vercel-signature"), _hex_hmac(secret, body, hashlib.sha1))
    event = _json_object(body)
    kind = _text(event, "type", 80)
    if kind not in _VERCEL_STATES:
        return Ignored(f"vercel {kind}")
    payload = _object(event, "payload", required=True)
    target = _text(payload, "target", 40)
    if target != "production":
        return Ignored(f"vercel {kind} target {target}")
    delivery_id = _text(event, "id", _KEY_CHARS)
    if delivery_id is None:
        raise Refused(400, "delivery without id")
    deployment = _object(payload, "deployment")
    project = _object(payload, "project")
    links = _object(payload, "links")
    meta = _object(deployment, "meta")
    deployment_name = _text(deployment, "name")
    key = _text(project, "id", _KEY_CHARS) or deployment_name
    if key is None:
        raise Refused(400, "deployment without project")
    host = _text(deployment, "url", _URL_CHARS)
    commit = _text(meta, "githubCommitSha", 80)
    branch = _text(meta, "githubCommitRef")
    created = _unix(_text(event, "createdAt", 40), per_second=1000)
    return Signal(
        source=Source.VERCEL,
        delivery_id=delivery_id,
        key=key,
        state=_VERCEL_STATES[kind],
        kind=kind,
        name=deployment_name or key,
        summary=_joined(kind, target, host, branch, commit[:7] if commit else None),
        text=_joined(deployment_name, kind),
        url=_url(_text(links, "deployment", _URL_CHARS) or (f"https://{host}" if host else None)),
        occurred_at=created,
        details=_details(
            deployment_id=_text(deployment, "id"),
            deployment_url=host,
            target=target,
            branch=branch,
            commit=commit[:7] if commit else None,
        ),
    )


# --- GitHub ---------------------------------------------------------------------------------

_GITHUB_CONCLUSIONS = {
    "failure": AlertState.FIRING,
    "timed_out": AlertState.FIRING,
    "startup_failure": AlertState.FIRING,
    "success": AlertState.RESOLVED,
}


def _file_name(path: str) -> str:
    # A reusable workflow's path may carry "@ref"; the file is what the setting names.
    return path.split("@", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _github(
    body: bytes, headers: Mapping[str, str], secret: str, workflow: str
) -> Signal | Ignored:
    expected = "sha256=" + _hex_hmac(secret, body, hashlib.sha256)
    _require_signature(headers.get("x-hub-signature-256"), expected)
    event_name = headers.get("x-github-event", "").strip().lower()
    if event_name != "workflow_run":
        return Ignored(f"github {clean(event_name, 40) or 'missing'}")
    event = _json_object(body)
    action = _text(event, "action", 40)
    if action != "completed":
        return Ignored(f"github workflow_run {action}")
    run = _object(event, "workflow_run", required=True)
    path = _text(run, "path", _KEY_CHARS)
    if path is None:
        raise Refused(400, "workflow_run without path")
    if _file_name(path) != _file_name(workflow):
        return Ignored("github workflow_run of another workflow")
    conclusion = _text(run, "conclusion", 40)
    if conclusion not in _GITHUB_CONCLUSIONS:
        return Ignored(f"github workflow_run {conclusion}")
    delivery = clean(headers.get("x-github-delivery", ""), _KEY_CHARS) or _body_digest(body)
    name = _text(run, "name") or path
    branch = _text(run, "head_branch")
    sha = _text(run, "head_sha", 80)
    return Signal(
        source=Source.GITHUB,
        delivery_id=delivery,
        key=path,
        state=_GITHUB_CONCLUSIONS[conclusion],
        kind="workflow_run",
        name=name,
        summary=_joined(conclusion, branch, sha[:7] if sha else None, limit=_SUMMARY_CHARS),
        text=_joined(name, conclusion),
        url=_url(_text(run, "html_url", _URL_CHARS)),
        occurred_at=_iso(_text(run, "updated_at", 40)),
        details=_details(
            conclusion=conclusion,
            branch=branch,
            commit=sha[:7] if sha else None,
            run_number=_text(run, "run_number"),
            run_attempt=_text(run, "run_attempt"),
            trigger=_text(run, "event"),
        ),
    )
