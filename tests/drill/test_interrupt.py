"""Ctrl-C ends a drill like `/quit` does: every simulation stopped (no port left listening, the
scratch database dropped), the phase times printed, no traceback."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.drill.test_drill import _answers


def _scratch_databases() -> int:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'ailex_drill_%'"
        ).fetchone()
    return int(row[0]) if row else 0


class _Output:
    """The drill's standard output, read as it comes by a thread of its own."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.text = ""
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._lock:
                self.text += line

    def wait_for(self, marker: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker in self.text, self.text

    def all(self) -> str:
        self._thread.join(timeout=30)
        return self.text


@pytest.mark.parametrize("scenario", [["outage"], ["database", "--case", "B"]])
def test_ctrl_c_stops_every_simulation_and_exits_cleanly(scenario, clean_env):
    before = _scratch_databases()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "drill", *scenario],
        stdin=subprocess.PIPE,  # held open: the console waits for a line when Ctrl-C comes
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean_env, "AILEX_LOCALE": "en", "AILEX_DRILL_PG_URL": PG_ADMIN_URL},
    )
    output = _Output(process)
    try:
        output.wait_for("/quit to leave.")
        assert process.stdin is not None
        process.stdin.write("/ailex incident start ctrl c\n")
        process.stdin.flush()
        output.wait_for("declared: ctrl c")
        time.sleep(0.5)  # the console back at its prompt
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        out = output.all()
        assert process.stderr is not None
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode in (0, 130), err
    assert "Traceback" not in err and "Traceback" not in out
    assert "Every simulation is stopped." in out
    assert "Drill results" in out
    ports = {int(p) for p in re.findall(r"(?:http|dns)://127\.0\.0\.1:(\d+)", out)}
    assert ports and not [port for port in ports if _answers(port)]
    assert _scratch_databases() <= before
