"""Every drill scripted end to end through `ailex drill` as a subprocess: the bot's diagnosis
names the runbook's case, the remedy (the bot's action approved by another person, and where
the runbook's repair lies outside the bot, `/drill heal`) repairs the simulated system, a second
diagnosis names no case, resolve goes through without asking, and the phase times are printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.drill.test_drill import _answers, _drill

PHASES = ("Detected", "Diagnosis started", "Cause identified", "Action taken", "Recovery confirmed")


@dataclass(frozen=True)
class Run:
    scenario: str
    case: str
    # What the first diagnosis says (the case's sentence) and the second must not.
    found: str
    # Lines between the incident's start and the second diagnosis: remediate, approve, heal.
    steps: tuple[str, ...]
    cause: str
    needs_pg: bool = False
    # No action of the bot repairs this case: its 조치 실행 phase stays unrecorded.
    bot_acts: bool = True
    # What a repaired world's check shows (read in the second diagnosis).
    recovered: str = "No symptom of the runbook's cases shows."
    # What the remedy's own outcome says it did.
    shows: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.scenario}-{self.case}"


APPROVE = ("/as bob", "11", "/as alice")
RUNS = (
    Run("outage", "A", "Case A: began after a recent deploy",
        ("/ailex remediate rollback", *APPROVE), "deploy"),
    Run("outage", "B", "Case B: Vercel infrastructure outage", ("/drill heal",), "vercel",
        bot_acts=False),
    Run("outage", "C", "Case C: DNS problem", ("/drill heal",), "dns record", bot_acts=False),
    Run("database", "B", "Case B: too many connections",
        ("/ailex remediate kill-idle-connections", *APPROVE), "leak", needs_pg=True,
        shows=("Terminated 8/8 idle connections", "Connections: this database 9 → 1")),
    Run("database", "C", "Case C: database full",
        ("/ailex remediate purge-audit-logs", *APPROVE, "/drill heal"), "audit logs",
        needs_pg=True, shows=("Deleted 5000/5000 audit-log rows",)),
    Run("openai", "A", "Case A: OpenAI outage",
        ("/ailex remediate ai-degraded on", *APPROVE, "/drill heal"), "openai outage"),
    Run("openai", "B", "Case B: out of credit",
        ("/ailex remediate ai-degraded on", *APPROVE, "/drill heal"), "quota"),
    Run("auth", "A", "Case A: Supabase Auth outage", ("/drill heal",), "auth outage",
        bot_acts=False),
    Run("auth", "B", "Case B: Google OAuth settings", ("/drill heal",), "google provider",
        bot_acts=False),
    # 상황 5's diagnosis offers no action; the rollback is asked for by name, its approve
    # button is the first of the channel's new message. The slow-query case stays undecided
    # (no database in this drill): the second diagnosis says so, and names no case.
    Run("performance", "A", "Slow responses →",
        ("/ailex remediate rollback", "/as bob", "10", "/as alice"), "slow function",
        recovered="✅ API response times"),
    Run("deploy", "A", "CI failed",
        ("/ailex remediate emergency-deploy flaky test blocks the hotfix", *APPROVE,
         "/drill heal"), "flaky test"),
    # Two actions offered (buttons 10 and 11): the maintenance request's approve is 12.
    Run("data-loss", "A", "Row counts dropped",
        ("/ailex remediate maintenance on", "/as bob", "12", "/as alice",
         "/ailex remediate backup", "/drill heal"), "bad migration", needs_pg=True),
)  # fmt: skip


def _script(run: Run) -> str:
    lines = [
        f"/ailex incident start {run.scenario} drill",
        f"/ailex diagnose {run.scenario}",
        *run.steps,
        f"/ailex diagnose {run.scenario}",
        f"/ailex resolve {run.cause}",
        "/quit",
        "",
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("run", RUNS, ids=[run.id for run in RUNS])
def test_drill_finds_the_case_repairs_it_and_times_the_phases(run: Run, clean_env):
    extra = {"USER": "alice"}
    if run.needs_pg:
        extra["AILEX_DRILL_PG_URL"] = PG_ADMIN_URL
    result = _drill([run.scenario, "--case", run.case], _script(run), clean_env, **extra)
    out = result.stdout
    assert result.returncode == 0, result.stderr + out[-3000:]
    assert "Traceback" not in result.stderr
    assert "could not handle this line" not in out
    diagnose = f"› /ailex diagnose {run.scenario}"
    first, second = out.split(diagnose)[1:3]
    second, _, after = second.partition("› /ailex resolve")
    assert run.found in first
    for done in run.shows:
        assert done in first
    if run.bot_acts:
        assert "approved by @bob" in first or "approved by @alice" in first
    if "/drill heal" in run.steps:
        assert "Drill operator: the repair outside the bot is done." in first
    assert run.found not in second and "• Case" not in second
    assert run.recovered in second
    # Resolving asks nothing: the repaired world's last diagnosis has no failing check.
    assert "Resolve it anyway?" not in after
    assert "Incident #1 resolved." in after
    assert "Drill (`ailex drill`): not a real incident." in after
    phases = after.rpartition("Drill results")[2]
    for phase in PHASES:
        line = re.search(rf"^  {phase}: (.*)$", phases, re.M)
        assert line, phase
        if phase == "Action taken" and not run.bot_acts:
            assert "not recorded" in line[1]
        else:
            assert re.match(r"\d+s \(deadline \d+ min\) in time", line[1]), line[0]
    assert "Every simulation is stopped." in out
    ports = {int(p) for p in re.findall(r"(?:http|dns)://127\.0\.0\.1:(\d+)", out)}
    assert ports and not [port for port in ports if _answers(port)]
