"""상황 2 (database): reachability, connections, size and old audit logs, on a real PostgreSQL
database made fresh for each test; and the connection helper every database probe uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import psycopg
import pytest

from probes.base import BOT_APPLICATION_NAME
from probes.database import check_audit_logs, check_db_connections, check_db_ping, check_db_size
from probes.postgres import DbFailure, connect, describe_dsn
from tests.fakes.findings import check, run
from tests.fakes.sockets import SilentServer, refused_port


def dsn_with(dsn: str, **changes: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    params.update(changes)
    return psycopg.conninfo.make_conninfo(**params)


# -- reachability -------------------------------------------------------------------------


def test_select_1_round_trip(pg_dsn: str) -> None:
    finding = check(run(check_db_ping(dsn=pg_dsn, timeout=5)), "ok", "check.db.ping")
    assert finding.data["rtt_ms"] >= 0
    assert finding.data["server_version"] >= 100000
    assert "password" not in finding.data


def test_unknown_role_is_an_authentication_failure(pg_dsn: str) -> None:
    dsn = dsn_with(pg_dsn, user="ailex_no_such_role", password="wrong-pass-123")
    finding = check(
        run(check_db_ping(dsn=dsn, timeout=5)), "fail", "check.db.auth", "wrong-pass-123"
    )
    assert finding.data["user"] == "ailex_no_such_role"


def test_missing_database_is_named(pg_dsn: str) -> None:
    dsn = dsn_with(pg_dsn, dbname="ailex_no_such_database")
    check(run(check_db_ping(dsn=dsn, timeout=5)), "fail", "check.db.no_database")


def test_refused_port_is_named_refused() -> None:
    dsn = f"host=127.0.0.1 port={refused_port()} user=postgres dbname=postgres"
    check(run(check_db_ping(dsn=dsn, timeout=5)), "fail", "check.db.refused")


def test_unknown_host_is_a_dns_failure() -> None:
    dsn = "host=db.ailex.invalid user=postgres dbname=postgres"
    check(run(check_db_ping(dsn=dsn, timeout=5)), "fail", "check.db.dns")


def test_server_that_never_answers_times_out_within_the_bound() -> None:
    with SilentServer() as server:
        dsn = f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres"
        finding = run(check_db_ping(dsn=dsn, timeout=0.5), within=3)
    check(finding, "fail", "check.db.timeout")


def test_malformed_dsn_is_named_without_echoing_it() -> None:
    finding = run(check_db_ping(dsn="host=db password=hunter2 nonsense", timeout=2))
    check(finding, "error", "check.db.bad_dsn", "hunter2")


def test_url_password_never_reaches_the_finding() -> None:
    url = f"postgresql://ailex_no_such_role:Sup3rSecret@127.0.0.1:{refused_port()}/postgres"
    finding = run(check_db_ping(dsn=url, timeout=2))
    check(finding, "fail", "check.db.refused", "Sup3rSecret")
    assert describe_dsn(url) == {
        "host": "127.0.0.1",
        "port": url.split(":")[3].split("/")[0],
        "dbname": "postgres",
        "user": "ailex_no_such_role",
    }


def test_sqlalchemy_style_url_is_accepted(pg_dsn: str) -> None:
    facts = describe_dsn(pg_dsn)
    url = f"postgresql+psycopg://{facts['user']}@{facts['host']}:{facts['port']}/{facts['dbname']}"
    check(run(check_db_ping(dsn=url, timeout=5)), "ok", "check.db.ping")


def test_missing_dsn_skips_naming_the_setting() -> None:
    finding = check(run(check_db_ping(dsn=None, timeout=1)), "skipped", "check.skipped")
    assert finding.data["missing"] == ["SUPABASE_DB_URL"]


# -- the connection helper ----------------------------------------------------------------


def test_probe_connection_is_labelled_read_only_and_bounded(pg_dsn: str) -> None:
    async def inspect() -> tuple[str, str, str]:
        async with connect(pg_dsn, timeout=3) as conn:
            cursor = await conn.execute(
                "SELECT current_setting('application_name'), "
                "current_setting('transaction_read_only'), current_setting('statement_timeout')"
            )
            row = await cursor.fetchone()
            assert row is not None
            return row

    name, read_only, statement_timeout = asyncio.run(inspect())
    assert name == BOT_APPLICATION_NAME
    assert read_only == "on"
    assert statement_timeout == "3s"


def test_probe_connection_cannot_write(pg_dsn: str) -> None:
    async def write() -> None:
        async with connect(pg_dsn, timeout=3) as conn:
            await conn.execute("CREATE TABLE should_not_exist (id int)")

    with pytest.raises(DbFailure) as raised:
        asyncio.run(write())
    assert raised.value.kind == "query"
    assert raised.value.params["sqlstate"] == "25006"  # read_only_sql_transaction


def test_long_query_ends_at_the_deadline(pg_dsn: str) -> None:
    # An hour's sleep: only the deadline can end it (without one the test's timeout would).
    async def sleep() -> None:
        async with connect(pg_dsn, timeout=0.5) as conn:
            await conn.execute("SELECT pg_sleep(3600)")

    with pytest.raises(DbFailure) as raised:
        asyncio.run(sleep())
    assert raised.value.kind == "query_timeout"
    assert raised.value.params == {"seconds": "0.5"}  # the deadline it was given, in the sentence


# -- connections --------------------------------------------------------------------------


@pytest.fixture
def idle_connections(pg_dsn: str) -> Iterator[list[psycopg.Connection]]:
    """Four connections left idle, as a leaking app pool would."""
    conns = [
        psycopg.connect(pg_dsn, autocommit=True, application_name="next-app") for _ in range(4)
    ]
    for conn in conns:
        conn.execute("SELECT 1")
    try:
        yield conns
    finally:
        for conn in conns:
            conn.close()


def test_connections_by_state_and_long_idle_ones(
    pg_dsn: str, idle_connections: list[psycopg.Connection]
) -> None:
    time.sleep(1.2)
    finding = run(check_db_connections(dsn=pg_dsn, timeout=5, idle_minutes=0.01))
    check(finding, "ok", "check.db.connections_ok")
    assert finding.data["by_state"] == {"idle": 4}  # the probe's own backend is left out
    assert finding.data["total"] == 4
    assert finding.data["idle_over"] == 4
    sample = finding.data["idle_sample"][0]
    assert sample["application"] == "next-app"
    assert sample["idle_minutes"] >= 0.01
    assert finding.data["max_connections"] >= 4


def test_recently_active_connections_are_not_long_idle(
    pg_dsn: str, idle_connections: list[psycopg.Connection]
) -> None:
    finding = run(check_db_connections(dsn=pg_dsn, timeout=5, idle_minutes=10))
    check(finding, "ok", "check.db.connections_ok")
    assert finding.data["idle_over"] == 0


def test_bot_connections_are_never_counted_as_killable(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True, application_name=BOT_APPLICATION_NAME) as conn:
        conn.execute("SELECT 1")
        time.sleep(1.2)
        finding = run(check_db_connections(dsn=pg_dsn, timeout=5, idle_minutes=0.01))
    assert finding.data["total"] == 1
    assert finding.data["idle_over"] == 0


def test_connections_near_the_limit_fail_and_warn_below(
    pg_dsn: str, idle_connections: list[psycopg.Connection]
) -> None:
    # Four connections against max_connections; thresholds scaled so that four is "full".
    max_connections = run(check_db_connections(dsn=pg_dsn, timeout=5)).data["max_connections"]
    ratio = 4 / max_connections
    full = run(check_db_connections(dsn=pg_dsn, timeout=5, warn_ratio=ratio / 2, fail_ratio=ratio))
    high = run(check_db_connections(dsn=pg_dsn, timeout=5, warn_ratio=ratio, fail_ratio=ratio * 2))
    check(full, "fail", "check.db.connections_full")
    check(high, "warn", "check.db.connections_high")
    assert full.summary.params["total"] == 4


def test_connection_check_unreachable_is_an_error_not_a_failure() -> None:
    dsn = f"host=127.0.0.1 port={refused_port()} user=postgres dbname=postgres"
    check(run(check_db_connections(dsn=dsn, timeout=2)), "error", "check.db.refused")


# -- size ---------------------------------------------------------------------------------


def make_tables(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE documents (id serial PRIMARY KEY, body text)")
        conn.execute(
            "INSERT INTO documents (body) SELECT repeat('x', 500) FROM generate_series(1, 2000)"
        )
        conn.execute("CREATE TABLE assessments (id serial PRIMARY KEY, score int)")
        conn.execute("INSERT INTO assessments (score) SELECT 1 FROM generate_series(1, 10)")


def test_database_size_under_the_limit_lists_the_largest_tables(pg_dsn: str) -> None:
    make_tables(pg_dsn)
    finding = check(
        run(check_db_size(dsn=pg_dsn, timeout=5, limit_mb=100_000)), "ok", "check.db.size_ok"
    )
    assert finding.data["size_bytes"] > 0
    largest = finding.data["largest"]
    assert largest[0]["table"] == "public.documents"
    assert largest[0]["bytes"] > largest[1]["bytes"]
    assert largest[0]["size"].endswith(("kB", "MB"))


def test_database_at_the_plan_limit_fails(pg_dsn: str) -> None:
    make_tables(pg_dsn)
    finding = check(
        run(check_db_size(dsn=pg_dsn, timeout=5, limit_mb=1)), "fail", "check.db.size_full"
    )
    assert finding.summary.params["largest"] == "documents"
    assert finding.data["ratio"] >= 0.95


def test_database_near_the_limit_warns(pg_dsn: str) -> None:
    size_mb = run(check_db_size(dsn=pg_dsn, timeout=5)).data["size_bytes"] / 2**20
    finding = run(check_db_size(dsn=pg_dsn, timeout=5, limit_mb=size_mb / 0.85))
    check(finding, "warn", "check.db.size_high")


# -- audit logs ---------------------------------------------------------------------------


def test_missing_audit_log_table_is_a_warning(pg_dsn: str) -> None:
    finding = check(run(check_audit_logs(dsn=pg_dsn, timeout=5)), "warn", "check.db.audit_missing")
    assert finding.data["exists"] is False


def test_audit_rows_past_retention_are_counted(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.audit_logs (id bigserial PRIMARY KEY, action text, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(
            "INSERT INTO audit_logs (action, created_at) SELECT 'login', now() - make_interval("
            "days => 90 + g) FROM generate_series(1, 7) g"
        )
        conn.execute("INSERT INTO audit_logs (action) SELECT 'view' FROM generate_series(1, 5)")
    finding = check(
        run(check_audit_logs(dsn=pg_dsn, timeout=5, retention_days=90)), "ok", "check.db.audit_old"
    )
    assert finding.data["old_rows"] == 7
    assert finding.summary.params == {"count": 7, "days": 90}
    assert finding.data["oldest"] < finding.data["cutoff"]
    fresh = run(check_audit_logs(dsn=pg_dsn, timeout=5, retention_days=365))
    check(fresh, "ok", "check.db.audit_clean")


def test_audit_log_table_without_created_at_is_a_warning(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.audit_logs (id int, at timestamptz)")
    check(run(check_audit_logs(dsn=pg_dsn, timeout=5)), "warn", "check.db.audit_no_created_at")
