"""The runbook's seven scenarios as data: each one's checks (진단 절차), the cases they point
to (경우 A/B/C) and the remediation each case offers (즉시 조치).

Adding an eighth scenario is one `Scenario` entry here, its checks in CHECKS, and its sentences
in bot/messages/checks.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from bot.settings import Settings, vercel_args
from bot.text import fmt_datetime
from probes.backups import check_latest_backup
from probes.base import CheckStatus, Finding, msg
from probes.database import (
    check_audit_logs,
    check_db_connections,
    check_db_ping,
    check_db_size,
    check_slow_queries,
    check_table_counts,
)
from probes.dns import check_dns
from probes.github import check_github_workflow
from probes.openai import check_openai_key
from probes.site import check_response_times, check_site
from probes.statuspage import check_statuspage
from probes.supabase_auth import check_auth_health, check_auth_settings, check_auth_signin
from probes.vercel import (
    VercelArgs,
    check_vercel_deployment_errors,
    check_vercel_deployments,
    check_vercel_failed_build,
)

Findings = Mapping[str, Finding]


@dataclass(frozen=True)
class Baseline:
    """The row-count snapshot a data-loss check compares against, and where it came from."""

    id: int
    taken_at: datetime
    source: str  # "schedule" or "diagnosis"
    counts: dict[str, int]


@dataclass(frozen=True)
class Inputs:
    """What a check may read: the settings, the incident's start, the row-count baseline."""

    settings: Settings
    incident_started_at: datetime | None = None
    baseline: Baseline | None = None

    @property
    def previous_counts(self) -> dict[str, int] | None:
        return dict(self.baseline.counts) if self.baseline else None

    @property
    def timeout(self) -> float:
        return self.settings.probe_timeout

    def secret(self, name: str) -> str | None:
        return self.settings.secret(name)


Probe = Callable[[Inputs], Awaitable[Finding]]


class _SupabaseArgs(TypedDict):
    supabase_url: str | None
    anon_key: str | None
    timeout: float


class _DbArgs(TypedDict):
    dsn: str | None
    timeout: float


def _vercel(i: Inputs) -> VercelArgs:
    return vercel_args(i.settings, timeout=i.timeout)


def _supabase(i: Inputs) -> _SupabaseArgs:
    return {
        "supabase_url": i.settings.supabase_url,
        "anon_key": i.secret("supabase_anon_key"),
        "timeout": i.timeout,
    }


def _db(i: Inputs) -> _DbArgs:
    return {"dsn": i.secret("supabase_db_url"), "timeout": i.timeout}


def _baseline(i: Inputs) -> dict[str, Any] | None:
    """Which snapshot the row counts are compared with, and when it was taken (local time)."""
    b = i.baseline
    if b is None:
        return None
    kind = "diagnosis.baseline_schedule" if b.source == "schedule" else "diagnosis.baseline_run"
    return {
        "id": b.id,
        "taken_at": b.taken_at.isoformat(),
        "source": b.source,
        "label": msg(kind, id=b.id, at=fmt_datetime(b.taken_at, i.settings.zone)).model_dump(),
    }


# Every check, by the id it carries in results (SPEC 3.1's `checks[].id`).
CHECKS: dict[str, Probe] = {
    "site": lambda i: check_site(url=i.settings.site_url, timeout=i.timeout),
    "dns": lambda i: check_dns(
        domain=i.settings.domain, timeout=i.timeout, nameservers=i.settings.dns_nameservers
    ),
    "vercel_deployments": lambda i: check_vercel_deployments(
        **_vercel(i), incident_started_at=i.incident_started_at
    ),
    "vercel_errors": lambda i: check_vercel_deployment_errors(**_vercel(i)),
    "vercel_status": lambda i: check_statuspage(
        base_url=i.settings.statuspage_vercel, timeout=i.timeout, name="Vercel"
    ),
    "supabase_status": lambda i: check_statuspage(
        base_url=i.settings.statuspage_supabase, timeout=i.timeout, name="Supabase"
    ),
    "db_ping": lambda i: check_db_ping(**_db(i)),
    "db_connections": lambda i: check_db_connections(
        **_db(i), idle_minutes=i.settings.idle_minutes
    ),
    "db_size": lambda i: check_db_size(**_db(i), limit_mb=i.settings.db_size_limit_mb),
    "audit_logs": lambda i: check_audit_logs(
        **_db(i), retention_days=i.settings.audit_retention_days
    ),
    "openai_status": lambda i: check_statuspage(
        base_url=i.settings.statuspage_openai, timeout=i.timeout, name="OpenAI"
    ),
    "openai_key": lambda i: check_openai_key(
        base_url=i.settings.openai_base_url, api_key=i.secret("openai_api_key"), timeout=i.timeout
    ),
    "auth_health": lambda i: check_auth_health(**_supabase(i)),
    "auth_settings": lambda i: check_auth_settings(**_supabase(i)),
    "auth_signin": lambda i: check_auth_signin(
        **_supabase(i),
        email=i.settings.auth_check_email,
        password=i.secret("auth_check_password"),
    ),
    "site_timing": lambda i: check_response_times(
        base_url=i.settings.site_url, paths=["/"], timeout=i.timeout
    ),
    "api_timing": lambda i: check_response_times(
        base_url=i.settings.site_url, paths=i.settings.api_paths, timeout=i.timeout
    ),
    "slow_queries": lambda i: check_slow_queries(**_db(i)),
    "github_workflow": lambda i: check_github_workflow(
        api_url=i.settings.github_api_url,
        repository=i.settings.github_repository,
        workflow=i.settings.github_workflow,
        token=i.secret("github_token"),
        timeout=i.timeout,
    ),
    "vercel_build": lambda i: check_vercel_failed_build(**_vercel(i)),
    "table_counts": lambda i: check_table_counts(
        **_db(i), previous=i.previous_counts, baseline=_baseline(i)
    ),
    "latest_backup": lambda i: check_latest_backup(directory=i.settings.backup_dir),
}


# Checks whose subject being too slow to answer in AILEX_PROBE_TIMEOUT is the very symptom
# they look for (상황 1: the site unreachable; 상황 5: "5초 이상"): a timeout is a `fail`.
TIMEOUT_IS_SYMPTOM = frozenset({"site", "site_timing", "api_timing"})


# -- what findings mean -------------------------------------------------------------------------
TROUBLE = (CheckStatus.WARN, CheckStatus.FAIL)


def status(findings: Findings, check: str) -> CheckStatus | None:
    finding = findings.get(check)
    return finding.status if finding else None


def troubled(check: str) -> Callable[[Findings], bool]:
    """The check warns or fails."""
    return lambda f: status(f, check) in TROUBLE


def failing(check: str) -> Callable[[Findings], bool]:
    return lambda f: status(f, check) == CheckStatus.FAIL


def datum(findings: Findings, check: str, key: str) -> object:
    finding = findings.get(check)
    return finding.data.get(key) if finding else None


def reported(check: str, *reasons: str) -> Callable[[Findings], bool]:
    """The check reports one of these reasons (its finding's `data["reason"]`: what it saw,
    never how a sentence about it is worded)."""

    def predicate(findings: Findings) -> bool:
        return datum(findings, check, "reason") in reasons

    return predicate


def any_of(*predicates: Callable[[Findings], bool]) -> Callable[[Findings], bool]:
    return lambda f: any(p(f) for p in predicates)


def always(_: Findings) -> bool:
    return True


# Checks that can run and still have no answer to judge by, and how their data shows it: no
# snapshot to compare with (or no table to count), pg_stat_statements unavailable or empty.
NO_ANSWER: dict[str, Callable[[Finding], bool]] = {
    "table_counts": lambda f: f.data.get("first_snapshot") is True or not f.data.get("counts"),
    "slow_queries": lambda f: f.data.get("enabled") is False or f.data.get("statements") == [],
}
ANSWERED = (CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL)


def decisive(findings: Findings, check: str) -> bool:
    """The check ran and gave an answer a case can be judged by."""
    finding = findings.get(check)
    if finding is None or finding.status not in ANSWERED:
        return False
    no_answer = NO_ANSWER.get(check)
    return no_answer is None or not no_answer(finding)


def auth_on_status_page(findings: Findings) -> bool:
    """Supabase's status page shows trouble of Auth itself (a component or an incident naming
    it, or a major outage of everything), not of some other component."""
    finding = findings.get("supabase_status")
    if finding is None or finding.status not in TROUBLE:
        return False
    if finding.data.get("indicator") == "critical":
        return True
    names = [str(c.get("name", "")) for c in finding.data.get("components") or []]
    names += [str(i.get("name", "")) for i in finding.data.get("incidents") or []]
    return any("auth" in name.lower() or "로그인" in name for name in names)


@dataclass(frozen=True)
class Case:
    """A runbook case: when it applies, and the remediation (action key) it offers."""

    letter: str
    applies: Callable[[Findings], bool]
    # The checks whose answers decide the case: when none of them gave one (skipped, errored,
    # or nothing to compare with), the case is neither concluded nor ruled out.
    deciders: tuple[str, ...]
    remediation: str | None = None
    argument: str | None = None
    # The remediation is offered only when this also holds (e.g. there is something to kill).
    offer_when: Callable[[Findings], bool] = always
    # The sentence that says it, when one letter has several (상황 3 경우 B: 잔액 or 키).
    variant: str | None = None

    def sentence(self, scenario: str) -> str:
        suffix = f".{self.variant}" if self.variant else ""
        return f"case.{scenario}.{self.letter}{suffix}"


@dataclass(frozen=True)
class Scenario:
    key: str  # the comment beside each names its 상황 in the runbook
    checks: tuple[str, ...]
    cases: tuple[Case, ...] = field(default_factory=tuple)
    # Its message offers to inspect a pasted JWT (상황 4 경우 C: JWT 시크릿 문제).
    jwt_inspection: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "outage",  # 상황 1: 서비스 완전 다운
        ("site", "dns", "vercel_deployments", "vercel_errors", "vercel_status"),
        (
            # 경우 A: 최근 배포 이후 발생 -> 이전 배포로 롤백
            Case(
                "A",
                lambda f: datum(f, "vercel_deployments", "recent_deploy") is True,
                ("vercel_deployments",),
                "rollback",
            ),
            # 경우 B: Vercel 인프라 장애 -> 상태 페이지, 고객 공지, 지원 티켓
            Case("B", troubled("vercel_status"), ("vercel_status",)),
            # 경우 C: DNS 문제 -> 레지스트라와 Vercel DNS 설정 확인
            Case(
                "C",
                any_of(failing("dns"), lambda f: troubled("dns")(f) and failing("site")(f)),
                ("dns",),
            ),
        ),
    ),
    Scenario(
        "database",  # 상황 2: 데이터베이스 연결 실패
        ("supabase_status", "db_ping", "db_connections", "db_size", "audit_logs"),
        (
            # 경우 A: Supabase 장애
            Case("A", troubled("supabase_status"), ("supabase_status",)),
            # 경우 B: 연결 수 초과 -> 불필요한 연결 종료
            Case(
                "B",
                troubled("db_connections"),
                ("db_connections",),
                "kill-idle-connections",
                offer_when=lambda f: bool(datum(f, "db_connections", "idle_over")),
            ),
            # 경우 C: DB 용량 초과 -> 90일 이상 된 감사 로그 삭제
            Case(
                "C",
                troubled("db_size"),
                ("db_size",),
                "purge-audit-logs",
                offer_when=lambda f: bool(datum(f, "audit_logs", "old_rows")),
            ),
        ),
    ),
    Scenario(
        "openai",  # 상황 3: OpenAI API 장애 또는 과금 문제
        ("openai_status", "openai_key"),
        (
            # 경우 A: OpenAI 서비스 장애 -> "일시적으로 AI 기능을 사용할 수 없습니다" 안내
            Case(
                "A",
                any_of(troubled("openai_status"), reported("openai_key", "server_error")),
                ("openai_status", "openai_key"),
                "ai-degraded",
                "on",
            ),
            # 경우 B, 잔액 부족: 결제 페이지에서 충전, 그동안 AI 기능 안내. 같은 조직의 새 키도
            # 똑같이 실패하므로 키 교체는 권하지 않는다.
            Case(
                "B",
                reported("openai_key", "insufficient_quota"),
                ("openai_key",),
                "ai-degraded",
                "on",
                variant="quota",
            ),
            # 경우 B, 키 만료(거부): 키 재생성, Vercel 환경변수 교체, 재배포
            Case(
                "B",
                reported("openai_key", "invalid_key"),
                ("openai_key",),
                "rotate-openai-key",
                variant="key",
            ),
            # 경우 C: 비용 폭증 (비정상적 사용) -> Hard Limit 낮춤, 과다 사용자/엔드포인트 확인,
            # 해당 사용자 rate limit 강화 또는 정지. 요청 한도 초과(429)가 그 신호다.
            Case("C", reported("openai_key", "rate_limited"), ("openai_key",)),
        ),
    ),
    Scenario(
        "auth",  # 상황 4: 인증 시스템 장애
        ("supabase_status", "auth_health", "auth_settings", "auth_signin"),
        (
            # 경우 A: Supabase Auth 장애 (상태 페이지의 다른 구성요소 장애는 해당하지 않는다)
            Case(
                "A",
                any_of(failing("auth_health"), auth_on_status_page),
                ("auth_health", "supabase_status"),
            ),
            # 경우 B: Google OAuth 설정 문제
            Case("B", reported("auth_settings", "google_off"), ("auth_settings",)),
            # 경우 C: JWT 시크릿 문제 (키가 거절되거나 발급된 토큰이 이상함)
            Case(
                "C",
                any_of(
                    reported("auth_health", "key_rejected"),
                    reported("auth_settings", "key_rejected"),
                    reported("auth_signin", "signin_rejected", "key_rejected"),
                ),
                ("auth_health", "auth_settings", "auth_signin"),
            ),
        ),
        jwt_inspection=True,
    ),
    Scenario(
        "performance",  # 상황 5: 성능 저하 (즉시 조치 1-4; 런북에 경우 문자가 없다)
        ("site_timing", "api_timing", "slow_queries"),
        (
            # 1. 실행 시간이 긴 Vercel Functions 식별
            Case(
                "functions",
                any_of(troubled("site_timing"), troubled("api_timing")),
                ("site_timing", "api_timing"),
            ),
            # 2-3. 느린 쿼리 확인, 필요시 인덱스 추가
            Case(
                "queries", lambda f: bool(datum(f, "slow_queries", "slow_count")), ("slow_queries",)
            ),
        ),
    ),
    Scenario(
        "deploy",  # 상황 6: 배포 실패 (린트/타입체크/테스트/빌드/배포)
        ("github_workflow", "vercel_build"),
        (
            Case(
                "ci",
                failing("github_workflow"),
                ("github_workflow",),
                "emergency-deploy",
                # CI 우회 긴급 배포는 Vercel 빌드가 살아 있을 때만 뜻이 있다.
                offer_when=lambda f: status(f, "vercel_build") != CheckStatus.FAIL,
            ),
            Case("vercel", failing("vercel_build"), ("vercel_build",), "emergency-deploy"),
        ),
    ),
    Scenario(
        "data-loss",  # 상황 7: 데이터 유실 또는 손상
        ("table_counts", "latest_backup"),
        (
            # 1. 서비스 일시 중지 (점검 페이지)
            Case("pause", failing("table_counts"), ("table_counts",), "maintenance", "on"),
            # 2. 현재 상태 백업
            Case(
                "backup",
                any_of(failing("table_counts"), troubled("latest_backup")),
                ("table_counts", "latest_backup"),
                "backup",
            ),
        ),
    ),
)

BY_KEY: dict[str, Scenario] = {scenario.key: scenario for scenario in SCENARIOS}
TRIAGE = "triage"
SCENARIO_KEYS = (*BY_KEY, TRIAGE)


def checks_of(key: str) -> tuple[str, ...]:
    """The checks a scenario (or triage: every scenario) runs, each once, in runbook order."""
    if key == TRIAGE:
        return tuple(dict.fromkeys(c for s in SCENARIOS for c in s.checks))
    return BY_KEY[key].checks


def scenarios_of(key: str) -> tuple[Scenario, ...]:
    return SCENARIOS if key == TRIAGE else (BY_KEY[key],)


def case_named(scenario: str, letter: str) -> Case | None:
    """The scenario's case of that letter, when exactly one has it (상황 3 has two B)."""
    found = [case for case in getattr(BY_KEY.get(scenario), "cases", ()) if case.letter == letter]
    return found[0] if len(found) == 1 else None


def offers_jwt_inspection(key: str) -> bool:
    """Whether a run of this scenario (or triage) offers to inspect a JWT."""
    return any(scenario.jwt_inspection for scenario in scenarios_of(key))


_WEIGHTS = {CheckStatus.FAIL: 3, CheckStatus.WARN: 1, CheckStatus.ERROR: 1}


def strength(scenario: Scenario, findings: Findings) -> int:
    """How strongly a scenario's symptoms show: failing checks and matching cases count."""
    score = sum(_WEIGHTS.get(status(findings, c) or CheckStatus.OK, 0) for c in scenario.checks)
    return score + 2 * sum(1 for case in scenario.cases if concluded(case, findings))


def decided(case: Case, findings: Findings) -> bool:
    """At least one of the case's deciding checks gave an answer."""
    return any(decisive(findings, check) for check in case.deciders)


def concluded(case: Case, findings: Findings) -> bool:
    """The case applies, judged on checks that answered."""
    return decided(case, findings) and case.applies(findings)
