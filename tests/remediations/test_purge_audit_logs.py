"""The audit-log purge against a real PostgreSQL: it deletes exactly the rows it counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from remediations import purge_audit_logs as purge
from remediations.base import Preview
from tests.remediations.helpers import assert_translatable

PASSWORD = "hunter2-not-for-slack"
KEYS = {
    "bigserial": "id bigserial PRIMARY KEY,",
    "uuid": "id uuid PRIMARY KEY DEFAULT gen_random_uuid(),",
    "no key": "",
}

Inserter = Callable[..., None]


@pytest.fixture
def db(pg_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the test database."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


def _create_table(conn: psycopg.Connection[Any], key: str = "bigserial") -> None:
    conn.execute(
        f"CREATE TABLE public.audit_logs ({KEYS[key]}"
        " created_at timestamptz NOT NULL, payload text)"
    )


def _insert(
    conn: psycopg.Connection[Any], tag: str, rows: int, *, days_ago: int, size: int = 10
) -> None:
    """Insert rows tagged `tag`, created `days_ago` days back."""
    conn.execute(
        "INSERT INTO public.audit_logs (created_at, payload)"
        " SELECT now() - make_interval(days => %s), %s || repeat('.', %s)"
        " FROM generate_series(1, %s)",
        [days_ago, tag, size, rows],
    )


def _left(conn: psycopg.Connection[Any]) -> Counter[str]:
    """Rows left in the table, by tag."""
    rows = conn.execute("SELECT split_part(payload, '.', 1) FROM public.audit_logs").fetchall()
    return Counter(tag for (tag,) in rows)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_purge_deletes_only_rows_counted_at_preview(
    pg_dsn: str, db: psycopg.Connection[Any], key: str
) -> None:
    _create_table(db, key)
    _insert(db, "old", 25, days_ago=200)
    _insert(db, "recent", 10, days_ago=1)
    _insert(db, "edge", 3, days_ago=89)

    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is None
    assert preview.data["count"] == 25
    assert preview.summary.params["count"] == 25
    assert preview.summary.params["cutoff"].endswith("UTC")
    assert_translatable(preview)

    _insert(db, "late", 7, days_ago=400)  # old rows, but written after the preview
    outcome = purge.execute(preview, dsn=pg_dsn, batch_rows=4)

    assert outcome.ok
    assert outcome.data["deleted"] == 25
    assert outcome.data["batches"] >= 7  # 25 rows, 4 at a time
    assert _left(db) == Counter({"recent": 10, "edge": 3, "late": 7})
    assert "purge.fewer" not in [d.key for d in outcome.details]
    assert_translatable(outcome)


def test_purge_spares_rows_of_transactions_still_running_at_preview(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    with psycopg.connect(pg_dsn) as writer:  # a transaction open across the preview
        _insert(writer, "running", 4, days_ago=200)
        # A savepoint's rows carry a subtransaction id, which pg_snapshot's in-progress list
        # does not show: pg_visible_in_snapshot() would call them visible. They must survive.
        writer.execute("SAVEPOINT inner_work")
        _insert(writer, "subtransaction", 3, days_ago=200)
        writer.execute("RELEASE SAVEPOINT inner_work")
        # Committed later, these lift the snapshot's xmax above the writer's ids; and lying
        # after them in the table, they cannot be what the cap stops at.
        _insert(db, "old", 5, days_ago=200)

        preview = purge.preview(dsn=pg_dsn, retention_days=90)
        writer.commit()

    assert preview.data["count"] == 5
    outcome = purge.execute(preview, dsn=pg_dsn)

    assert outcome.data["deleted"] == 5
    assert _left(db) == Counter({"running": 4, "subtransaction": 3})


def test_purge_deletes_counted_rows_of_transactions_newer_than_the_oldest_running(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "older", 2, days_ago=200)
    with psycopg.connect(pg_dsn) as long_running:
        long_running.execute("SELECT pg_current_xact_id()")  # holds the snapshot's xmin back
        _insert(db, "committed", 3, days_ago=200)  # committed, but above that xmin

        preview = purge.preview(dsn=pg_dsn, retention_days=90)

        assert preview.data["count"] == 5
        assert preview.data["recent_xids"]  # "committed" is above the snapshot's xmin
        outcome = purge.execute(preview, dsn=pg_dsn)
        long_running.rollback()

    assert outcome.data["deleted"] == 5
    assert _left(db) == Counter()


def test_purge_spares_row_updated_since_preview_and_says_so(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "old", 6, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    db.execute(
        "UPDATE public.audit_logs SET payload = 'touched.'"
        " WHERE id = (SELECT min(id) FROM public.audit_logs)"
    )
    outcome = purge.execute(preview, dsn=pg_dsn)

    assert outcome.ok
    assert outcome.data["deleted"] == 5
    assert _left(db) == Counter({"touched": 1})
    fewer = [d for d in outcome.details if d.key == "purge.fewer"]
    assert [d.params for d in fewer] == [{"missing": 1}]


def test_purge_reports_rows_already_gone(pg_dsn: str, db: psycopg.Connection[Any]) -> None:
    _create_table(db)
    _insert(db, "old", 10, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    db.execute("DELETE FROM public.audit_logs WHERE id <= 4")
    outcome = purge.execute(preview, dsn=pg_dsn)

    assert outcome.ok
    assert (outcome.data["deleted"], outcome.data["count"]) == (6, 10)
    assert outcome.summary.params == {
        "deleted": 6,
        "count": 10,
        "cutoff": preview.summary.params["cutoff"],
    }
    assert {"missing": 4} in [d.params for d in outcome.details if d.key == "purge.fewer"]


def test_purge_never_deletes_more_rows_than_counted(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "old", 20, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)
    capped = preview.model_copy(update={"data": {**preview.data, "count": 7}})

    outcome = purge.execute(capped, dsn=pg_dsn, batch_rows=5)

    assert outcome.data["deleted"] == 7
    assert _left(db) == Counter({"old": 13})


def test_purge_covers_every_block_of_a_table_larger_than_one_window(
    pg_dsn: str, db: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(purge, "WINDOW_BLOCKS", 2)
    _create_table(db)
    _insert(db, "old", 60, days_ago=200, size=1500)  # about 5 rows a page: a dozen pages
    _insert(db, "recent", 20, days_ago=1, size=1500)
    pages = db.execute("SELECT pg_relation_size('audit_logs') / 8192").fetchone()
    assert pages is not None and pages[0] > 10

    preview = purge.preview(dsn=pg_dsn, retention_days=90)
    outcome = purge.execute(preview, dsn=pg_dsn, batch_rows=7)

    assert outcome.data["deleted"] == 60
    assert _left(db) == Counter({"recent": 20})


def test_purge_reports_database_and_table_sizes(pg_dsn: str, db: psycopg.Connection[Any]) -> None:
    _create_table(db)
    _insert(db, "old", 50, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)
    assert preview.data["database_size"] > 0 and preview.data["table_size"] > 0
    assert [d.key for d in preview.details] == ["purge.sizes"]

    outcome = purge.execute(preview, dsn=pg_dsn)

    for name in ("database_size_before", "database_size_after", "table_size_before"):
        assert outcome.data[name] > 0
    keys = [d.key for d in outcome.details]
    assert keys == ["purge.size_change", "purge.table_size_change", "purge.vacuum_hint"]


def test_purge_understands_timestamp_without_time_zone(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    db.execute("CREATE TABLE public.audit_logs (created_at timestamp NOT NULL, payload text)")
    _insert(db, "old", 4, days_ago=200)
    _insert(db, "recent", 2, days_ago=1)

    outcome = purge.execute(purge.preview(dsn=pg_dsn, retention_days=90), dsn=pg_dsn)

    assert outcome.data["deleted"] == 4
    assert _left(db) == Counter({"recent": 2})


def test_purge_is_blocked_when_the_table_is_missing(pg_dsn: str) -> None:
    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is not None
    assert preview.blocked.key == "purge.no_table"
    assert preview.blocked.params == {"table": "public.audit_logs"}
    assert_translatable(preview)


def test_purge_is_blocked_when_created_at_is_missing(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    db.execute("CREATE TABLE public.audit_logs (id bigserial PRIMARY KEY, logged_at timestamptz)")

    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is not None
    assert preview.blocked.key == "purge.no_column"
    assert_translatable(preview)


def test_purge_is_blocked_when_created_at_is_not_a_time(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    db.execute("CREATE TABLE public.audit_logs (created_at text)")

    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is not None
    assert preview.blocked.key == "purge.bad_column"
    assert preview.blocked.params["type"] == "text"


def test_purge_is_blocked_for_a_partitioned_table(pg_dsn: str, db: psycopg.Connection[Any]) -> None:
    db.execute(
        "CREATE TABLE public.audit_logs (created_at timestamptz, payload text)"
        " PARTITION BY RANGE (created_at)"
    )

    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is not None
    assert preview.blocked.key == "purge.partitioned"


def test_purge_is_blocked_when_nothing_is_older_than_the_cutoff(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "recent", 5, days_ago=30)

    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    assert preview.blocked is not None
    assert preview.blocked.key == "purge.nothing"
    assert preview.data["count"] == 0
    assert_translatable(preview)


def test_purge_refuses_a_table_recreated_since_preview(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "old", 5, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)
    db.execute("DROP TABLE public.audit_logs")
    _create_table(db)
    _insert(db, "new-table", 5, days_ago=200)

    outcome = purge.execute(preview, dsn=pg_dsn)

    assert not outcome.ok
    assert outcome.summary.key == "purge.table_changed"
    assert _left(db) == Counter({"new-table": 5})


def test_purge_stops_and_says_how_far_it_got_when_a_batch_fails(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "old", 12, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)
    # The third batch hits a row a trigger refuses to delete.
    db.execute(
        """
        CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF OLD.id = 9 THEN RAISE EXCEPTION 'row 9 is on legal hold'; END IF;
          RETURN OLD;
        END $$;
        CREATE TRIGGER hold BEFORE DELETE ON public.audit_logs
          FOR EACH ROW EXECUTE FUNCTION refuse();
        """
    )

    outcome = purge.execute(preview, dsn=pg_dsn, batch_rows=4)

    assert not outcome.ok
    assert outcome.summary.key == "purge.stopped"
    assert outcome.data["deleted"] == 8
    assert "legal hold" in outcome.summary.params["error"]
    assert_translatable(outcome)


def test_purge_on_unreachable_database_is_blocked_without_the_password() -> None:
    dsn = f"host=127.0.0.1 port=1 dbname=product user=postgres password={PASSWORD}"

    preview = purge.preview(dsn=dsn, retention_days=90, connect_timeout_s=2)

    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.pg_unreachable"
    assert PASSWORD not in preview.model_dump_json()


def test_purge_execution_on_unreachable_database_fails_without_the_password(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "old", 3, days_ago=200)
    preview = purge.preview(dsn=pg_dsn, retention_days=90)

    outcome = purge.execute(
        preview, dsn=f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/x", connect_timeout_s=2
    )

    assert not outcome.ok
    assert PASSWORD not in outcome.model_dump_json()
    assert _left(db) == Counter({"old": 3})


def test_purge_refuses_a_blocked_or_malformed_preview(
    pg_dsn: str, db: psycopg.Connection[Any]
) -> None:
    _create_table(db)
    _insert(db, "recent", 1, days_ago=1)
    blocked = purge.preview(dsn=pg_dsn, retention_days=90)
    malformed = Preview(action=purge.ACTION, summary=blocked.summary, data={"count": 3})

    for preview in (blocked, malformed):
        outcome = purge.execute(preview, dsn=pg_dsn)
        assert not outcome.ok
        assert outcome.summary.key == "remediation.bad_preview"
