"""Running a scenario's checks at once, judging the runbook case, and recording it all.

`diagnose` is the pure run (used by the CLI); `Diagnoses` adds the store, the timeline and the
Slack message that fills in as checks finish.
"""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.aio import BackgroundLoop
from bot.clock import Clock
from bot.diagnosis.scenarios import (
    CHECKS,
    SCENARIO_KEYS,
    TIMEOUT_IS_SYMPTOM,
    TRIAGE,
    Baseline,
    Case,
    Findings,
    Inputs,
    checks_of,
    decided,
    scenarios_of,
    strength,
)
from bot.errors import UserError
from bot.incidents.flows import Actor, claim, incident_queue, record, redraw_card
from bot.incidents.vocabulary import EventKind
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.outbox import Operation, Sender
from bot.text import closest, escape
from probes.base import CheckStatus, Finding, Msg, msg
from probes.supabase_auth import inspect_jwt
from storage import Session, Store, diagnoses
from storage.models import Incident

# How long past AILEX_PROBE_TIMEOUT a diagnosis may take (SPEC 4: at most 1 s).
GRACE_S = 0.8
# How long past its own deadline a probe is given to say what it saw (a timed-out request is
# the probe's to judge: for a performance check it is the symptom) before it is cut off.
REPORT_S = 0.3


@dataclass(frozen=True)
class CheckOutcome:
    check_id: str
    finding: Finding
    duration_ms: int


class Suggestion(BaseModel):
    """A runbook case the findings point to, and the remediation it offers (if any). Stored
    with its run as it is (`model_dump`), read back by the Slack message (`model_validate`)."""

    model_config = ConfigDict(frozen=True)

    scenario: str
    case: str
    remediation: str | None = None
    argument: str | None = None
    offered: bool = False
    reason: Msg

    @property
    def command(self) -> str | None:
        """What pressing its button means: `/ailex remediate <command>`."""
        if not (self.remediation and self.offered):
            return None
        return f"{self.remediation} {self.argument}" if self.argument else self.remediation


@dataclass
class Diagnosis:
    scenario: str
    duration_ms: int
    outcomes: list[CheckOutcome]
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any check failed or errored (the CLI's exit status 1)."""
        return any(o.finding.status in (CheckStatus.FAIL, CheckStatus.ERROR) for o in self.outcomes)


def timed_out(seconds: float, check_id: str = "") -> Finding:
    """A check cut off at the deadline: an error, unless slowness is what it looks for."""
    if check_id in TIMEOUT_IS_SYMPTOM:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg("check.timed_out_slow", seconds=f"{seconds:g}"),
            data={"error": "timeout"},
        )
    return Finding(status=CheckStatus.ERROR, summary=msg("check.timed_out", seconds=f"{seconds:g}"))


def run_checks(
    loop: BackgroundLoop,
    check_ids: Iterable[str],
    inputs: Inputs,
    *,
    on_done: Callable[[CheckOutcome], None] | None = None,
) -> dict[str, CheckOutcome]:
    """Run the checks concurrently; each bounded by the probe timeout, all by it plus GRACE_S.

    `on_done` is called in this thread as each check finishes (the first answers show at once).
    """
    ids = list(check_ids)
    timeout = inputs.timeout
    finished: queue.Queue[CheckOutcome] = queue.Queue()

    async def one(check_id: str) -> None:
        started = time.perf_counter()
        try:
            finding = await asyncio.wait_for(CHECKS[check_id](inputs), timeout + REPORT_S)
        except TimeoutError:
            finding = timed_out(timeout, check_id)
        except Exception as exc:  # a probe never raises; if one does, it is still a result
            finding = Finding(
                status=CheckStatus.ERROR,
                summary=msg("check.unexpected", error=type(exc).__name__),
            )
        finished.put(CheckOutcome(check_id, finding, _ms_since(started)))

    started = time.perf_counter()
    deadline = time.monotonic() + timeout + GRACE_S
    for check_id in ids:
        loop.submit(one(check_id))
    outcomes: dict[str, CheckOutcome] = {}
    while len(outcomes) < len(ids):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            outcome = finished.get(timeout=remaining)
        except queue.Empty:
            break
        outcomes[outcome.check_id] = outcome
        if on_done is not None:
            on_done(outcome)
    for check_id in ids:
        # A check that ignored its cancellation: the deadline stands, the answer is a timeout.
        if check_id not in outcomes:
            outcome = CheckOutcome(check_id, timed_out(timeout, check_id), _ms_since(started))
            outcomes[check_id] = outcome
            if on_done is not None:
                on_done(outcome)
    return outcomes


# The `case` of the suggestion that says a scenario cannot be decided (SPEC 3.1's shape holds
# it: no remediation, and a reason naming what would let it decide).
UNDECIDED = "undecided"


def suggest(scenario_key: str, findings: Findings) -> list[Suggestion]:
    """The cases the findings point to, strongest scenario first (triage ranks them all), then
    for each scenario with cases its checks could not decide, one UNDECIDED suggestion."""
    ranked = sorted(scenarios_of(scenario_key), key=lambda s: strength(s, findings), reverse=True)
    suggestions = []
    undecided = []
    for scenario in ranked:
        open_cases = []
        for case in scenario.cases:
            if not decided(case, findings):
                open_cases.append(case)
                continue
            if not case.applies(findings):
                continue
            offered = case.remediation is not None and case.offer_when(findings)
            suggestions.append(
                Suggestion(
                    scenario=scenario.key,
                    case=case.letter,
                    remediation=case.remediation,
                    argument=case.argument,
                    offered=offered,
                    reason=msg(case.sentence(scenario.key)),
                )
            )
        if open_cases:
            undecided.append(_undecided(scenario.key, open_cases, findings))
    return suggestions + undecided


def _undecided(scenario: str, cases: list[Case], findings: Findings) -> Suggestion:
    """Cases nothing could decide: which settings (or which checks' answers) would."""
    checks = list(dict.fromkeys(check for case in cases for check in case.deciders))
    settings: list[str] = []
    silent: list[str] = []
    for check in checks:
        finding = findings.get(check)
        missing = finding.data.get("missing") if finding is not None else None
        if finding is not None and finding.status == CheckStatus.SKIPPED and missing:
            settings += [name for name in missing if name not in settings]
        else:
            silent.append(f"`{check}`")
    if settings and silent:
        needs = msg("diagnosis.needs_both", settings=", ".join(settings), checks=", ".join(silent))
    elif settings:
        needs = msg("diagnosis.needs_settings", settings=", ".join(settings))
    else:
        needs = msg("diagnosis.needs_checks", checks=", ".join(silent))
    letters = list(dict.fromkeys(case.letter for case in cases))
    if all(len(letter) == 1 for letter in letters):  # the runbook's 경우 A/B/C
        reason = msg(
            "diagnosis.undecided_cases", cases=", ".join(letters), needs=needs.model_dump()
        )
    else:
        reason = msg("diagnosis.undecided", needs=needs.model_dump())
    return Suggestion(
        scenario=scenario,
        case=UNDECIDED,
        remediation=None,
        argument=None,
        offered=False,
        reason=reason,
    )


def diagnose(
    loop: BackgroundLoop,
    scenario_key: str,
    inputs: Inputs,
    *,
    on_done: Callable[[CheckOutcome], None] | None = None,
) -> Diagnosis:
    """Run a scenario (or triage) and judge it."""
    started = time.perf_counter()
    ids = checks_of(scenario_key)
    outcomes = run_checks(loop, ids, inputs, on_done=on_done)
    findings = {check_id: outcome.finding for check_id, outcome in outcomes.items()}
    return Diagnosis(
        scenario=scenario_key,
        duration_ms=_ms_since(started),
        outcomes=[outcomes[check_id] for check_id in ids],
        suggestions=suggest(scenario_key, findings),
    )


def to_json(diagnosis: Diagnosis, t: Catalogue) -> dict[str, Any]:
    """SPEC 3.1's JSON shape."""
    return {
        "scenario": diagnosis.scenario,
        "duration_ms": diagnosis.duration_ms,
        "checks": [
            {
                "id": o.check_id,
                "status": o.finding.status.value,
                "summary": t.render(o.finding.summary),
                "duration_ms": o.duration_ms,
                "data": o.finding.data,
            }
            for o in diagnosis.outcomes
        ],
        "suggestions": [
            {
                "case": s.case,
                "remediation": s.remediation,
                "reason": reason_text(s, t, with_scenario=diagnosis.scenario == TRIAGE),
            }
            for s in diagnosis.suggestions
        ],
    }


def reason_text(suggestion: Suggestion, t: Catalogue, *, with_scenario: bool) -> str:
    """The suggestion as a sentence, naming the scenario when several are in play."""
    text = t.render(suggestion.reason)
    if with_scenario:
        return f"{t(f'scenario.{suggestion.scenario}')} · {text}"
    return text


def scenario_key(word: str) -> str:
    """A scenario key from what the user typed (Korean aliases too), or UserError."""
    key = _ALIASES.get(word.strip().lower(), word.strip().lower())
    if key not in SCENARIO_KEYS:
        raise UserError(
            "error.unknown_scenario",
            suggestion=closest(word, [*SCENARIO_KEYS, *_ALIASES]),
            scenario=escape(word[:40]),
            known=", ".join(SCENARIO_KEYS),
        )
    return key


_ALIASES = {
    "다운": "outage", "장애": "outage", "1": "outage",
    "db": "database", "디비": "database", "데이터베이스": "database", "2": "database",
    "ai": "openai", "3": "openai",
    "인증": "auth", "로그인": "auth", "4": "auth",
    "성능": "performance", "perf": "performance", "5": "performance",
    "배포": "deploy", "6": "deploy",
    "데이터": "data-loss", "유실": "data-loss", "dataloss": "data-loss", "7": "data-loss",
    "전체": "triage", "all": "triage",
}  # fmt: skip


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def summary_of(diagnosis_outcomes: Iterable[CheckOutcome | Any]) -> dict[str, int]:
    """How many checks ended in each status."""
    counts: dict[str, int] = {}
    for outcome in diagnosis_outcomes:
        status = outcome.finding.status if isinstance(outcome, CheckOutcome) else outcome.status
        counts[str(status)] = counts.get(str(status), 0) + 1
    return counts


def diagnosis_queue(run_id: int) -> str:
    return f"diagnosis:{run_id}"


class Diagnoses:
    """Diagnoses from Slack: stored, recorded in the incident's timeline, shown live."""

    def __init__(
        self,
        *,
        store: Store,
        sender: Sender,
        settings: Settings,
        clock: Clock,
        loop: BackgroundLoop,
    ) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._loop = loop

    def inputs(self, incident_started_at: Any = None, *, with_snapshot: bool) -> Inputs:
        baseline = None
        if with_snapshot:
            with self._store.read() as session:
                baseline = load_baseline(session, before=incident_started_at)
        return Inputs(
            settings=self._settings,
            incident_started_at=incident_started_at,
            baseline=baseline,
        )

    def inspect_jwt(self, token: str) -> Finding:
        """What a pasted JWT says (expiry, issuer, role, audience), without verifying it; the
        token never reaches the result."""
        return inspect_jwt(token, now=self._clock())

    def start(self, *, scenario: str, actor: Actor, incident: Incident | None) -> int:
        """Record that a diagnosis starts (진단 시작 when it is the incident's first)."""
        now = self._clock()
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            run_id = self.begin(
                session,
                scenario=scenario,
                incident=incident,
                actor=actor.user_id,
                at=now,
                channel_id=actor.channel_id,
                response_url=actor.response_url,
            )
        self.kick(run_id, incident)
        return run_id

    def begin(
        self,
        session: Session,
        *,
        scenario: str,
        incident: Incident | None,
        actor: str,
        at: datetime,
        channel_id: str | None = None,
        response_url: str | None = None,
    ) -> int:
        """Record the run in this transaction (and in the incident's timeline); its message
        is owed to the incident's channel. An incident whose channel is still being made
        (one an alert just opened) gets it after its channel and card, in its own queue."""
        run = diagnoses.create_run(
            session,
            scenario=scenario,
            incident_id=incident.id if incident else None,
            requested_by=actor,
            channel_id=incident.channel_id if incident else channel_id,
            response_url=None if incident else response_url,
            started_at=at,
            check_ids=list(checks_of(scenario)),
        )
        if incident is not None:
            record(
                session,
                incident_id=incident.id,
                kind=EventKind.DIAGNOSIS,
                actor=actor,
                at=at,
                data={"scenario": scenario, "run_id": run.id},
            )
            queue = diagnosis_queue(run.id) if incident.channel_id else incident_queue(incident.id)
            self._sender.enqueue(
                session, queue=queue, op=Operation.DIAGNOSIS_POST, payload={"run_id": run.id}
            )
            # The card's phase moves to 초기 대응.
            redraw_card(self._sender, session, incident.id)
        return run.id

    def ran_since(
        self, session: Session, *, incident_id: int, scenario: str, since: datetime
    ) -> bool:
        """Whether this scenario was diagnosed in the incident at or after `since`."""
        return diagnoses.started_since(
            session, incident_id=incident_id, scenario=scenario, since=since
        )

    def kick(self, run_id: int, incident: Incident | None) -> None:
        """Send what a begun run owes Slack now."""
        if incident is not None:
            self._sender.kick(diagnosis_queue(run_id))
            self._sender.kick(incident_queue(incident.id))

    def run(self, run_id: int) -> Diagnosis:
        """Run the checks of a started diagnosis, recording each result as it comes."""
        with self._store.read() as session:
            run = diagnoses.get_run(session, run_id=run_id)
            assert run is not None
            incident_id, scenario = run.incident_id, run.scenario
        started_at = None
        if incident_id is not None:
            from storage import incidents

            with self._store.read() as session:
                incident = incidents.get(session, incident_id=incident_id)
                started_at = incident.started_at if incident else None
        inputs = self.inputs(started_at, with_snapshot="table_counts" in checks_of(scenario))

        def on_done(outcome: CheckOutcome) -> None:
            with self._store.write() as session:
                diagnoses.add_result(
                    session,
                    run_id=run_id,
                    check_id=outcome.check_id,
                    status=outcome.finding.status.value,
                    summary=outcome.finding.summary.model_dump(),
                    duration_ms=outcome.duration_ms,
                    data=outcome.finding.data,
                    finished_at=self._clock(),
                )
                if incident_id is not None:
                    self._redraw(session, run_id)
            if incident_id is not None:
                self._sender.kick(diagnosis_queue(run_id))

        diagnosis = diagnose(self._loop, scenario, inputs, on_done=on_done)
        self._finish(run_id, incident_id, diagnosis)
        return diagnosis

    def _redraw(self, session: Any, run_id: int) -> None:
        """Owe Slack a redraw of the run's message (one waiting redraw stands for several)."""
        self._sender.enqueue(
            session,
            queue=diagnosis_queue(run_id),
            op=Operation.DIAGNOSIS_UPDATE,
            payload={"run_id": run_id},
            coalesce=True,
        )

    def _finish(self, run_id: int, incident_id: int | None, diagnosis: Diagnosis) -> None:
        now = self._clock()
        suggestions = [s.model_dump() for s in diagnosis.suggestions]
        with self._store.write() as session:
            diagnoses.finish_run(
                session,
                run_id=run_id,
                at=now,
                duration_ms=diagnosis.duration_ms,
                suggestions=suggestions,
            )
            store_snapshot(session, diagnosis, now, source="diagnosis")
            if incident_id is not None:
                counts = summary_of(diagnosis.outcomes)
                first = next((s for s in diagnosis.suggestions if s.case != UNDECIDED), None)
                record(
                    session,
                    incident_id=incident_id,
                    kind=EventKind.DIAGNOSIS_RESULT,
                    actor="bot",
                    at=now,
                    data={
                        "scenario": diagnosis.scenario,
                        "run_id": run_id,
                        "counts": counts,
                        "case": first.case if first else None,
                        "case_scenario": first.scenario if first else None,
                        # The case's own sentence (a letter may have several: 상황 3 경우 B).
                        "case_reason": first.reason.model_dump() if first else None,
                        "summary": msg(
                            "diagnosis.result_summary",
                            failed=counts.get("fail", 0) + counts.get("error", 0),
                            warned=counts.get("warn", 0),
                            ok=counts.get("ok", 0),
                            case=first.case if first else "-",
                        ).model_dump(),
                    },
                )
                self._redraw(session, run_id)
                # The card shows the last diagnosis' verdict.
                redraw_card(self._sender, session, incident_id)
            else:
                self._sender.enqueue(
                    session,
                    queue=diagnosis_queue(run_id),
                    op=Operation.DIAGNOSIS_RESPOND,
                    payload={"run_id": run_id},
                )
        self._sender.kick(diagnosis_queue(run_id))
        if incident_id is not None:
            self._sender.kick(incident_queue(incident_id))


def load_baseline(session: Any, *, before: Any = None) -> Baseline | None:
    """The snapshot to compare row counts with (an incident's: from before it began)."""
    snapshot = diagnoses.baseline_snapshot(session, before=before)
    if snapshot is None:
        return None
    return Baseline(
        id=snapshot.id,
        taken_at=snapshot.taken_at,
        source=snapshot.source,
        counts=dict(snapshot.counts),
    )


def store_snapshot(session: Any, diagnosis: Diagnosis, now: Any, *, source: str) -> None:
    """Keep the row counts a data-loss check read. One that saw a drop is kept marked, so it
    never replaces the baseline it was compared with (a second run still shows the drop)."""
    for outcome in diagnosis.outcomes:
        if outcome.check_id != "table_counts":
            continue
        data = outcome.finding.data
        counts = data.get("counts")
        if isinstance(counts, dict) and counts:
            dropped = bool(data.get("drops") or data.get("missing"))
            diagnoses.add_snapshot(session, at=now, source=source, counts=counts, dropped=dropped)
