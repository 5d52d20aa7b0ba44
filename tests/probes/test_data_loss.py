"""상황 7 (data lost): row counts of the product tables against the last snapshot, and the
newest backup on disk."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bot.messages import Catalogue
from probes.backups import check_latest_backup
from probes.base import Finding
from probes.database import check_table_counts
from tests.fakes.findings import check, run
from tests.fakes.sockets import refused_port


def seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE organizations (id serial PRIMARY KEY)")
        conn.execute("INSERT INTO organizations SELECT FROM generate_series(1, 40)")
        conn.execute("CREATE TABLE assessments (id serial PRIMARY KEY)")
        conn.execute("INSERT INTO assessments SELECT FROM generate_series(1, 200)")
        conn.execute('CREATE TABLE "Documents" (id serial PRIMARY KEY)')  # quoting matters
        conn.execute('INSERT INTO "Documents" SELECT FROM generate_series(1, 5)')
        conn.execute("CREATE VIEW recent_assessments AS SELECT * FROM assessments")


def counts(dsn: str, previous: dict[str, int] | None = None, **kwargs) -> Finding:
    return run(check_table_counts(dsn=dsn, timeout=5, previous=previous, **kwargs))


def test_first_snapshot_returns_exact_counts_to_store(pg_dsn: str) -> None:
    seed(pg_dsn)
    finding = check(counts(pg_dsn), "ok", "check.data.first_snapshot")
    assert finding.data["counts"] == {"Documents": 5, "assessments": 200, "organizations": 40}
    assert finding.data["estimated"] == []
    assert finding.data["first_snapshot"] is True


def test_unchanged_or_grown_tables_are_ok(pg_dsn: str) -> None:
    seed(pg_dsn)
    previous = {"Documents": 5, "assessments": 190, "organizations": 40}
    finding = check(counts(pg_dsn, previous), "ok", "check.data.counts_ok")
    assert finding.data["drops"] == []


def test_table_that_lost_a_fifth_of_its_rows_fails(pg_dsn: str) -> None:
    seed(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM assessments WHERE id > 150")
    previous = {"Documents": 5, "assessments": 200, "organizations": 40}
    finding = check(counts(pg_dsn, previous), "fail", "check.data.rows_dropped")
    assert finding.data["drops"] == [
        {"table": "assessments", "previous": 200, "current": 150, "percent": 25}
    ]
    assert finding.summary.params["table"] == "assessments"


def test_small_absolute_drop_is_not_flagged(pg_dsn: str) -> None:
    seed(pg_dsn)
    # 40 -> 32 is 20% but only 8 rows: noise, not loss.
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM organizations WHERE id > 32")
    previous = {"Documents": 5, "assessments": 200, "organizations": 40}
    check(counts(pg_dsn, previous), "ok", "check.data.counts_ok")


def test_table_emptied_fails_whatever_its_size(pg_dsn: str) -> None:
    seed(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute('TRUNCATE "Documents"')
    previous = {"Documents": 5, "assessments": 200, "organizations": 40}
    finding = check(counts(pg_dsn, previous), "fail", "check.data.rows_dropped")
    assert finding.data["drops"][0]["table"] == "Documents"
    assert finding.data["drops"][0]["current"] == 0


def test_table_that_vanished_fails(pg_dsn: str) -> None:
    seed(pg_dsn)
    previous = {"Documents": 5, "assessments": 200, "organizations": 40, "audit_logs": 1000}
    finding = check(counts(pg_dsn, previous), "fail", "check.data.tables_missing")
    assert finding.data["missing"] == ["audit_logs"]
    assert finding.summary.params["tables"] == "audit_logs"


def test_large_tables_are_estimated_and_said_so(pg_dsn: str) -> None:
    seed(pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("ANALYZE assessments")
    finding = check(counts(pg_dsn, exact_limit=100), "ok", "check.data.first_snapshot")
    assert finding.data["estimated"] == ["assessments"]
    assert finding.data["counts"]["assessments"] == 200  # reltuples after ANALYZE


def test_empty_public_schema_warns(pg_dsn: str) -> None:
    check(counts(pg_dsn), "warn", "check.data.no_tables")


def test_unreachable_database_is_an_error() -> None:
    dsn = f"host=127.0.0.1 port={refused_port()} user=postgres dbname=postgres"
    check(counts(dsn, {"a": 1}), "error", "check.db.refused")


# -- backups ------------------------------------------------------------------------------

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


def backup_file(directory: Path, name: str, age: timedelta) -> Path:
    path = directory / name
    path.write_bytes(b"PGDMP fake dump")
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_fresh_backup_is_ok(tmp_path: Path) -> None:
    backup_file(tmp_path, "ailex-20250601-120000.dump", timedelta(hours=30))
    backup_file(tmp_path, "ailex-20250602-090000.dump", timedelta(hours=3))
    finding = run(check_latest_backup(directory=str(tmp_path), now=NOW))
    check(finding, "ok", "check.backup.fresh")
    assert finding.data["newest"] == "ailex-20250602-090000.dump"
    assert finding.data["age_hours"] == 3.0
    assert finding.data["files"] == 2
    assert Catalogue("ko").render(finding.summary).endswith("(3시간 전)")


def test_any_regular_file_counts_as_a_backup(tmp_path: Path) -> None:
    backup_file(tmp_path, "manual.sql.gz", timedelta(minutes=5))
    (tmp_path / "subdir").mkdir()
    finding = check(
        run(check_latest_backup(directory=str(tmp_path), now=NOW)), "ok", "check.backup.fresh"
    )
    assert finding.data["files"] == 1


def test_backup_older_than_a_day_warns(tmp_path: Path) -> None:
    backup_file(tmp_path, "ailex-20250530-120000.dump", timedelta(days=3))
    finding = check(
        run(check_latest_backup(directory=str(tmp_path), now=NOW)), "warn", "check.backup.stale"
    )
    assert Catalogue("ko").render(finding.summary).endswith("(3일 전)")
    assert Catalogue("en").render(finding.summary).endswith("(3d ago)")


def test_empty_backup_directory_warns(tmp_path: Path) -> None:
    check(run(check_latest_backup(directory=str(tmp_path), now=NOW)), "warn", "check.backup.none")


def test_missing_backup_directory_warns(tmp_path: Path) -> None:
    finding = run(check_latest_backup(directory=str(tmp_path / "nope")))
    check(finding, "warn", "check.backup.no_directory")


def test_backup_path_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    path = backup_file(tmp_path, "not-a-dir", timedelta(0))
    check(run(check_latest_backup(directory=str(path))), "error", "check.backup.unreadable")


def test_backup_age_uses_the_clock_by_default(tmp_path: Path) -> None:
    (tmp_path / "ailex-now.dump").write_bytes(b"x")
    finding = run(check_latest_backup(directory=str(tmp_path)))
    check(finding, "ok", "check.backup.fresh")
    assert finding.data["age_hours"] <= 0.1
