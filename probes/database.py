"""Checks on the product database (SUPABASE_DB_URL): reachability, connections, size, old
audit logs (상황 2), slow statements (상황 5) and row counts against a snapshot (상황 7)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import psycopg
import psycopg.errors
from psycopg import sql

from probes.base import BOT_APPLICATION_NAME, CheckStatus, Finding, guarded, msg, skipped
from probes.postgres import DbFailure, connect, describe_dsn
from probes.text import iso, round_ms, scrub, short_number

DSN_SETTING = "SUPABASE_DB_URL"


@guarded
async def check_db_ping(*, dsn: str | None, timeout: float) -> Finding:
    """`SELECT 1` round trip; failing to connect (auth, refused, DNS, timeout) is the symptom."""
    if not dsn:
        return skipped(DSN_SETTING)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with connect(dsn, timeout=timeout) as conn:
            connected = loop.time()
            await conn.execute("SELECT 1")
            answered = loop.time()
            version = conn.info.server_version
    except DbFailure as failure:
        # Not reaching the database is the symptom; a malformed setting is ours to fix.
        status = CheckStatus.ERROR if failure.kind == "bad_dsn" else CheckStatus.FAIL
        return failure.finding(status, **describe_dsn(dsn))
    rtt_ms, connect_ms = round_ms(answered - connected), round_ms(connected - started)
    return Finding(
        status=CheckStatus.OK,
        summary=msg("check.db.ping", rtt_ms=rtt_ms, connect_ms=connect_ms),
        data={
            **describe_dsn(dsn),
            "rtt_ms": rtt_ms,
            "connect_ms": connect_ms,
            "server_version": version,
        },
    )


@guarded
async def check_db_connections(
    *,
    dsn: str | None,
    timeout: float,
    idle_minutes: float = 10.0,
    warn_ratio: float = 0.75,
    fail_ratio: float = 0.9,
    sample: int = 10,
) -> Finding:
    """Connections to this database by state against max_connections, and the long-idle ones."""
    if not dsn:
        return skipped(DSN_SETTING)
    try:
        async with connect(dsn, timeout=timeout) as conn:
            by_state = dict(
                await _rows(
                    conn,
                    """
                    SELECT coalesce(state, 'unknown'), count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND backend_type = 'client backend'
                    GROUP BY 1 ORDER BY 2 DESC
                    """,
                )
            )
            max_connections, server_total = await _row(
                conn,
                """
                SELECT current_setting('max_connections')::int, count(*)::int
                FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
                """,
            )
            # A database with its own CONNECTION LIMIT runs out at that limit, not the server's.
            (own_limit,) = await _row(
                conn,
                "SELECT datconnlimit FROM pg_database WHERE datname = current_database()",
            )
            # The runbook's idle age: now() - state_change. The bot's own backends are never
            # candidates for a kill, so they are not counted as such.
            idle = await _rows(
                conn,
                """
                SELECT pid, usename, application_name, client_addr::text,
                       extract(epoch FROM now() - state_change)::float
                FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                  AND state = 'idle'
                  AND state_change < now() - make_interval(secs => %s)
                  AND application_name IS DISTINCT FROM %s
                ORDER BY state_change
                """,
                [idle_minutes * 60, BOT_APPLICATION_NAME],
            )
    except DbFailure as failure:
        return failure.finding()
    total = sum(by_state.values())
    if own_limit and own_limit > 0:
        max_connections = min(max_connections, own_limit)
    ratio = total / max_connections if max_connections else 0.0
    percent = round(ratio * 100)
    data = {
        "by_state": by_state,
        "total": total,
        "max_connections": max_connections,
        "ratio": round(ratio, 3),
        "server_total": server_total,
        "idle_minutes": idle_minutes,
        "idle_over": len(idle),
        "idle_sample": [
            {
                "pid": pid,
                "user": user,
                "application": app,
                "client": client,
                "idle_minutes": round(seconds / 60, 2),
            }
            for pid, user, app, client, seconds in idle[:sample]
        ],
    }
    params = {
        "total": total,
        "max": max_connections,
        "percent": percent,
        "idle": len(idle),
        "minutes": short_number(idle_minutes),
    }
    if ratio >= fail_ratio:
        status, key = CheckStatus.FAIL, "check.db.connections_full"
    elif ratio >= warn_ratio:
        status, key = CheckStatus.WARN, "check.db.connections_high"
    else:
        status, key = CheckStatus.OK, "check.db.connections_ok"
    return Finding(status=status, summary=msg(key, **params), data=data)


@guarded
async def check_db_size(
    *,
    dsn: str | None,
    timeout: float,
    limit_mb: float = 500.0,
    warn_ratio: float = 0.8,
    fail_ratio: float = 0.95,
    top: int = 5,
) -> Finding:
    """The database's size against the plan's limit (case C), with its largest tables."""
    if not dsn:
        return skipped(DSN_SETTING)
    try:
        async with connect(dsn, timeout=timeout) as conn:
            (size,) = await _row(conn, "SELECT pg_database_size(current_database())")
            largest = await _rows(
                conn,
                """
                SELECT schemaname, relname, pg_total_relation_size(relid),
                       pg_size_pretty(pg_total_relation_size(relid))
                FROM pg_catalog.pg_statio_user_tables
                ORDER BY pg_total_relation_size(relid) DESC, relname
                LIMIT %s
                """,
                [top],
            )
    except DbFailure as failure:
        return failure.finding()
    size_mb = size / (1024 * 1024)
    ratio = size_mb / limit_mb if limit_mb > 0 else 0.0
    data = {
        "size_bytes": size,
        "size_mb": round(size_mb, 1),
        "limit_mb": limit_mb,
        "ratio": round(ratio, 3),
        "largest": [
            {"table": f"{schema}.{name}", "bytes": nbytes, "size": pretty}
            for schema, name, nbytes, pretty in largest
        ],
    }
    params = {
        "size_mb": short_number(size_mb),
        "limit_mb": short_number(limit_mb),
        "percent": round(ratio * 100),
        "largest": largest[0][1] if largest else "-",
    }
    if ratio >= fail_ratio:
        status, key = CheckStatus.FAIL, "check.db.size_full"
    elif ratio >= warn_ratio:
        status, key = CheckStatus.WARN, "check.db.size_high"
    else:
        status, key = CheckStatus.OK, "check.db.size_ok"
    return Finding(status=status, summary=msg(key, **params), data=data)


@guarded
async def check_audit_logs(*, dsn: str | None, timeout: float, retention_days: int = 90) -> Finding:
    """Rows of public.audit_logs older than the retention: what a purge would free (case C).

    A missing table is a WARN, not an error: the check ran, but a product database without
    its audit log suggests SUPABASE_DB_URL points somewhere else.
    """
    if not dsn:
        return skipped(DSN_SETTING)
    try:
        async with connect(dsn, timeout=timeout) as conn:
            (exists,) = await _row(conn, "SELECT to_regclass('public.audit_logs') IS NOT NULL")
            if not exists:
                return Finding(
                    status=CheckStatus.WARN,
                    summary=msg("check.db.audit_missing"),
                    data={"table": "public.audit_logs", "exists": False},
                )
            try:
                async with conn.transaction():  # a savepoint: an error here leaves the rest usable
                    count, oldest, cutoff = await _row(
                        conn,
                        """
                        SELECT count(*)::bigint, min(created_at),
                               now() - make_interval(days => %s)
                        FROM public.audit_logs
                        WHERE created_at < now() - make_interval(days => %s)
                        """,
                        [retention_days, retention_days],
                    )
            except psycopg.errors.UndefinedColumn:
                return Finding(
                    status=CheckStatus.WARN,
                    summary=msg("check.db.audit_no_created_at"),
                    data={"table": "public.audit_logs", "exists": True},
                )
    except DbFailure as failure:
        return failure.finding()
    data = {
        "table": "public.audit_logs",
        "exists": True,
        "retention_days": retention_days,
        "old_rows": count,
        "oldest": _as_text(oldest),
        "cutoff": iso(cutoff),
    }
    if count:
        summary = msg("check.db.audit_old", count=count, days=retention_days)
    else:
        summary = msg("check.db.audit_clean", days=retention_days)
    return Finding(status=CheckStatus.OK, summary=summary, data=data)


@guarded
async def check_slow_queries(
    *, dsn: str | None, timeout: float, limit: int = 10, slow_ms: float = 1000.0
) -> Finding:
    """The slowest statements by mean time from pg_stat_statements, when it is enabled."""
    if not dsn:
        return skipped(DSN_SETTING)
    try:
        async with connect(dsn, timeout=timeout) as conn:
            schema = await _row_or_none(
                conn,
                """
                SELECT n.nspname FROM pg_extension e
                JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'pg_stat_statements'
                """,
            )
            if schema is None:
                return _statements_unavailable("missing")
            try:
                rows = await _statements(conn, str(schema[0]), limit)
            except psycopg.errors.ObjectNotInPrerequisiteState:
                # Installed with CREATE EXTENSION but not in shared_preload_libraries.
                return _statements_unavailable("not_loaded")
            except psycopg.errors.UndefinedTable:
                return _statements_unavailable("missing")
    except DbFailure as failure:
        return failure.finding()
    statements: list[dict[str, Any]] = [
        {
            "query": scrub(str(query), limit=200),
            "calls": int(calls),
            "mean_ms": round(float(mean), 2),
            "total_ms": round(float(total), 1),
        }
        for query, calls, mean, total in rows
    ]
    slow = [s for s in statements if s["mean_ms"] >= slow_ms]
    worst = round(statements[0]["mean_ms"]) if statements else 0
    data = {"statements": statements, "slow_ms": slow_ms, "slow_count": len(slow)}
    if not statements:
        return Finding(status=CheckStatus.OK, summary=msg("check.db.statements_empty"), data=data)
    if slow:
        return Finding(
            status=CheckStatus.WARN,
            summary=msg("check.db.statements_slow", count=len(slow), worst_ms=worst),
            data=data,
        )
    return Finding(
        status=CheckStatus.OK, summary=msg("check.db.statements_ok", worst_ms=worst), data=data
    )


async def _statements(
    conn: psycopg.AsyncConnection[Any], schema: str, limit: int
) -> list[tuple[Any, ...]]:
    query = sql.SQL(
        """
        SELECT query, calls, {mean}, {total} FROM {schema}.pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY {mean} DESC NULLS LAST LIMIT %s
        """
    )
    # PostgreSQL 13 renamed mean_time/total_time to mean_exec_time/total_exec_time.
    for mean, total in (("mean_exec_time", "total_exec_time"), ("mean_time", "total_time")):
        try:
            async with conn.transaction():
                return await _rows(
                    conn,
                    query.format(
                        mean=sql.Identifier(mean),
                        total=sql.Identifier(total),
                        schema=sql.Identifier(schema),
                    ),
                    [limit],
                )
        except psycopg.errors.UndefinedColumn:
            continue
    return []


def _statements_unavailable(reason: str) -> Finding:
    # Not "skipped": that is kept for settings the bot lacks; this is the database's own state.
    key = "check.db.statements_missing" if reason == "missing" else "check.db.statements_not_loaded"
    return Finding(
        status=CheckStatus.WARN, summary=msg(key), data={"enabled": False, "reason": reason}
    )


@guarded
async def check_table_counts(
    *,
    dsn: str | None,
    timeout: float,
    previous: dict[str, int] | None = None,
    baseline: dict[str, Any] | None = None,
    exact_limit: int = 1_000_000,
    drop_ratio: float = 0.2,
    min_drop: int = 10,
) -> Finding:
    """Row counts of the public tables against the caller's baseline snapshot: drops and
    vanished tables fail; data["counts"] is the new snapshot to store. `baseline` says which
    snapshot `previous` is (id, taken_at, source, and `label`, a Msg naming it and its time)."""
    if not dsn:
        return skipped(DSN_SETTING)
    try:
        async with connect(dsn, timeout=timeout) as conn:
            tables = await _rows(
                conn,
                """
                SELECT c.relname, c.reltuples::bigint FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                ORDER BY c.relname
                """,
            )
            # Small tables are counted exactly; a never-analysed one (reltuples -1) too.
            exact = [name for name, estimate in tables if estimate < exact_limit]
            counts = {name: int(estimate) for name, estimate in tables}
            if exact:
                counted = sql.SQL(" UNION ALL ").join(
                    sql.SQL("SELECT {name}, count(*) FROM public.{table}").format(
                        name=sql.Literal(name), table=sql.Identifier(name)
                    )
                    for name in exact
                )
                counts.update({name: int(n) for name, n in await _rows(conn, counted)})
    except DbFailure as failure:
        return failure.finding()
    estimated = sorted(set(counts) - set(exact))
    data: dict[str, Any] = {
        "counts": counts,
        "estimated": estimated,
        "first_snapshot": previous is None,
        "drops": [],
        "missing": [],
        "baseline": {k: v for k, v in (baseline or {}).items() if k != "label"} or None,
    }
    since = (baseline or {}).get("label") or msg("check.data.baseline_unknown").model_dump()
    if not counts:
        return Finding(status=CheckStatus.WARN, summary=msg("check.data.no_tables"), data=data)
    if previous is None:
        return Finding(
            status=CheckStatus.OK,
            summary=msg("check.data.first_snapshot", tables=len(counts)),
            data=data,
        )
    drops: list[dict[str, Any]] = [
        {
            "table": name,
            "previous": before,
            "current": counts[name],
            "percent": round((before - counts[name]) * 100 / before),
        }
        for name, before in sorted(previous.items())
        if name in counts
        and before > 0
        and (
            counts[name] == 0
            or (
                before - counts[name] >= min_drop and (before - counts[name]) / before >= drop_ratio
            )
        )
    ]
    drops.sort(key=lambda d: d["percent"], reverse=True)
    missing = sorted(name for name in previous if name not in counts)
    data.update(drops=drops, missing=missing)
    if missing:
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg(
                "check.data.tables_missing",
                count=len(missing),
                tables=", ".join(missing[:3]),
                since=since,
            ),
            data=data,
        )
    if drops:
        worst = drops[0]
        return Finding(
            status=CheckStatus.FAIL,
            summary=msg(
                "check.data.rows_dropped",
                count=len(drops),
                table=worst["table"],
                previous=worst["previous"],
                current=worst["current"],
                percent=worst["percent"],
                since=since,
            ),
            data=data,
        )
    return Finding(
        status=CheckStatus.OK,
        summary=msg("check.data.counts_ok", tables=len(counts), since=since),
        data=data,
    )


# -- small query helpers ------------------------------------------------------------------


def _as_text(value: object) -> str | None:
    """A timestamp (or date) column value as ISO text."""
    if isinstance(value, datetime):
        return iso(value)
    return value.isoformat() if isinstance(value, date) else None


async def _rows(
    conn: psycopg.AsyncConnection[Any], query: Any, params: list[Any] | None = None
) -> list[tuple[Any, ...]]:
    cursor = await conn.execute(query, params)
    return list(await cursor.fetchall())


async def _row_or_none(
    conn: psycopg.AsyncConnection[Any], query: Any, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    cursor = await conn.execute(query, params)
    return await cursor.fetchone()


async def _row(
    conn: psycopg.AsyncConnection[Any], query: Any, params: list[Any] | None = None
) -> tuple[Any, ...]:
    row = await _row_or_none(conn, query, params)
    if row is None:
        raise DbFailure("query", "?", detail="no row", sqlstate="-")
    return row
