"""Migration 0007_chain chains the events a store at 0006 holds, in the (at, id) order reports
used, and stops, naming the event, at one it cannot canonicalise (SPEC 9)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.cli import main
from bot.evidence.chain import verify
from storage import Store, timeline
from storage.db import _MIGRATIONS
from storage.errors import UnreadableTimeline


def _at_0006(store: Store) -> None:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with store.engine.execution_options(ailex_write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")


def _fill(store: Store, *, data: str = '{"n": 1}') -> None:
    with store.engine.execution_options(ailex_write=True).begin() as connection:
        for incident in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO incidents (id, title, severity, status, commander_id,"
                    " declared_by, origin_channel_id, started_at) VALUES"
                    " (:id, 't', 'P2', 'investigating', 'U1', 'U1', 'C1', '2026-12-01 00:00:00')"
                ),
                {"id": incident},
            )
        # Inserted out of time order: the chain follows (at, id), as reports did.
        rows = [
            (1, "2026-12-01 00:05:00", "second"),
            (1, "2026-12-01 00:01:00", "first"),
            (2, "2026-12-01 00:02:00", "other"),
            (1, "2026-12-01 00:05:00", "third"),
        ]
        for incident, at, note in rows:
            connection.execute(
                text(
                    "INSERT INTO timeline_events (incident_id, at, actor, kind, text, data)"
                    " VALUES (:incident, :at, 'U1', 'note', :note, :data)"
                ),
                {"incident": incident, "at": at, "note": note, "data": data},
            )


def test_the_migration_chains_stored_events_in_report_order(store_url):
    store = Store(store_url)
    try:
        _at_0006(store)
        _fill(store)
        store.migrate()
        with store.read() as session:
            for incident, notes in ((1, ["first", "second", "third"]), (2, ["other"])):
                events = timeline.for_incident(session, incident_id=incident)
                assert [e.text for e in events] == notes
                assert [e.seq for e in events] == list(range(1, len(notes) + 1))
                recorded = timeline.head(session, incident_id=incident)
                assert recorded == (len(notes), events[-1].hash)
                assert verify(events, recorded=recorded).ok
        # New appends continue the migrated chain.
        from datetime import UTC, datetime

        with store.write() as session:
            timeline.append(session, incident_id=1, at=datetime.now(UTC), actor="U1", kind="note")
        with store.read() as session:
            events = timeline.for_incident(session, incident_id=1)
            assert [e.seq for e in events] == [1, 2, 3, 4]
            assert verify(events, recorded=timeline.head(session, incident_id=1)).ok
    finally:
        store.dispose()


def test_the_migration_goes_down_and_up_again(store_url):
    store = Store(store_url)
    try:
        _at_0006(store)
        _fill(store)
        store.migrate()
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with store.engine.execution_options(ailex_write=True).begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM timeline_events")).scalar() == 4
        store.migrate()
        with store.read() as session:
            events = timeline.for_incident(session, incident_id=1)
            assert verify(events, recorded=timeline.head(session, incident_id=1)).ok
    finally:
        store.dispose()


def test_an_event_it_cannot_read_stops_it_and_is_named(store_url, monkeypatch, capsys):
    store = Store(store_url)
    try:
        _at_0006(store)
        _fill(store, data='{"n": 18446744073709551616}')  # beyond what JCS can carry
        with pytest.raises(UnreadableTimeline) as raised:
            store.migrate()
        assert raised.value.incident_id == 1 and raised.value.event_id == 2  # first by (at, id)
        with store.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            columns = [
                row[1] if store.dialect == "sqlite" else row[0]
                for row in connection.execute(
                    text("PRAGMA table_info(timeline_events)")
                    if store.dialect == "sqlite"
                    else text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_name = 'timeline_events'"
                    )
                )
            ]
        assert version == "0006" and "hash" not in columns  # nothing changed, nothing skipped

        monkeypatch.setenv("AILEX_DATABASE_URL", store_url)
        capsys.readouterr()
        assert main(["verify", "1"]) == 1
        err = capsys.readouterr().err
        assert "이벤트 2" in err and "장애 #1" in err and "Traceback" not in err
    finally:
        store.dispose()
