"""A drill's incidents are marked (SPEC 10): left out of statistics, never sent to customers,
their report headed as a drill. Driven through the console with the setting `ailex drill` gives
its own console (AILEX_DRILL), on a store the test keeps, and the real CLI on that store."""

from __future__ import annotations

import json
import subprocess
import sys


def _ailex(args: list[str], env: dict[str, str], script: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=script,
        capture_output=True,
        text=True,
        env={**env, "AILEX_LOCALE": "en", "USER": "alice"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_drill_incident_is_left_out_of_stats_refused_to_customers_and_headed_as_drill(
    clean_env, tmp_path
):
    env = {**clean_env, "AILEX_DATABASE_URL": f"sqlite:///{tmp_path / 'ailex.db'}"}
    drill = _ailex(
        ["console"],
        {**env, "AILEX_DRILL": "true"},
        "/ailex incident start drill one\n/ailex notify the site is down\n"
        "/ailex resolve rehearsal\n/ailex report send\n/quit\n",
    )
    refused = "Incident #1 is a drill: no customer notice or customer report is sent."
    assert drill.count(refused) == 2  # the notice and the customer report
    _ailex(["console"], env, "/ailex incident start real one\n/ailex resolve cause\n/quit\n")

    listed = json.loads(_ailex(["incidents", "--json"], env))
    assert sorted(incident["title"] for incident in listed) == ["drill one", "real one"]
    stats = json.loads(_ailex(["stats", "--json"], env))
    assert stats["incidents"] == 1
    heading = "Drill (`ailex drill`): not a real incident."
    assert heading in _ailex(["report", "1"], env)
    assert heading not in _ailex(["report", "2"], env)
