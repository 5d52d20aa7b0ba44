"""The alert catalogue (SPEC 6) as data: which scenario an alert points to, and how severe.

Read like the runbook's 증상 table, first match wins. Adding a source or a symptom is one
`Rule` in CATALOGUE; the scenario keys are those of bot/diagnosis/scenarios.py.

Order: the rules that name a thing (a metric on latency, a JWT, OpenAI) come before the
generic "timeout" of the database rule, so `OpenAI request timed out` is 상황 3, not 상황 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.alerts.signal import Signal, Source
from bot.incidents.vocabulary import Severity

SeverityOf = Callable[[Signal], Severity]


@dataclass(frozen=True)
class Classification:
    scenario: str
    severity: Severity


def fixed(severity: Severity) -> SeverityOf:
    """Always this severity."""
    return lambda _signal: severity


def by_level(levels: Mapping[str, Severity], otherwise: Severity) -> SeverityOf:
    """The severity the signal's level (Sentry's level, or a metric alert's action) maps to."""
    return lambda signal: levels.get((signal.level or "").lower(), otherwise)


@dataclass(frozen=True)
class Rule:
    """Signals of `source` whose kind is one of `kinds` (empty: any) and whose text matches
    `pattern` (None: any) point to `scenario` with `severity`."""

    source: Source
    kinds: tuple[str, ...]
    pattern: re.Pattern[str] | None
    scenario: str
    severity: SeverityOf

    def matches(self, signal: Signal) -> bool:
        if signal.source is not self.source:
            return False
        if self.kinds and signal.kind not in self.kinds:
            return False
        return self.pattern is None or self.pattern.search(signal.text) is not None


def rule(
    source: Source,
    kinds: tuple[str, ...],
    pattern: str | None,
    scenario: str,
    severity: Severity | SeverityOf,
) -> Rule:
    """One catalogue entry; the pattern is a case-insensitive regular expression."""
    compiled = re.compile(pattern, re.IGNORECASE) if pattern is not None else None
    severity_of = fixed(severity) if isinstance(severity, Severity) else severity
    return Rule(source, kinds, compiled, scenario, severity_of)


P1, P2, P3 = Severity.P1, Severity.P2, Severity.P3
_SENTRY_ANY = ("event_alert", "issue", "metric_alert")

CATALOGUE: tuple[Rule, ...] = (
    # 상황 1: 서비스 완전 다운. Up and SSL notices of the same monitor point to the same place.
    rule(Source.UPTIMEROBOT, ("down", "up", "ssl"), None, "outage", P1),
    # 상황 5: 성능 저하. A metric alert on latency or duration; critical P2, warning P3.
    rule(
        Source.SENTRY,
        ("metric_alert",),
        r"latency|duration|response.?time|apdex|\bp(?:50|75|90|95|99|100)\b",
        "performance",
        by_level({"critical": P2, "warning": P3}, otherwise=P3),
    ),
    # 상황 4: 인증 시스템 장애.
    rule(
        Source.SENTRY,
        _SENTRY_ANY,
        r"invalid[ _]?jwt|auth[ _]?session[ _]?missing|jwt[ _]?expired|token (?:is |has )?expired",
        "auth",
        P2,
    ),
    # 상황 3: OpenAI API 장애 또는 과금 문제.
    rule(
        Source.SENTRY,
        _SENTRY_ANY,
        r"openai|quota|rate[ _-]?limit|\b429\b|too many requests",
        "openai",
        P2,
    ),
    # 상황 2: 데이터베이스 연결 실패.
    rule(
        Source.SENTRY,
        _SENTRY_ANY,
        r"connection refused|econnrefused|timeout|timed out|etimedout"
        r"|too many (?:db |database )?(?:connections|clients)",
        "database",
        P2,
    ),
    # Any other Sentry alert: all scenarios are diagnosed; fatal or error (or critical) P2.
    rule(
        Source.SENTRY,
        (),
        None,
        "triage",
        by_level({"fatal": P2, "error": P2, "critical": P2}, otherwise=P3),
    ),
    # 상황 6: 배포 실패. The succeeded deploy that follows points to the same place.
    rule(Source.VERCEL, (), None, "deploy", P3),
    rule(Source.GITHUB, ("workflow_run",), None, "deploy", P3),
)

# What a signal no entry claims is: every scenario diagnosed, the lowest severity.
UNCLAIMED = Classification("triage", P3)


def classify(signal: Signal, catalogue: tuple[Rule, ...] = CATALOGUE) -> Classification:
    """The scenario and severity of the first entry that matches the signal."""
    for entry in catalogue:
        if entry.matches(signal):
            return Classification(entry.scenario, entry.severity(signal))
    return UNCLAIMED
