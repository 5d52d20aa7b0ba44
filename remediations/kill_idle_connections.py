"""Terminate idle client connections (runbook 상황 2 경우 B: 연결 수 초과).

The runbook's SQL, made safe to approve: only the DSN's own database, only client backends
that are plainly `idle` (not `idle in transaction`, not active) for longer than
`idle_minutes`, never the bot's own connections, and only backends our role may signal. The
preview fixes each backend by pid, backend_start and state_change; execution terminates a pid
only if all three still match, checked in the very statement that sends the signal.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, Literal, get_args

import psycopg
from pydantic import BaseModel

from probes.base import BOT_APPLICATION_NAME, Msg, msg
from remediations import pg
from remediations.base import Outcome, Preview, plan_of

ACTION = "kill-idle-connections"
# pids checked and signalled per statement.
BATCH_SIZE = 100
# Lines listed in a message; the data always holds every backend.
MAX_DETAIL_LINES = 50

log = logging.getLogger(__name__)

Result = Literal["terminated", "gone", "reused", "active", "worked", "protected", "failed"]
RESULTS: tuple[Result, ...] = get_args(Result)


class IdleBackend(BaseModel):
    """One backend the preview found idle, identified so that a reused pid cannot pass for it."""

    pid: int
    backend_start: datetime
    state_change: datetime
    usename: str | None
    application_name: str
    client_addr: str | None
    idle_seconds: float


class Connections(BaseModel):
    """Client connections at one moment: on the target database and on the whole server."""

    database: int
    server: int
    max_connections: int


class KillPlan(BaseModel):
    """What an approved kill acts on (Preview.data)."""

    database: str
    idle_minutes: float
    backends: list[IdleBackend]
    # Idle past the threshold but owned by a role ours may not signal: left out of the plan.
    not_permitted: int
    connections: Connections


class BackendResult(BaseModel):
    """What execution did to one previewed pid."""

    pid: int
    result: Result
    state: str | None = None
    error: str | None = None


_CONNECTIONS_SQL = """
SELECT count(*) FILTER (WHERE datname = current_database()),
       count(*),
       current_setting('max_connections')::int
FROM pg_stat_activity
WHERE backend_type = 'client backend'
"""

# pg_terminate_backend's own rule (PostgreSQL 14-17): a superuser's backend needs a superuser;
# any other needs the privileges of its role or of pg_signal_backend. Checking it up front
# keeps the preview honest and the batch statement free of permission errors.
_MAY_SIGNAL = """(
  (NOT coalesce((SELECT rolsuper FROM pg_roles WHERE oid = a.usesysid), false)
   OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false))
  AND coalesce(pg_has_role(a.usesysid, 'USAGE')
               OR pg_has_role('pg_signal_backend', 'USAGE'), false)
)"""

_IDLE_BACKENDS_SQL = f"""
SELECT a.pid, a.backend_start, a.state_change, a.usename::text,
       coalesce(a.application_name, ''), host(a.client_addr),
       extract(epoch FROM now() - a.state_change)::float8,
       {_MAY_SIGNAL}
FROM pg_stat_activity a
WHERE a.datname = current_database()
  AND a.backend_type = 'client backend'
  AND a.state = 'idle'
  AND a.pid <> pg_backend_pid()
  AND coalesce(a.application_name, '') <> %(bot)s
  AND now() - a.state_change > make_interval(secs => %(idle_seconds)s)
ORDER BY a.state_change, a.pid
"""

# The match and the signal in one statement: pg_terminate_backend runs only in the CASE
# branch reached when pid, backend_start, state and state_change are all unchanged.
_TERMINATE_SQL = f"""
SELECT t.pid,
       CASE
         WHEN a.pid IS NULL THEN 'gone'
         WHEN a.backend_start IS DISTINCT FROM t.backend_start THEN 'reused'
         WHEN a.state IS DISTINCT FROM 'idle' THEN 'active'
         WHEN a.state_change IS DISTINCT FROM t.state_change THEN 'worked'
         WHEN a.pid = pg_backend_pid()
           OR coalesce(a.application_name, '') = %(bot)s
           OR a.datname IS DISTINCT FROM current_database()
           OR a.backend_type IS DISTINCT FROM 'client backend' THEN 'protected'
         WHEN NOT {_MAY_SIGNAL} THEN 'denied'
         WHEN pg_terminate_backend(t.pid) THEN 'terminated'
         ELSE 'refused'
       END,
       a.state
FROM unnest(%(pids)s::int[], %(starts)s::timestamptz[], %(changes)s::timestamptz[])
       AS t(pid, backend_start, state_change)
LEFT JOIN pg_stat_activity a ON a.pid = t.pid
"""

# Why a pid ended 'failed', by what the statement answered.
_FAILURES = {
    "denied": "permission denied",
    "refused": "pg_terminate_backend returned false",
}


def _count_connections(conn: psycopg.Connection[Any]) -> Connections:
    row = conn.execute(_CONNECTIONS_SQL).fetchone()
    assert row is not None  # an aggregate always returns a row
    return Connections(database=row[0], server=row[1], max_connections=row[2])


def _backend_line(backend: IdleBackend) -> Msg:
    idle = int(backend.idle_seconds)
    return msg(
        "kill_idle.backend",
        pid=backend.pid,
        user=backend.usename or "-",
        application=backend.application_name or "-",
        client=backend.client_addr or "local",
        idle_min=idle // 60,
        idle_sec=idle % 60,
    )


def _capped(lines: list[Msg]) -> list[Msg]:
    if len(lines) <= MAX_DETAIL_LINES:
        return lines
    hidden = len(lines) - MAX_DETAIL_LINES
    return [*lines[:MAX_DETAIL_LINES], msg("remediation.more", count=hidden)]


def preview(
    *, dsn: str, idle_minutes: float, connect_timeout_s: float = pg.CONNECT_TIMEOUT_S
) -> Preview:
    """List the DSN database's client backends idle past idle_minutes that a kill would end."""
    if not idle_minutes > 0:
        raise ValueError("idle_minutes must be positive")
    threshold = f"{idle_minutes:g}"
    title = msg("kill_idle.preview", count=0, database=pg.describe(dsn), idle_minutes=threshold)
    try:
        conn = pg.connect(dsn, timeout_s=connect_timeout_s)
    except psycopg.Error as error:
        return Preview(action=ACTION, summary=title, blocked=pg.unreachable(error, dsn))
    try:
        with conn:
            database = pg.scalar(conn, "SELECT current_database()")
            rows = conn.execute(
                _IDLE_BACKENDS_SQL,
                {"bot": BOT_APPLICATION_NAME, "idle_seconds": idle_minutes * 60},
            ).fetchall()
            connections = _count_connections(conn)
    except psycopg.Error as error:
        return Preview(action=ACTION, summary=title, blocked=pg.failed(error, dsn))

    backends = [
        IdleBackend(
            pid=pid,
            backend_start=start,
            state_change=change,
            usename=user,
            application_name=app,
            client_addr=client,
            idle_seconds=round(idle, 3),
        )
        for pid, start, change, user, app, client, idle, may_signal in rows
        if may_signal
    ]
    plan = KillPlan(
        database=database,
        idle_minutes=idle_minutes,
        backends=backends,
        not_permitted=len(rows) - len(backends),
        connections=connections,
    )
    summary = msg(
        "kill_idle.preview", count=len(backends), database=database, idle_minutes=threshold
    )
    details = [
        msg(
            "kill_idle.connections",
            database=connections.database,
            server=connections.server,
            max_connections=connections.max_connections,
        ),
        *_capped([_backend_line(b) for b in backends]),
    ]
    if plan.not_permitted:
        details.append(msg("kill_idle.not_permitted", count=plan.not_permitted))
    blocked = None
    if not backends and plan.not_permitted:
        blocked = msg("kill_idle.none_permitted", count=plan.not_permitted, database=database)
    elif not backends:
        blocked = msg("kill_idle.nothing", database=database, idle_minutes=threshold)
    return Preview(
        action=ACTION,
        summary=summary,
        details=details,
        data=plan.model_dump(mode="json"),
        blocked=blocked,
    )


def _terminate_batch(
    conn: psycopg.Connection[Any], batch: list[IdleBackend]
) -> list[BackendResult]:
    rows = conn.execute(
        _TERMINATE_SQL,
        {
            "bot": BOT_APPLICATION_NAME,
            "pids": [b.pid for b in batch],
            "starts": [b.backend_start for b in batch],
            "changes": [b.state_change for b in batch],
        },
    ).fetchall()
    return [
        BackendResult(pid=pid, result="failed", state=state, error=_FAILURES[answer])
        if answer in _FAILURES
        else BackendResult(pid=pid, result=answer, state=state)
        for pid, answer, state in rows
    ]


def _terminate(
    conn: psycopg.Connection[Any], batch: list[IdleBackend], dsn: str
) -> list[BackendResult]:
    """Check and signal a batch; should the statement fail, retry pid by pid so one bad pid
    cannot spare the rest (pids signalled before the failure then read as 'gone')."""
    try:
        return _terminate_batch(conn, batch)
    except psycopg.Error as error:
        if conn.closed or len(batch) == 1:
            text = pg.error_text(error, dsn)
            return [BackendResult(pid=b.pid, result="failed", error=text) for b in batch]
    return [result for backend in batch for result in _terminate(conn, [backend], dsn)]


def _wait_until_gone(conn: psycopg.Connection[Any], pids: list[int], wait_s: float) -> None:
    """Give terminated backends a moment to exit, so that the 'after' count is true."""
    deadline = time.monotonic() + wait_s
    while pids and time.monotonic() < deadline:
        if not pg.scalar(conn, "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]):
            return
        time.sleep(0.05)


def _result_line(result: BackendResult, backend: IdleBackend) -> Msg:
    pid = result.pid
    match result.result:
        case "terminated":
            user, application = backend.usename or "-", backend.application_name or "-"
            return msg("kill_idle.result.terminated", pid=pid, user=user, application=application)
        case "gone":
            return msg("kill_idle.result.gone", pid=pid)
        case "reused":
            return msg("kill_idle.result.reused", pid=pid)
        case "active":
            return msg("kill_idle.result.active", pid=pid, state=result.state or "-")
        case "worked":
            return msg("kill_idle.result.worked", pid=pid)
        case "protected":
            return msg("kill_idle.result.protected", pid=pid)
        case _:
            return msg("kill_idle.result.failed", pid=pid, error=result.error or "-")


def execute(
    preview: Preview,
    *,
    dsn: str,
    connect_timeout_s: float = pg.CONNECT_TIMEOUT_S,
    wait_s: float = 2.0,
) -> Outcome:
    """Terminate the previewed backends that still match exactly; report every pid's fate."""
    plan = plan_of(preview, KillPlan)
    if plan is None or preview.action != ACTION or not plan.backends:
        return Outcome(ok=False, summary=msg("remediation.bad_preview", action=ACTION))

    try:
        conn = pg.connect(dsn, timeout_s=connect_timeout_s)
    except psycopg.Error as error:
        return Outcome(ok=False, summary=pg.unreachable(error, dsn))

    results: list[BackendResult] = []
    with conn:
        try:
            database = pg.scalar(conn, "SELECT current_database()")
            if database != plan.database:
                wrong = msg("remediation.wrong_database", expected=plan.database, actual=database)
                return Outcome(ok=False, summary=wrong)
            before = _count_connections(conn)
            for start in range(0, len(plan.backends), BATCH_SIZE):
                results.extend(_terminate(conn, plan.backends[start : start + BATCH_SIZE], dsn))
            terminated = [r.pid for r in results if r.result == "terminated"]
            _wait_until_gone(conn, terminated, wait_s)
            after = _count_connections(conn)
        except psycopg.Error as error:
            text = pg.error_text(error, dsn)
            log.warning("idle-connection kill on %s stopped: %s", plan.database, text)
            done = [r.model_dump(mode="json") for r in results]
            return Outcome(ok=False, summary=pg.failed(error, dsn), data={"results": done})

    counts = {name: sum(r.result == name for r in results) for name in RESULTS}
    log.info("idle-connection kill on %s: %s", plan.database, counts)
    by_pid = {b.pid: b for b in plan.backends}
    summary = msg(
        "kill_idle.done",
        terminated=counts["terminated"],
        count=len(plan.backends),
        failed=counts["failed"],
        skipped=len(results) - counts["terminated"] - counts["failed"],
    )
    details = [
        msg(
            "kill_idle.connections_change",
            database_before=before.database,
            database_after=after.database,
            server_before=before.server,
            server_after=after.server,
            max_connections=after.max_connections,
        ),
        *_capped([_result_line(r, by_pid[r.pid]) for r in results]),
    ]
    return Outcome(
        ok=counts["failed"] == 0,
        summary=summary,
        details=details,
        data={
            "database": plan.database,
            "results": [r.model_dump(mode="json") for r in results],
            "counts": counts,
            "connections_before": before.model_dump(),
            "connections_after": after.model_dump(),
        },
    )
