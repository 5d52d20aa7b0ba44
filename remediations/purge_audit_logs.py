"""Delete old audit-log rows (runbook 상황 2 경우 C: DB 용량 초과).

SPEC 3.4: a purge deletes only the rows it counted, those older than the cutoff fixed at
preview time AND present when previewed, whatever the table's key (bigserial, uuid or none).

How "present when previewed" is kept without knowing the key: the preview counts in a
REPEATABLE READ transaction and records that transaction's snapshot. Every row carries the id
of the transaction that wrote it (the system column xmin). A row the preview counted was
written either by a transaction older than the snapshot's xmin (finished before the preview,
as were all its subtransactions), or by one of the few transactions between the snapshot's
xmin and xmax that had committed by then: the preview lists those ids from the rows it
counted. Execution deletes a row only if its xmin is below the snapshot's xmin or in that
list. Rows written after the preview, by a transaction still running at preview time, or by
an UPDATE since, carry other ids and survive. (pg_visible_in_snapshot() alone is not enough:
it knows nothing of subtransactions, so a row written under a SAVEPOINT of a transaction
running at preview time would pass for visible.)

xmin is 32 bits; it is widened to a 64-bit id against the xmax of the very statement's
snapshot, which is exact for every row that statement can see. Any error left (a row frozen
more than 2^32 transactions ago) makes a counted row look recent and spares it: the rule
only ever errs towards deleting fewer rows. Execution also stops at the previewed count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import psycopg
from psycopg import sql
from pydantic import BaseModel

from probes.base import Msg, msg
from remediations import pg
from remediations.base import Outcome, Preview, plan_of

ACTION = "purge-audit-logs"
SCHEMA = "public"
TABLE = "audit_logs"
COLUMN = "created_at"
QUALIFIED = f"{SCHEMA}.{TABLE}"
# Transactions between the snapshot's xmin and xmax kept in the plan; rows written by any
# beyond this many are left alone (said in the preview). Normally there are none.
MAX_RECENT_XIDS = 1000
# Block range scanned per batch statement (8 MB with 8 kB pages): each statement reads at most
# this much, so a large table costs one pass, not one pass per batch.
WINDOW_BLOCKS = 1024
_TIME_TYPES = {"timestamp with time zone", "timestamp without time zone", "date"}

log = logging.getLogger(__name__)

_TABLE = sql.Identifier(SCHEMA, TABLE)
_COLUMN = sql.Identifier(COLUMN)


class PurgePlan(BaseModel):
    """What an approved purge acts on (Preview.data)."""

    database: str
    table: str
    table_oid: int
    retention_days: int
    cutoff: datetime
    count: int
    # The preview's snapshot ('xmin:xmax:xip' as pg_current_snapshot() shows it), its xmin and
    # xmax as 64-bit ids, and the ids between them whose rows the preview counted.
    snapshot: str
    snapshot_xmin: int
    snapshot_xmax: int
    recent_xids: list[int]
    # Old rows written by more recent transactions than MAX_RECENT_XIDS allows: not counted.
    left_out: int
    database_size: int
    table_size: int


@dataclass
class Progress:
    """How far an execution got: rows deleted and batch statements run."""

    deleted: int = 0
    batches: int = 0


class Sizes(BaseModel):
    """Database and table size in bytes."""

    database: int
    table: int


def _full_xid(reference: str) -> sql.Composable:
    """SQL for row s's xmin widened to 64 bits against `reference`, a 64-bit id above it."""
    guess = f"((({reference}) >> 32) << 32 | s.xmin::text::bigint)"
    return sql.SQL(
        f"(CASE WHEN {guess} >= ({reference}) THEN {guess} - 4294967296 ELSE {guess} END)"
    )


_TABLE_SQL = """
SELECT c.oid, c.relkind::text, a.atttypid::regtype::text,
       EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid),
       has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'DELETE')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %(column)s
                        AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = %(schema)s AND c.relname = %(table)s
"""

_SNAPSHOT_SQL = """
SELECT pg_current_snapshot()::text,
       pg_snapshot_xmin(pg_current_snapshot())::text::bigint,
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
       now() - make_interval(days => %s),
       current_database()
"""

# One scan: rows by transactions below the snapshot's xmin together (NULL), the rest by id.
_COUNT_SQL = sql.SQL(
    """
SELECT CASE WHEN x.xid >= %(snapshot_xmin)s THEN x.xid END, count(*)
FROM ONLY {table} s CROSS JOIN LATERAL (SELECT {full_xid} AS xid) x
WHERE s.{column} < %(cutoff)s
GROUP BY 1
ORDER BY 1 NULLS FIRST
"""
).format(table=_TABLE, column=_COLUMN, full_xid=_full_xid("%(snapshot_xmax)s::bigint"))

_SIZES_SQL = "SELECT pg_database_size(current_database()), pg_total_relation_size(%s::oid)"

# The reference id comes from this statement's own snapshot: every row it can see was written
# below it, so the widening is exact. The outer DELETE matches by ctid only, so a row updated
# meanwhile (new version, new ctid) fails the recheck and survives.
_DELETE_SQL = sql.SQL(
    """
WITH ref AS MATERIALIZED (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS c)
DELETE FROM ONLY {table} t
WHERE t.ctid = ANY(ARRAY(
    SELECT s.ctid
    FROM ONLY {table} s CROSS JOIN ref CROSS JOIN LATERAL (SELECT {full_xid} AS xid) x
    WHERE s.ctid >= %(low)s::tid AND s.ctid < %(high)s::tid
      AND s.{column} < %(cutoff)s
      AND (x.xid < %(snapshot_xmin)s OR x.xid = ANY(%(recent_xids)s::bigint[]))
    LIMIT %(limit)s))
  AND t.{column} < %(cutoff)s
"""
).format(table=_TABLE, column=_COLUMN, full_xid=_full_xid("ref.c"))


def _when(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _sizes(conn: psycopg.Connection[Any], oid: int) -> Sizes:
    row = conn.execute(_SIZES_SQL, [oid]).fetchone()
    assert row is not None  # a bare SELECT always returns its row
    return Sizes(database=row[0], table=row[1])


def _check_table(conn: psycopg.Connection[Any]) -> tuple[int | None, Msg | None]:
    """The table's oid, or the sentence saying why it cannot be purged."""
    row = conn.execute(_TABLE_SQL, {"schema": SCHEMA, "table": TABLE, "column": COLUMN}).fetchone()
    if row is None:
        return None, msg("purge.no_table", table=QUALIFIED)
    oid, kind, column_type, has_children, may_delete = row
    if kind == "p" or has_children:
        return None, msg("purge.partitioned", table=QUALIFIED)
    if kind != "r":
        return None, msg("purge.not_a_table", table=QUALIFIED)
    if column_type is None:
        return None, msg("purge.no_column", table=QUALIFIED, column=COLUMN)
    if column_type not in _TIME_TYPES:
        return None, msg("purge.bad_column", table=QUALIFIED, column=COLUMN, type=column_type)
    if not may_delete:
        return None, msg("purge.no_privilege", table=QUALIFIED)
    return oid, None


def preview(
    *,
    dsn: str,
    retention_days: int,
    tz: tzinfo = UTC,
    connect_timeout_s: float = pg.CONNECT_TIMEOUT_S,
) -> Preview:
    """Count the audit-log rows older than now - retention_days and fix them for execution."""
    if retention_days <= 0:
        raise ValueError("retention_days must be positive")
    title = msg(
        "purge.preview", count=0, cutoff="-", retention_days=retention_days, table=QUALIFIED
    )
    try:
        conn = pg.connect(dsn, timeout_s=connect_timeout_s, autocommit=False)
    except psycopg.Error as error:
        return Preview(action=ACTION, summary=title, blocked=pg.unreachable(error, dsn))
    try:
        with conn:
            # One snapshot for the cutoff, the count and the ids: what the approver sees is
            # exactly what execution will recognise.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            oid, problem = _check_table(conn)
            if problem is not None or oid is None:
                return Preview(action=ACTION, summary=title, blocked=problem)
            row = conn.execute(_SNAPSHOT_SQL, [retention_days]).fetchone()
            assert row is not None
            snapshot, snapshot_xmin, snapshot_xmax, cutoff, database = row
            groups = conn.execute(
                _COUNT_SQL,
                {"snapshot_xmin": snapshot_xmin, "snapshot_xmax": snapshot_xmax, "cutoff": cutoff},
            ).fetchall()
            sizes = _sizes(conn, oid)
    except psycopg.Error as error:
        return Preview(action=ACTION, summary=title, blocked=pg.failed(error, dsn))

    settled = sum(rows for xid, rows in groups if xid is None)
    recent = [(xid, rows) for xid, rows in groups if xid is not None]
    kept, dropped = recent[:MAX_RECENT_XIDS], recent[MAX_RECENT_XIDS:]
    plan = PurgePlan(
        database=database,
        table=QUALIFIED,
        table_oid=oid,
        retention_days=retention_days,
        cutoff=cutoff,
        count=settled + sum(rows for _, rows in kept),
        snapshot=snapshot,
        snapshot_xmin=snapshot_xmin,
        snapshot_xmax=snapshot_xmax,
        recent_xids=[xid for xid, _ in kept],
        left_out=sum(rows for _, rows in dropped),
        database_size=sizes.database,
        table_size=sizes.table,
    )
    shown_cutoff = _when(cutoff, tz)
    summary = msg(
        "purge.preview",
        count=plan.count,
        cutoff=shown_cutoff,
        retention_days=retention_days,
        table=QUALIFIED,
    )
    details = [
        msg(
            "purge.sizes",
            database_size=pg.human_size(sizes.database),
            table=QUALIFIED,
            table_size=pg.human_size(sizes.table),
        )
    ]
    if plan.left_out:
        details.append(msg("purge.left_out", count=plan.left_out))
    blocked = None
    if plan.count == 0:
        blocked = msg("purge.nothing", cutoff=shown_cutoff, retention_days=retention_days)
    return Preview(
        action=ACTION,
        summary=summary,
        details=details,
        data=plan.model_dump(mode="json"),
        blocked=blocked,
    )


def _delete_batches(
    conn: psycopg.Connection[Any],
    plan: PurgePlan,
    *,
    blocks: int,
    batch_rows: int,
    batch_timeout_s: float,
    progress: Progress,
) -> None:
    """Delete the plan's rows block window by block window, one transaction per batch,
    never past the previewed count, counting into progress as each batch commits."""
    params: dict[str, Any] = {
        "cutoff": plan.cutoff,
        "snapshot_xmin": plan.snapshot_xmin,
        "recent_xids": plan.recent_xids,
    }
    timeout = str(max(1, round(batch_timeout_s * 1000)))
    for low in range(0, blocks, WINDOW_BLOCKS):
        params["low"], params["high"] = f"({low},0)", f"({low + WINDOW_BLOCKS},0)"
        while (remaining := plan.count - progress.deleted) > 0:
            with conn.transaction():
                conn.execute("SELECT set_config('statement_timeout', %s, true)", [timeout])
                deleted = conn.execute(
                    _DELETE_SQL, {**params, "limit": min(batch_rows, remaining)}
                ).rowcount
            progress.deleted += deleted
            progress.batches += 1
            if deleted == 0:
                break
        if progress.deleted >= plan.count:
            return


def execute(
    preview: Preview,
    *,
    dsn: str,
    batch_rows: int = 5000,
    batch_timeout_s: float = 30.0,
    tz: tzinfo = UTC,
    connect_timeout_s: float = pg.CONNECT_TIMEOUT_S,
) -> Outcome:
    """Delete in batches exactly the rows the preview counted that are still there, no more."""
    plan = plan_of(preview, PurgePlan)
    if plan is None or preview.action != ACTION or plan.count <= 0:
        return Outcome(ok=False, summary=msg("remediation.bad_preview", action=ACTION))
    if batch_rows <= 0:
        raise ValueError("batch_rows must be positive")

    try:
        conn = pg.connect(dsn, timeout_s=connect_timeout_s, autocommit=True)
    except psycopg.Error as error:
        return Outcome(ok=False, summary=pg.unreachable(error, dsn))

    cutoff = _when(plan.cutoff, tz)
    progress = Progress()
    with conn:
        try:
            refusal = _refusal(conn, plan)
            if refusal is not None:
                return Outcome(ok=False, summary=refusal)
            before = _sizes(conn, plan.table_oid)
            blocks = pg.scalar(
                conn,
                "SELECT pg_relation_size(%s::oid) / current_setting('block_size')::int",
                [plan.table_oid],
            )
            _delete_batches(
                conn,
                plan,
                blocks=blocks,
                batch_rows=batch_rows,
                batch_timeout_s=batch_timeout_s,
                progress=progress,
            )
            after = _sizes(conn, plan.table_oid)
        except psycopg.Error as error:
            text = pg.error_text(error, dsn)
            log.warning("audit-log purge stopped after %d rows: %s", progress.deleted, text)
            stopped = msg("purge.stopped", deleted=progress.deleted, count=plan.count, error=text)
            data = {"deleted": progress.deleted, "count": plan.count, "batches": progress.batches}
            return Outcome(ok=False, summary=stopped, data=data)

    deleted, batches = progress.deleted, progress.batches
    log.info("audit-log purge deleted %d of %d rows in %d batches", deleted, plan.count, batches)
    summary = msg("purge.done", deleted=deleted, count=plan.count, cutoff=cutoff)
    details = [
        msg(
            "purge.size_change",
            before=pg.human_size(before.database),
            after=pg.human_size(after.database),
        ),
        msg(
            "purge.table_size_change",
            table=plan.table,
            before=pg.human_size(before.table),
            after=pg.human_size(after.table),
        ),
    ]
    if deleted < plan.count:
        details.append(msg("purge.fewer", missing=plan.count - deleted))
    details.append(msg("purge.vacuum_hint"))
    return Outcome(
        ok=True,
        summary=summary,
        details=details,
        data={
            "deleted": deleted,
            "count": plan.count,
            "cutoff": plan.cutoff.isoformat(),
            "batches": batches,
            "database_size_before": before.database,
            "database_size_after": after.database,
            "table_size_before": before.table,
            "table_size_after": after.table,
        },
    )


def _refusal(conn: psycopg.Connection[Any], plan: PurgePlan) -> Msg | None:
    """Why this connection is not where the preview was taken, if it is not."""
    row = conn.execute(
        "SELECT current_database(), to_regclass(%s)::oid,"
        " pg_snapshot_xmax(pg_current_snapshot())::text::bigint",
        [plan.table],
    ).fetchone()
    assert row is not None
    database, oid, next_xid = row
    if database != plan.database:
        return msg("remediation.wrong_database", expected=plan.database, actual=database)
    if oid != plan.table_oid:
        return msg("purge.table_changed", table=plan.table)
    # Transaction ids only grow: a smaller one means another server (a restore, a replica).
    if next_xid < plan.snapshot_xmax:
        return msg("purge.other_server")
    return None
