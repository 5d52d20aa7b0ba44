"""The database drills' PostgreSQL: a scratch database on AILEX_DRILL_PG_URL, in the case's
failing state (idle connections held open; an audit_logs table full of old rows; a table that
lost most of its rows since the last scheduled snapshot), dropped at the end whatever
happened."""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from bot.drill.world import World

# The scratch database's own connection limit: the connections check measures against it, so
# the drill fills it with a few held connections, not a whole server's worth.
CONNECTION_LIMIT = 10
HELD = 8
OLD_ROWS = 5000
NEW_ROWS = 200
# The data-loss drill: a table of this many rows loses LOST of them after the snapshot.
DATA_LOSS = "data-loss"
ASSESSMENTS = 1000
LOST = 900


def _with_db(admin_url: str, name: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(admin_url)
    params["dbname"] = name
    return psycopg.conninfo.make_conninfo("", **params)


def scratch_database(world: World, admin_url: str, case: str) -> str:
    """Create the scratch database in `case`'s failing state; return its libpq URL."""
    name = f"ailex_drill_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    with admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} CONNECTION LIMIT {}").format(
                sql.Identifier(name), sql.Literal(CONNECTION_LIMIT)
            )
        )
    world.on_stop(lambda: _drop(admin_url, name))
    dsn = _with_db(admin_url, name)
    if case == "B":  # 경우 B: connections held idle by a leaking app
        held: list[psycopg.Connection[Any]] = []
        world.on_stop(lambda: _close_all(held))
        for _ in range(HELD):
            conn = psycopg.connect(dsn, autocommit=True, application_name="ailex-web-leak")
            conn.execute("SELECT 1")
            held.append(conn)
        from bot.drill.scenarios import IDLE_SECONDS

        time.sleep(IDLE_SECONDS + 0.3)
    elif case == DATA_LOSS:  # 상황 7: a bad migration deleted most of a table's rows
        _lose_rows(world, dsn)
    else:  # 경우 C: the database is full of audit logs past their retention
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE public.audit_logs (id bigserial PRIMARY KEY,"
                " created_at timestamptz NOT NULL, payload text)"
            )
            # The recent rows first: the old ones fill the table's last pages, which VACUUM
            # gives back to the disk once they are deleted (as autovacuum does after a purge).
            for days, rows in ((3, NEW_ROWS), (200, OLD_ROWS)):
                conn.execute(
                    "INSERT INTO public.audit_logs (created_at, payload)"
                    " SELECT now() - make_interval(days => %s), repeat('x', 400)"
                    " FROM generate_series(1, %s)",
                    [days, rows],
                )
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            size = int(row[0]) if row else 0
        # The size check's limit set so that the database is at 90% of it.
        world.settings["AILEX_DB_SIZE_LIMIT_MB"] = f"{size / 1024 / 1024 / 0.9:.3f}"

        def autovacuum() -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("VACUUM public.audit_logs")

        world.heals.append(autovacuum)
    return dsn


def _lose_rows(world: World, dsn: str) -> None:
    """Fill `assessments`, keep a scheduled snapshot of it from an hour ago in the drill's own
    store (the baseline), then delete 90% of it. `/drill heal` puts the rows back, as restoring
    the latest backup would (the runbook's step 3, done outside the bot)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.assessments (id bigserial PRIMARY KEY, title text NOT NULL)"
        )
        conn.execute(
            "INSERT INTO public.assessments (title) SELECT 'assessment ' || n"
            " FROM generate_series(1, %s) n",
            [ASSESSMENTS],
        )
        conn.execute("DELETE FROM public.assessments WHERE id > %s", [ASSESSMENTS - LOST])

    def snapshot(store: Any) -> None:
        from storage import diagnoses

        with store.write() as session:
            diagnoses.add_snapshot(
                session,
                at=datetime.now(UTC) - timedelta(hours=1),
                source=diagnoses.SCHEDULE,
                counts={"assessments": ASSESSMENTS},
            )

    def restore() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO public.assessments (id, title) SELECT n, 'assessment ' || n"
                " FROM generate_series(%s::int, %s::int) n ON CONFLICT DO NOTHING",
                [ASSESSMENTS - LOST + 1, ASSESSMENTS],
            )

    world.prepare_store = snapshot
    world.heals.append(restore)


def _close_all(held: list[psycopg.Connection[Any]]) -> None:
    for conn in held:
        with contextlib.suppress(Exception):
            conn.close()


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
