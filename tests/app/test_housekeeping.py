"""Background duties: scheduled row-count snapshots (one per interval across replicas) and
logs that never show a secret."""

from __future__ import annotations

import logging

import psycopg

from bot.logs import MASK, RedactingFormatter, Redactor
from storage import diagnoses
from tests.harness import FakeClock


def test_scheduled_snapshot_is_taken_once_per_interval_across_replicas(
    make_bot, pg_dsn, pg_store_url
):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.customers (id serial primary key)")
        conn.execute("INSERT INTO public.customers SELECT FROM generate_series(1, 12)")
    clock = FakeClock()
    settings = {"SUPABASE_DB_URL": pg_dsn, "AILEX_SNAPSHOT_INTERVAL_MINUTES": "60"}
    first = make_bot(store_url=pg_store_url, clock=clock, **settings)
    second = make_bot(store_url=pg_store_url, clock=clock, slack=first.slack, **settings)
    taken = [first.core.snapshot_due(), second.core.snapshot_due()]
    assert sorted(taken) == [False, True]
    with first.store.read() as session:
        snapshot = diagnoses.latest_snapshot(session)
    assert snapshot.source == "schedule" and snapshot.counts["customers"] == 12
    assert not first.core.snapshot_due()
    clock.advance(minutes=61)
    assert first.core.snapshot_due() or second.core.snapshot_due()


def test_no_snapshot_without_a_product_database(bot):
    assert bot.core.snapshot_due() is False


def test_log_lines_mask_known_secrets_and_credential_shapes():
    redact = Redactor(["my-vercel-token-123"])
    line = (
        "calling with my-vercel-token-123 and xoxb-1111-2222-abcd, sk-proj-abcdefgh12345678,"
        " Authorization: Bearer abc.def.ghi123456 postgresql://app:pw-secret@db:5432/postgres"
        " eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJl"
    )
    masked = redact(line)
    for secret in (
        "my-vercel-token-123",
        "xoxb-1111-2222-abcd",
        "sk-proj-abcdefgh12345678",
        "abc.def.ghi123456",
        "pw-secret",
        "c2lnbmF0dXJl",
    ):
        assert secret not in masked
    assert masked.count(MASK) >= 6 and "postgresql://app:" in masked


def test_tracebacks_are_masked_too():
    formatter = RedactingFormatter(Redactor(["hunter2-secret"]))
    try:
        raise RuntimeError("connect failed for password hunter2-secret")
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, None)
        import sys

        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert "hunter2-secret" not in text and "RuntimeError" in text
