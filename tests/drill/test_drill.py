"""`ailex drill` end to end: a subprocess with a script on stdin, as a team would run it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

OUTAGE_SCRIPT = "\n".join(
    [
        "/ailex incident start site down",
        "/ailex diagnose outage",
        "/ailex remediate rollback",
        "/as bob",
        "11",
        "/ailex diagnose outage",
        "/quit",
        "",
    ]
)


def _drill(
    args: list[str], script: str, env: dict[str, str], **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "drill", *args],
        input=script,
        capture_output=True,
        text=True,
        env={**env, "AILEX_LOCALE": "en", **extra},
        timeout=90,
    )


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_outage_a_rollback_repairs_the_simulated_site(clean_env, tmp_path):
    result = _drill(["outage"], OUTAGE_SCRIPT, clean_env)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    first, _, after = out.partition("Approve and run")
    assert "Case A" in first and "503" in first
    # The re-check after the rollback and the second diagnosis see the site answer 200 again.
    assert re.search(r"200", after)
    assert "No symptom of the runbook's cases shows." in after.rpartition("Case A")[2]
    assert "Every simulation is stopped." in out
    ports = {int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", out)}
    assert ports
    assert not [p for p in ports if _answers(p)]


def test_unknown_scenario_or_case_gets_usage(clean_env):
    for args in (["nonsense"], ["outage", "--case", "Z"]):
        result = _drill(args, "", clean_env)
        assert result.returncode == 2
        assert "outage (A/B/C)" in result.stderr and "database (B/C)" in result.stderr


def test_database_drill_without_its_setting_says_so_in_one_line(clean_env):
    result = _drill(["database"], "", clean_env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "AILEX_DRILL_PG_URL" in lines[0]


def test_database_b_kill_idle_connections_ends_them(clean_env):
    script = "\n".join(
        [
            "/ailex incident start db down",
            "/ailex diagnose database",
            "/ailex remediate kill-idle-connections",
            "/as bob",
            "11",
            "/ailex diagnose database",
            "/quit",
            "",
        ]
    )
    result = _drill(
        ["database", "--case", "B"],
        script,
        clean_env,
        AILEX_DRILL_PG_URL="postgresql://postgres@127.0.0.1:5432/postgres",
    )
    assert result.returncode == 0, result.stderr
    first, _, _after = result.stdout.partition("Approve and run")
    assert "Case B" in first
    assert "Every simulation is stopped." in result.stdout
