"""Prepared statements (storage/prepared.py) store exactly what Core stores, on both stores,
inside the caller's transaction, and refuse statements whose results would need conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from storage import Store, outbox
from storage.models import Incident, OutboxMessage
from storage.prepared import ROWS_PER_STATEMENT, Prepared

AT = datetime(2025, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
PAYLOAD = {"text": "결제 페이지 500 — 확인 중", "n": 3, "nested": {"ok": True, "none": None}}


def _incident(n: int, *, channel: str, resolved: bool = False) -> Incident:
    return Incident(
        title=f"장애 {n}",
        severity="P2",
        status="investigating",
        commander_id="U1",
        declared_by="U1",
        origin_channel_id="C_OPS",
        channel_id=channel,
        started_at=AT,
        resolved_at=AT if resolved else None,
    )


@pytest.fixture
def store(store_url: str):
    store = Store(store_url)
    store.migrate()
    yield store
    store.dispose()


KST = AT.astimezone(timezone(timedelta(hours=9)))


def _outbox_row(queue: str) -> dict:
    """An outbox row as Core inserts it: a UTC time given in another zone, JSON in Korean."""
    return {
        "queue": queue,
        "target": "slack",
        "op": "message.post",
        "payload": PAYLOAD,
        "status": "pending",
        "attempts": 0,
        "created_at": KST,
        "next_attempt_at": KST,
    }


def test_a_prepared_insert_stores_what_core_stores(store: Store) -> None:
    """The same row through Core and through the driver reads back the same: a UTC datetime
    (given in another zone), JSON with Korean text, a NULL."""
    row = _outbox_row("incident:1")
    prepared = Prepared(insert(OutboxMessage).returning(OutboxMessage.id), keys=list(row))
    with store.write() as session:
        by_core = session.execute(insert(OutboxMessage).returning(OutboxMessage.id), row).scalar()
        by_driver = prepared.scalar(session, row)
    assert isinstance(by_driver, int) and by_driver == by_core + 1
    with store.read() as session:
        stored = {m.id: m for m in session.scalars(select(OutboxMessage)).all()}
        raw = session.connection().exec_driver_sql("SELECT created_at FROM outbox").all()
    core, driver = stored[by_core], stored[by_driver]
    for column in ("payload", "created_at", "next_attempt_at", "lease_until", "queue", "op"):
        assert getattr(driver, column) == getattr(core, column), column
    assert driver.created_at == AT and driver.created_at.utcoffset() == timedelta(0)
    assert driver.payload == PAYLOAD
    # Byte for byte in the table, not only equal once read back.
    assert raw[0] == raw[1]


@pytest.mark.parametrize("count", [1, 3, ROWS_PER_STATEMENT + 5])
def test_many_rows_in_one_insert_are_stored_as_core_stores_each(store: Store, count: int) -> None:
    """A batch's messages go in as one multi-row INSERT (more than ROWS_PER_STATEMENT take
    two): each row reads back, byte for byte, as the same row through Core, and the ids come
    back in the order the rows were given."""
    messages = [
        outbox.NewMessage(queue=f"incident:{n % 2}", op="message.post", payload={**PAYLOAD, "n": n})
        for n in range(count)
    ]
    with store.write() as session:
        by_core = session.execute(
            insert(OutboxMessage).returning(OutboxMessage.id), _outbox_row("incident:0")
        ).scalar_one()
        ids = outbox.enqueue_many(session, messages, at=KST)
    assert ids == list(range(by_core + 1, by_core + 1 + count))
    with store.read() as session:
        stored = {m.id: m for m in session.scalars(select(OutboxMessage)).all()}
        raw = dict(
            session.connection()
            .exec_driver_sql("SELECT id, created_at || '|' || payload FROM outbox")
            .all()
        )
    for n, message_id in enumerate(ids):
        row = stored[message_id]
        assert (row.queue, row.payload) == (messages[n].queue, messages[n].payload)
        assert row.created_at == AT and row.next_attempt_at == AT and row.status == "pending"
    core_at = raw[by_core].split("|")[0]
    assert {raw[message_id].split("|")[0] for message_id in ids} == {core_at}


def test_claims_in_one_statement_take_each_key_once(store: Store) -> None:
    """A batch's deliveries are claimed together: a key already taken, or given twice in the
    batch, goes in once, and what went in is said."""
    from storage import deliveries

    with store.write() as session:
        assert deliveries.claim(session, key="k1", at=AT)
    with store.write() as session:
        taken = deliveries.claim_many(session, [("k1", AT), ("k2", AT), ("k3", AT), ("k2", AT)])
        assert not deliveries.claim(session, key="k3", at=AT)
    assert taken == {"k2", "k3"}
    with store.read() as session:
        keys = session.connection().exec_driver_sql("SELECT key FROM deliveries").all()
    assert sorted(key for (key,) in keys) == ["k1", "k2", "k3"]


def test_the_outbox_enqueue_runs_in_the_callers_transaction(store: Store) -> None:
    """A prepared write rolled back with its transaction leaves nothing behind."""
    with pytest.raises(RuntimeError), store.write() as session:
        outbox.enqueue(session, queue="q", op="message.post", payload=PAYLOAD, at=AT)
        raise RuntimeError("the flow fails after its write")
    with store.read() as session:
        assert session.scalars(select(OutboxMessage)).all() == []


def test_a_prepared_select_binds_its_limit(store: Store) -> None:
    """LIMIT travels as a parameter Core made up (positional on SQLite, named on PostgreSQL)."""
    with store.write() as session:
        for n in range(3):
            # One open incident per channel: the older ones are resolved.
            session.add(_incident(n, channel="C1", resolved=n < 2))
    latest = Prepared(
        select(Incident.id).where(Incident.channel_id == "C1").order_by(Incident.id.desc()).limit(1)
    )
    with store.read() as session:
        assert latest.rows(session, {}) == [(3,)]
        assert latest.scalar(session, {}) == 3


def test_results_that_need_conversion_are_refused(store: Store) -> None:
    """A datetime or JSON result comes back from SQLite as text: such a statement is refused
    when it is first run, never returned unconverted."""
    started = Prepared(select(Incident.started_at))
    with store.read() as session, pytest.raises(TypeError, match="conversion"):
        started.rows(session, {})


def test_a_refused_prepared_write_raises_the_stores_conflict(store: Store) -> None:
    """The driver's own error comes up as the store's (SQLAlchemy's) class, which the layers
    above catch: a timeline event for an incident that does not exist breaks its foreign key."""
    from storage import timeline
    from storage.errors import Conflict

    with pytest.raises(Conflict), store.write() as session:
        timeline._APPEND.rows(
            session,
            [
                {
                    "incident_id": 999,
                    "at": AT,
                    "actor": "U1",
                    "kind": "note",
                    "text": "고아",
                    "data": {},
                    "seq": 1,
                    "hash": "0" * 64,
                }
            ],
        )


def test_live_counts_count_only_the_incidents_own_rows(store: Store) -> None:
    """What the card loads is decided by one counting statement: finished runs only, alerts of
    this incident only."""
    from storage import incidents
    from storage.models import Alert, DiagnosisRun

    with store.write() as session:
        ids = []
        for n in range(2):
            incident = _incident(n, channel=f"C{n}")
            session.add(incident)
            session.flush()
            ids.append(incident.id)
            session.add(
                Alert(
                    source="uptimerobot",
                    delivery_id=f"d{n}",
                    key="ailex.app",
                    state="firing",
                    kind="down",
                    name="ailex.app",
                    scenario="outage",
                    severity="P1",
                    received_at=AT,
                    incident_id=incident.id,
                )
            )
        for finished in (AT, None):
            session.add(
                DiagnosisRun(
                    scenario="outage",
                    incident_id=ids[0],
                    requested_by="U1",
                    started_at=AT,
                    finished_at=finished,
                )
            )
    with store.read() as session:
        assert incidents.live_counts(session, incident_id=ids[0]) == (0, 1, 1)
        assert incidents.live_counts(session, incident_id=ids[1]) == (0, 0, 1)
        assert incidents.live_counts(session, incident_id=999) == (0, 0, 0)
        # The card's one read counts the same, beside the incident and its kinds of event.
        for n, incident_id in enumerate(ids):
            found = incidents.with_card(session, channel_id=f"C{n}")
            assert found is not None and found[0].id == incident_id
            assert found[2] == incidents.live_counts(session, incident_id=incident_id)


def test_the_cards_one_read_is_the_channels_incident_with_its_kinds(store: Store) -> None:
    """`with_card` chooses the incident `for_channel` chooses (the open one, else the one
    resolved last) and gives the kinds of event it had, each once, none of another's."""
    from storage import incidents, timeline

    with store.write() as session:
        ids = []
        for n, resolved in enumerate((True, False, True)):
            incident = _incident(n, channel="C1" if n < 2 else "C2", resolved=resolved)
            session.add(incident)
            session.flush()
            ids.append(incident.id)
        for incident_id, kinds in zip(
            ids,
            (["declared", "resolved"], ["declared", "note", "note", "status_changed"], []),
            strict=True,
        ):
            for kind in kinds:
                timeline.append(session, incident_id=incident_id, at=AT, actor="U1", kind=kind)
    with store.read() as session:
        open_one = incidents.with_card(session, channel_id="C1")
        by_id = incidents.with_card(session, incident_id=ids[0])
        quiet = incidents.with_card(session, channel_id="C2")
        chosen = incidents.for_channel(session, channel_id="C1")
        assert incidents.with_card(session, channel_id="C9") is None
        assert incidents.with_card(session, incident_id=999) is None
    assert open_one is not None and chosen is not None and open_one[0].id == chosen.id == ids[1]
    assert open_one[0].title == "장애 1" and open_one[0].started_at == AT
    assert open_one[1] == ["declared", "note", "status_changed"]
    assert by_id is not None and by_id[1] == ["declared", "resolved"]
    assert quiet is not None and quiet[0].id == ids[2] and quiet[1] == []
