"""The idle-connection kill on a real PostgreSQL: what it lists, what it ends, what it spares."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from probes.base import BOT_APPLICATION_NAME
from remediations import kill_idle_connections as kill
from remediations.base import Preview
from tests.conftest import PG_ADMIN_URL
from tests.remediations.helpers import assert_translatable

# 0.6 s: long enough that a connection used just now is not idle past it, short for a test.
IDLE_MINUTES = 0.01
PASSWORD = "hunter2-not-for-slack"

Opener = Callable[..., psycopg.Connection[Any]]


@pytest.fixture
def open_connection(pg_dsn: str) -> Iterator[Opener]:
    """Open client connections to the test database (or another DSN); all closed afterwards."""
    opened: list[psycopg.Connection[Any]] = []

    def opener(
        application: str = "ailex-web", *, autocommit: bool = True, dsn: str | None = None
    ) -> psycopg.Connection[Any]:
        conn = psycopg.connect(
            dsn or pg_dsn, autocommit=autocommit, application_name=application, connect_timeout=5
        )
        conn.execute("SELECT 1")
        opened.append(conn)
        return conn

    yield opener
    for conn in opened:
        conn.close()


def _activity(dsn: str, pid: int) -> tuple[str | None, float] | None:
    """A backend's state and idle age in seconds, or None once it is gone."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT state, extract(epoch FROM now() - state_change)::float8"
            " FROM pg_stat_activity WHERE pid = %s",
            [pid],
        ).fetchone()
    return (row[0], row[1]) if row else None


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def _wait_idle_past_threshold(dsn: str, *conns: psycopg.Connection[Any]) -> None:
    for conn in conns:
        pid = conn.info.backend_pid

        def idle_long_enough(pid: int = pid) -> bool:
            seen = _activity(dsn, pid)
            return seen is not None and seen[1] > IDLE_MINUTES * 60 + 0.05

        _wait_for(idle_long_enough, f"pid {pid} idle past the threshold")


def _run_in_background(conn: psycopg.Connection[Any], dsn: str) -> threading.Thread:
    """Start `SELECT pg_sleep(30)` on conn in a thread and return once the backend is active."""

    def sleep() -> None:
        # Ended by cancel_safe() at the end of the test, or by termination if the kill erred.
        with contextlib.suppress(psycopg.Error):
            conn.execute("SELECT pg_sleep(30)")

    thread = threading.Thread(target=sleep, daemon=True)
    thread.start()
    pid = conn.info.backend_pid
    _wait_for(lambda: (_activity(dsn, pid) or ("", 0))[0] == "active", f"pid {pid} active")
    return thread


def _stop(conn: psycopg.Connection[Any], thread: threading.Thread) -> None:
    conn.cancel_safe()
    thread.join(timeout=10)


def _previewed_pids(preview: Preview) -> set[int]:
    return {backend["pid"] for backend in preview.data["backends"]}


def _results(outcome_data: dict[str, Any]) -> dict[int, str]:
    return {result["pid"]: result["result"] for result in outcome_data["results"]}


def _is_alive(conn: psycopg.Connection[Any]) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def test_kill_terminates_only_plain_idle_client_backends_of_its_database(
    pg_dsn: str, open_connection: Opener
) -> None:
    idle_a, idle_b = open_connection("ailex-web"), open_connection("ailex-worker")
    busy = open_connection("ailex-busy")
    in_transaction = open_connection("ailex-tx", autocommit=False)  # SELECT 1 left it open
    bots_own = open_connection(BOT_APPLICATION_NAME)
    other_database = open_connection("ailex-web", dsn=PG_ADMIN_URL)
    sleeper = _run_in_background(busy, pg_dsn)
    try:
        _wait_idle_past_threshold(pg_dsn, idle_a, idle_b, in_transaction, bots_own)

        preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)

        assert preview.blocked is None
        assert _previewed_pids(preview) == {idle_a.info.backend_pid, idle_b.info.backend_pid}
        listed = {
            d.params["pid"]: d.params for d in preview.details if d.key == "kill_idle.backend"
        }
        assert listed[idle_a.info.backend_pid]["application"] == "ailex-web"
        assert listed[idle_b.info.backend_pid]["user"] == "postgres"
        assert preview.summary.params["count"] == 2
        assert_translatable(preview)

        outcome = kill.execute(preview, dsn=pg_dsn)

        assert outcome.ok
        assert _results(outcome.data) == {
            idle_a.info.backend_pid: "terminated",
            idle_b.info.backend_pid: "terminated",
        }
        assert outcome.summary.params["terminated"] == 2
        before, after = outcome.data["connections_before"], outcome.data["connections_after"]
        assert after["database"] == before["database"] - 2
        assert_translatable(outcome)
        # Really dead: the next query on each fails.
        assert not _is_alive(idle_a)
        assert not _is_alive(idle_b)
        # Everything else lives on.
        assert (_activity(pg_dsn, busy.info.backend_pid) or ("", 0))[0] == "active"
        assert _is_alive(in_transaction)
        assert _is_alive(bots_own)
        assert _is_alive(other_database)
    finally:
        _stop(busy, sleeper)
    assert _is_alive(busy)


def test_kill_spares_backend_that_worked_since_preview(
    pg_dsn: str, open_connection: Opener
) -> None:
    worked, still_idle = open_connection(), open_connection()
    _wait_idle_past_threshold(pg_dsn, worked, still_idle)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)
    assert _previewed_pids(preview) == {worked.info.backend_pid, still_idle.info.backend_pid}

    worked.execute("SELECT 1")  # busy for a moment, then idle again with a new state_change
    _wait_idle_past_threshold(pg_dsn, worked)
    outcome = kill.execute(preview, dsn=pg_dsn)

    assert _results(outcome.data) == {
        worked.info.backend_pid: "worked",
        still_idle.info.backend_pid: "terminated",
    }
    assert outcome.ok
    assert _is_alive(worked)
    assert not _is_alive(still_idle)
    lines = [d for d in outcome.details if d.params.get("pid") == worked.info.backend_pid]
    assert [line.key for line in lines] == ["kill_idle.result.worked"]
    assert_translatable(outcome)


def test_kill_spares_backend_busy_at_execution(pg_dsn: str, open_connection: Opener) -> None:
    conn = open_connection()
    _wait_idle_past_threshold(pg_dsn, conn)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)
    assert _previewed_pids(preview) == {conn.info.backend_pid}

    sleeper = _run_in_background(conn, pg_dsn)
    try:
        outcome = kill.execute(preview, dsn=pg_dsn)
        assert _results(outcome.data) == {conn.info.backend_pid: "active"}
        assert outcome.data["results"][0]["state"] == "active"
        assert outcome.summary.params["terminated"] == 0
    finally:
        _stop(conn, sleeper)
    assert _is_alive(conn)


def test_kill_skips_previewed_backend_that_already_disconnected(
    pg_dsn: str, open_connection: Opener
) -> None:
    leaving, staying = open_connection(), open_connection()
    _wait_idle_past_threshold(pg_dsn, leaving, staying)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)
    pid = leaving.info.backend_pid

    leaving.close()
    _wait_for(lambda: _activity(pg_dsn, pid) is None, f"pid {pid} gone")
    outcome = kill.execute(preview, dsn=pg_dsn)

    assert _results(outcome.data) == {pid: "gone", staying.info.backend_pid: "terminated"}
    assert outcome.ok


def test_kill_spares_pid_whose_backend_start_differs_from_preview(
    pg_dsn: str, open_connection: Opener
) -> None:
    conn = open_connection()
    _wait_idle_past_threshold(pg_dsn, conn)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)
    # As if the previewed backend had exited and a new one had been given its pid.
    plan = kill.KillPlan.model_validate(preview.data)
    plan.backends[0].backend_start -= timedelta(seconds=1)
    reused = preview.model_copy(update={"data": plan.model_dump(mode="json")})

    outcome = kill.execute(reused, dsn=pg_dsn)

    assert _results(outcome.data) == {conn.info.backend_pid: "reused"}
    assert _is_alive(conn)


def test_kill_is_blocked_when_no_connection_is_idle_long_enough(
    pg_dsn: str, open_connection: Opener
) -> None:
    open_connection()

    preview = kill.preview(dsn=pg_dsn, idle_minutes=10)

    assert preview.blocked is not None
    assert preview.blocked.key == "kill_idle.nothing"
    assert preview.data["backends"] == []
    assert_translatable(preview)


def test_kill_leaves_out_backends_its_role_may_not_signal(
    pg_dsn: str, open_connection: Opener
) -> None:
    role = f"ailex_kill_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        # pg_read_all_stats: without it a role cannot even see others' backends' state.
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE pg_read_all_stats").format(sql.Identifier(role))
        )
    try:
        role_dsn = psycopg.conninfo.make_conninfo(pg_dsn, user=role)
        superusers = open_connection()  # user postgres, a superuser
        own = open_connection(dsn=role_dsn)
        _wait_idle_past_threshold(pg_dsn, superusers, own)

        preview = kill.preview(dsn=role_dsn, idle_minutes=IDLE_MINUTES)

        assert _previewed_pids(preview) == {own.info.backend_pid}
        assert preview.data["not_permitted"] == 1
        assert "kill_idle.not_permitted" in [d.key for d in preview.details]
        outcome = kill.execute(preview, dsn=role_dsn)
        assert _results(outcome.data) == {own.info.backend_pid: "terminated"}
        assert _is_alive(superusers)
        _wait_idle_past_threshold(pg_dsn, superusers)

        again = kill.preview(dsn=role_dsn, idle_minutes=IDLE_MINUTES)

        assert again.blocked is not None
        assert again.blocked.key == "kill_idle.none_permitted"
        assert_translatable(preview, outcome, again)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                [role],
            )
            _wait_for(
                lambda: (
                    not admin.execute(
                        "SELECT 1 FROM pg_stat_activity WHERE usename = %s", [role]
                    ).fetchone()
                ),
                "role's backends gone",
            )
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_kill_on_unreachable_database_is_blocked_without_the_password() -> None:
    dsn = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/postgres"

    preview = kill.preview(dsn=dsn, idle_minutes=10, connect_timeout_s=2)

    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.pg_unreachable"
    assert preview.blocked.params["target"] == "127.0.0.1:1/postgres"
    assert PASSWORD not in preview.model_dump_json()
    assert_translatable(preview)


def test_kill_execution_on_unreachable_database_fails_without_the_password(
    pg_dsn: str, open_connection: Opener
) -> None:
    conn = open_connection()
    _wait_idle_past_threshold(pg_dsn, conn)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)
    dsn = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/postgres"

    outcome = kill.execute(preview, dsn=dsn, connect_timeout_s=2)

    assert not outcome.ok
    assert outcome.summary.key == "remediation.pg_unreachable"
    assert PASSWORD not in outcome.model_dump_json()
    assert _is_alive(conn)


def test_kill_refuses_a_preview_taken_on_another_database(
    pg_dsn: str, open_connection: Opener
) -> None:
    conn = open_connection()
    _wait_idle_past_threshold(pg_dsn, conn)
    preview = kill.preview(dsn=pg_dsn, idle_minutes=IDLE_MINUTES)

    outcome = kill.execute(preview, dsn=PG_ADMIN_URL)

    assert not outcome.ok
    assert outcome.summary.key == "remediation.wrong_database"
    assert _is_alive(conn)


def test_kill_refuses_a_blocked_or_malformed_preview(pg_dsn: str) -> None:
    blocked = kill.preview(dsn=pg_dsn, idle_minutes=10)
    malformed = Preview(action=kill.ACTION, summary=blocked.summary, data={"backends": "?"})

    for preview in (blocked, malformed):
        outcome = kill.execute(preview, dsn=pg_dsn)
        assert not outcome.ok
        assert outcome.summary.key == "remediation.bad_preview"
