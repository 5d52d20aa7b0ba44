"""The store on SQLite and on PostgreSQL: the same code, the same guarantees."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from storage import Store, deliveries, incidents, outbox, timeline

T0 = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url):
    store = Store(store_url)
    store.migrate()
    yield store
    store.dispose()


def _incident(session, channel: str | None = "C1", **overrides):
    fields = dict(
        title="t",
        severity="P2",
        status="investigating",
        commander_id="U1",
        declared_by="U1",
        origin_channel_id="C0",
        channel_id=channel,
        started_at=T0,
    )
    fields.update(overrides)
    return incidents.create(session, **fields)


def test_migrations_create_tables_and_run_twice(store):
    store.migrate()
    tables = set(inspect(store.engine).get_table_names())
    assert {"incidents", "timeline_events", "deliveries", "outbox", "alembic_version"} <= tables


def test_times_come_back_as_utc_aware(store):
    kst = T0.astimezone(datetime.now().astimezone().tzinfo)
    with store.write() as session:
        incident_id = _incident(session, started_at=kst).id
    with store.read() as session:
        started = incidents.get(session, incident_id=incident_id).started_at
    assert started == T0 and started.tzinfo is not None


def test_timeline_keeps_order_actor_and_data(store):
    with store.write() as session:
        incident_id = _incident(session).id
        for n in range(5):
            timeline.append(
                session,
                incident_id=incident_id,
                at=T0 + timedelta(seconds=n // 2),
                actor=f"U{n}",
                kind="note",
                text=f"n{n}",
                data={"n": n, "한글": "값"},
            )
    with store.read() as session:
        events = timeline.for_incident(session, incident_id=incident_id)
    assert [e.text for e in events] == [f"n{n}" for n in range(5)]
    assert events[3].actor == "U3" and events[3].data == {"n": 3, "한글": "값"}


def test_one_open_incident_per_channel(store):
    with store.write() as session:
        _incident(session, channel="C9")
    with pytest.raises(IntegrityError), store.write() as session:
        _incident(session, channel="C9")
    # Once resolved, the channel may hold a new one; channel-less ones never collide.
    with store.write() as session:
        incidents.open_in_channel(session, channel_id="C9").resolved_at = T0
    with store.write() as session:
        _incident(session, channel="C9")
        _incident(session, channel=None)
        _incident(session, channel=None)


def test_for_channel_prefers_the_open_incident(store):
    with store.write() as session:
        old = _incident(session, channel="C5", resolved_at=T0)
        new = _incident(session, channel="C5")
    with store.read() as session:
        assert incidents.for_channel(session, channel_id="C5").id == new.id
    with store.write() as session:
        incidents.get(session, incident_id=new.id).resolved_at = T0 + timedelta(hours=1)
    with store.read() as session:
        assert incidents.for_channel(session, channel_id="C5").id == new.id
    assert old.id != new.id


def test_a_delivery_is_taken_once_even_under_concurrency(store):
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def take():
        barrier.wait()
        with store.write() as session:
            results.append(deliveries.claim(session, key="command:trig", at=T0))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    with store.write() as session:
        assert deliveries.prune(session, before=T0 + timedelta(days=2)) == 1


def test_outbox_sends_a_queue_in_order_and_holds_back_behind_a_failure(store):
    with store.write() as session:
        first = outbox.enqueue(session, queue="q1", op="a", payload={}, at=T0)
        outbox.enqueue(session, queue="q1", op="b", payload={}, at=T0)
        other = outbox.enqueue(session, queue="q2", op="c", payload={}, at=T0)
    with store.write() as session:
        heads = outbox.due_heads(session, now=T0)
        assert [h.id for h in heads] == [first, other]
        outbox.reschedule(session, message_id=first, error="x", next_at=T0 + timedelta(minutes=1))
    with store.read() as session:
        # q1's head is not due, so nothing of q1 goes; q2 is unaffected.
        assert [h.id for h in outbox.due_heads(session, now=T0)] == [other]
        assert [h.id for h in outbox.due_heads(session, now=T0 + timedelta(minutes=2))] == [
            first,
            other,
        ]


def test_outbox_lease_is_exclusive_across_replicas(store_url, store):
    other_replica = Store(store_url)
    try:
        with store.write() as session:
            message_id = outbox.enqueue(session, queue="q", op="a", payload={}, at=T0)
        wins: list[bool] = []
        barrier = threading.Barrier(6)

        def lease(target: Store):
            barrier.wait()
            with target.write() as session:
                wins.append(
                    outbox.lease(
                        session, message_id=message_id, now=T0, until=T0 + timedelta(minutes=1)
                    )
                )

        threads = [threading.Thread(target=lease, args=(s,)) for s in [store, other_replica] * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert wins.count(True) == 1
        # An expired lease (a sender that died) can be taken again.
        with other_replica.write() as session:
            assert outbox.lease(
                session,
                message_id=message_id,
                now=T0 + timedelta(minutes=2),
                until=T0 + timedelta(minutes=3),
            )
    finally:
        other_replica.dispose()


def test_concurrent_writers_never_hit_database_is_locked(store):
    with store.write() as session:
        incident_id = _incident(session).id
    errors: list[BaseException] = []

    def write(n: int):
        try:
            for i in range(50):
                with store.write() as session:
                    timeline.append(
                        session,
                        incident_id=incident_id,
                        at=T0,
                        actor=f"U{n}",
                        kind="note",
                        text=str(i),
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.read() as session:
        assert len(timeline.for_incident(session, incident_id=incident_id)) == 400


def test_outbox_and_approval_states_are_one_enum_each(store):
    from storage import approvals

    assert [s.value for s in outbox.State] == ["pending", "sent", "failed"]
    assert {s.value for s in approvals.State} == {
        "pending", "executing", "succeeded", "failed",
        "denied", "expired", "interrupted", "cancelled",
    }  # fmt: skip
    # The enum is the one name of a state: no module-level copies to drift from it.
    for name in ("PENDING", "SENT", "FAILED"):
        assert not hasattr(outbox, name)
    for state in approvals.State:
        assert not hasattr(approvals, state.name)
    with store.write() as session:
        sent = outbox.enqueue(session, queue="q", op="a", payload={}, at=T0)
        outbox.enqueue(session, queue="q", op="b", payload={}, at=T0)
        outbox.mark_sent(session, message_id=sent, at=T0, result=None)
    with store.read() as session:
        assert outbox.counts(session) == {outbox.State.SENT: 1, outbox.State.PENDING: 1}


def test_the_clock_reads_every_event_but_notes_and_the_latest_note(store):
    with store.write() as session:
        incident_id = _incident(session).id
        for n, kind in enumerate(["note", "status_changed", "note", "note", "diagnosis"]):
            timeline.append(
                session,
                incident_id=incident_id,
                at=T0 + timedelta(seconds=n),
                actor="U1",
                kind=kind,
                text=f"e{n}",
            )
    with store.read() as session:
        events = timeline.for_clock(session, incident_id=incident_id)
        kinds = timeline.kinds(session, incident_id=incident_id)
    assert [e.text for e in events] == ["e1", "e3", "e4"]
    assert sorted(kinds) == ["diagnosis", "note", "status_changed"]


def test_outbox_leases_a_run_of_a_queue_in_order_up_to_what_is_not_free(store):
    with store.write() as session:
        ids = [outbox.enqueue(session, queue="q", op="a", payload={}, at=T0) for _ in range(3)]
        later = outbox.enqueue(
            session, queue="q", op="a", payload={}, at=T0, not_before=T0 + timedelta(minutes=1)
        )
        outbox.enqueue(session, queue="q", op="a", payload={}, at=T0)
    with store.write() as session:
        run = outbox.due_run(session, now=T0, queue="q", limit=10)
        # The run stops at the message that is not due yet: it holds back the rest.
        assert [m.id for m in run] == ids
        # Another sender holds the second one: only what this one got comes back.
        assert outbox.lease(session, message_id=ids[1], now=T0, until=T0 + timedelta(minutes=1))
        taken = outbox.lease_many(session, message_ids=ids, now=T0, until=T0 + timedelta(1))
        assert taken == {ids[0], ids[2]}
        outbox.release(session, message_ids=[ids[2]])
        outbox.mark_sent_many(session, sent=[(ids[0], {"ts": "1"})], at=T0)
    with store.read() as session:
        # The head is now the leased second message: nothing of q is free to send.
        assert outbox.due_run(session, now=T0, queue="q", limit=10) == []
        assert outbox.due_heads(session, now=T0) == []
        waiting = outbox.pending_in(session, queue="q")
        assert [m.id for m in waiting][:3] == [ids[1], ids[2], later]
        assert waiting[1].lease_until is None and waiting[1].attempts == 0
