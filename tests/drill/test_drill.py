"""`ailex drill` as a subprocess: its usage, and the database drills without their setting.
Each drill run end to end: tests/drill/test_scenarios.py."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


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


def test_unknown_scenario_or_case_gets_usage(clean_env):
    for args in (["nonsense"], ["outage", "--case", "Z"]):
        result = _drill(args, "", clean_env)
        assert result.returncode == 2
        for valid in ("outage (A/B/C)", "database (B/C)", "openai (A/B)", "data-loss (A)"):
            assert valid in result.stderr


@pytest.mark.parametrize("scenario", ["database", "data-loss"])
def test_database_drill_without_its_setting_says_so_in_one_line(scenario, clean_env):
    result = _drill([scenario], "", clean_env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "AILEX_DRILL_PG_URL" in lines[0]
