"""Group commit (SPEC 4): writes submitted together share one transaction and one commit, and
each still gets its own outcome, only after the commit that holds it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.errors import Duplicate, UserError
from bot.evidence.chain import verify_incident
from bot.incidents.flows import Actor, claim
from storage import Session, Store, Together, deliveries, incidents, timeline
from storage.errors import Conflict
from storage.models import Delivery, OutboxMessage, TimelineEvent
from tests.harness import ack, declare

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    return store


def _incident(store: Store) -> int:
    with store.write() as session:
        return incidents.create(
            session,
            title="batch",
            severity="P2",
            status="investigating",
            commander_id="U1",
            declared_by="U1",
            origin_channel_id="C1",
            channel_id="C1",
            started_at=NOW,
        ).id


def _note(incident_id: int, text: str, key: str | None = None):
    def unit(session: Session) -> int:
        if key is not None:
            claim(session, actor=Actor("U1", "C1", delivery_key=key), at=NOW)
        return timeline.append(
            session, incident_id=incident_id, at=NOW, actor="U1", kind="note", text=text
        )

    return unit


def _one_batch(
    store: Store, units: list, plain: bool = False, submit=None
) -> tuple[list[object], list[int]]:
    """Run `units` from threads of their own so that they all land in one batch: a first
    unit holds the batch in progress until the others wait for the next one. Returns each
    unit's outcome (its result or its exception) and the sizes of the batches committed.
    `submit(unit)` submits one (store.submit by default)."""
    if submit is None:

        def submit(unit):
            return store.submit(unit, plain=plain)

    sizes: list[int] = []
    store.before_commit = sizes.append
    gate, holding = threading.Event(), threading.Event()

    def holder(session: Session) -> None:
        holding.set()
        gate.wait(10)

    outcomes: list[object] = [None] * len(units)

    def run(index: int) -> None:
        try:
            outcomes[index] = submit(units[index])
        except Exception as exc:
            outcomes[index] = exc

    first = threading.Thread(target=store.submit, args=(holder,))
    first.start()
    assert holding.wait(10)
    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(units))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while store.waiting() < len(units) and time.monotonic() < deadline:
        time.sleep(0.01)
    gate.set()
    for thread in [first, *threads]:
        thread.join(10)
    store.before_commit = None
    return outcomes, sizes


def test_a_failing_write_in_a_batch_fails_alone(store_url: str) -> None:
    store = _store(store_url)
    incident_id = _incident(store)
    with store.write() as session:
        deliveries.claim(session, key="taken-before", at=NOW)

    def conflicting(session: Session) -> None:
        # A plain INSERT of a key that is there: the database refuses it (IntegrityError).
        session.add(Delivery(key="taken-before", received_at=NOW))
        session.flush()

    units = [_note(incident_id, f"ok {n}") for n in range(3)]
    units.insert(1, conflicting)
    outcomes, sizes = _one_batch(store, units)

    assert sizes[-1] == len(units), sizes  # all four shared one commit
    # ... which went through: the failing unit's savepoint took back only its own write,
    # with no fallback that reruns each unit alone.
    assert store.batches_rerun == 0
    assert isinstance(outcomes[1], Conflict)
    assert all(isinstance(outcomes[n], int) for n in (0, 2, 3)), outcomes
    with store.read() as session:
        texts = [e.text for e in timeline.for_incident(session, incident_id=incident_id)]
        assert sorted(texts) == ["ok 0", "ok 1", "ok 2"]
        assert verify_incident(session, incident_id=incident_id).ok
    store.dispose()


def test_a_plain_unit_that_fails_after_writing_takes_back_only_its_own(store_url: str) -> None:
    """Plain units (statements only, as a note's) have the database's own savepoints: one
    that fails after appending takes back its event and its delivery, the others commit with
    it in one transaction, and the chain stays whole."""
    store = _store(store_url)
    incident_id = _incident(store)

    def half_done(session: Session) -> None:
        _note(incident_id, "taken back", key="K-half")(session)
        raise RuntimeError("fails after its writes")

    units = [_note(incident_id, f"ok {n}", key=f"K{n}") for n in range(3)]
    units.insert(2, half_done)
    outcomes, sizes = _one_batch(store, units, plain=True)

    assert sizes[-1] == len(units), sizes
    assert store.batches_rerun == 0
    assert isinstance(outcomes[2], RuntimeError)
    assert all(isinstance(outcomes[n], int) for n in (0, 1, 3)), outcomes
    with store.read() as session:
        texts = [e.text for e in timeline.for_incident(session, incident_id=incident_id)]
        assert texts == ["ok 0", "ok 1", "ok 2"]
        assert verify_incident(session, incident_id=incident_id).ok
        keys = set(session.scalars(select(Delivery.key)).all())
        assert keys == {"K0", "K1", "K2"}  # K-half's claim went with its savepoint
    store.dispose()


def test_a_plain_unit_that_uses_the_orm_fails_alone(store_url: str) -> None:
    """A unit that says it is plain and still leaves ORM changes to flush is refused: its
    savepoint would not tell the Session what it took back."""
    store = _store(store_url)
    incident_id = _incident(store)

    def not_plain(session: Session) -> None:
        session.add(Delivery(key="K-orm", received_at=NOW))

    units = [_note(incident_id, "ok"), not_plain, _note(incident_id, "ok too")]
    outcomes, _ = _one_batch(store, units, plain=True)
    assert isinstance(outcomes[1], TypeError)
    assert isinstance(outcomes[0], int) and isinstance(outcomes[2], int)
    with store.read() as session:
        assert "K-orm" not in set(session.scalars(select(Delivery.key)).all())
        assert verify_incident(session, incident_id=incident_id).ok
    store.dispose()


def test_a_lone_write_that_fails_after_writing_leaves_nothing(store_url: str) -> None:
    """A batch of one runs without a savepoint: its failure must still take back what it wrote
    before failing (the whole transaction is rolled back), and the chain stays whole."""
    store = _store(store_url)
    incident_id = _incident(store)

    def half_done(session: Session) -> None:
        _note(incident_id, "written, then the unit fails", key="K-lone")(session)
        raise RuntimeError("the unit fails after its writes")

    sizes: list[int] = []
    store.before_commit = sizes.append
    with pytest.raises(RuntimeError):
        store.submit(half_done)
    # The same delivery is still free, and the next note chains onto the untouched head.
    assert isinstance(store.submit(_note(incident_id, "after", key="K-lone")), int)
    assert sizes == [1]  # the failed one never reached its commit
    with store.read() as session:
        events = timeline.for_incident(session, incident_id=incident_id)
        assert [e.text for e in events] == ["after"]
        assert verify_incident(session, incident_id=incident_id).ok
    store.dispose()


def test_the_same_delivery_twice_in_one_batch_is_stored_once(store_url: str) -> None:
    store = _store(store_url)
    incident_id = _incident(store)
    units = [_note(incident_id, "first", key="K1"), _note(incident_id, "again", key="K1")]
    units.append(_note(incident_id, "other", key="K2"))
    outcomes, sizes = _one_batch(store, units)

    assert sizes[-1] == 3, sizes
    assert store.batches_rerun == 0
    duplicates = [o for o in outcomes[:2] if isinstance(o, Duplicate)]
    assert len(duplicates) == 1, outcomes
    assert isinstance(outcomes[2], int)
    with store.read() as session:
        events = timeline.for_incident(session, incident_id=incident_id)
        assert len(events) == 2
        assert {e.text for e in events} - {"first", "again"} == {"other"}
        assert verify_incident(session, incident_id=incident_id).ok
    store.dispose()


def test_concurrent_notes_keep_one_valid_chain(store_url: str) -> None:
    store = _store(store_url)
    incident_id = _incident(store)
    sizes: list[int] = []
    store.before_commit = sizes.append
    with ThreadPoolExecutor(max_workers=16) as pool:
        ids = list(
            pool.map(lambda n: store.submit(_note(incident_id, f"n{n}", key=f"d{n}")), range(200))
        )
    assert len(set(ids)) == 200
    with store.read() as session:
        verdict = verify_incident(session, incident_id=incident_id)
        assert verdict is not None and verdict.ok and verdict.events == 200
        seqs = [e.seq for e in timeline.for_incident(session, incident_id=incident_id)]
        assert seqs == list(range(1, 201))
    assert sum(sizes) == 200
    assert max(sizes) > 1, sizes  # sixteen writers at once did share commits
    store.dispose()


_CRASHING_WRITER = textwrap.dedent(
    """
    import sys, threading, time
    from datetime import UTC, datetime
    sys.path.insert(0, sys.argv[3])
    from storage import Store, timeline, deliveries

    store = Store(sys.argv[1])
    incident_id = int(sys.argv[2])
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def note(text):
        def unit(session):
            deliveries.claim(session, key="key " + text, at=at)
            return timeline.append(
                session, incident_id=incident_id, at=at, actor="U1", kind="note", text=text
            )
        return unit

    for n in range(3):
        store.submit(note(f"acked {n}"))
        print(f"acked {n}", flush=True)

    def hold(size):
        # The second batch's units ran (their rows are written, not committed): stop here.
        print(f"holding {size}", flush=True)
        time.sleep(600)

    store.before_commit = hold
    threads = [threading.Thread(target=store.submit, args=(note(f"unacked {n}"),))
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("never", flush=True)
    """
)


def test_kill_9_mid_batch_loses_only_unacknowledged_writes(store_url: str, tmp_path) -> None:
    store = _store(store_url)
    incident_id = _incident(store)
    store.dispose()
    script = tmp_path / "writer.py"
    script.write_text(_CRASHING_WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), store_url, str(incident_id), str(ROOT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acked = []
    try:
        for line in writer.stdout:
            if line.startswith("acked"):
                acked.append(line.strip())
            if line.startswith("holding"):
                break
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(10)
    assert acked == ["acked 0", "acked 1", "acked 2"]

    store = Store(store_url)  # "after restart": a new process's view of the store
    with store.read() as session:
        texts = [e.text for e in timeline.for_incident(session, incident_id=incident_id)]
        keys = session.scalars(select(Delivery.key)).all()
        assert texts == acked  # every acknowledged write; nothing of the killed batch
        assert sorted(keys) == [f"key {text}" for text in acked]  # no half-written unit
        assert verify_incident(session, incident_id=incident_id).ok
    # The store takes writes again at once (no lock left behind by the killed writer).
    store.submit(_note(incident_id, "after"))
    with store.read() as session:
        assert verify_incident(session, incident_id=incident_id).events == 4
    store.dispose()


def test_many_concurrent_notes_over_http_are_each_stored_once(make_bot, store_url) -> None:
    bot = make_bot(store_url=store_url)
    channel = declare(bot)
    # Eight at a time: the test server's listen backlog is socketserver's (5 waiting).
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda n: ack(bot.command(f"note 동시 메모 {n}", channel=channel)), range(60))
        )
    assert all("타임라인에 기록했습니다" in answer for answer in answers), answers
    bot.settle()
    with bot.store.read() as session:
        incident_id = session.scalar(select(func.max(TimelineEvent.incident_id)))
        notes = session.scalars(
            select(TimelineEvent.text).where(TimelineEvent.kind == "note")
        ).all()
        assert sorted(notes) == sorted(f"동시 메모 {n}" for n in range(60))
        assert verify_incident(session, incident_id=incident_id).ok
    # Each posted once (a burst of notes may share a message: one line each).
    posted = [
        line
        for c in bot.slack.calls("chat.postMessage")
        for line in str(c.json().get("text")).splitlines()
        if "동시 메모" in line
    ]
    assert sorted(posted) == sorted(f"📝 <@U_ALICE>: 동시 메모 {n}" for n in range(60))


def test_appends_after_a_rolled_back_one_and_another_process_keep_one_chain(
    store_url: str,
) -> None:
    """An append moves the head with one compare-and-set when this process wrote it last;
    a head it did not see (a savepoint rolled back, another process appended) must send it
    the long way, reading the head under the row's lock: one valid chain either way."""
    store = _store(store_url)
    incident_id = _incident(store)
    with store.write() as session:
        _note(incident_id, "one")(session)
        _note(incident_id, "two")(session)
        try:
            with session.begin_nested():
                _note(incident_id, "taken back")(session)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        _note(incident_id, "three")(session)
    other = textwrap.dedent(
        f"""
        from datetime import UTC, datetime
        from storage import Store, timeline
        store = Store({store_url!r})
        with store.write() as session:
            timeline.append(session, incident_id={incident_id}, at=datetime.now(UTC),
                            actor="U2", kind="note", text="from elsewhere")
        store.dispose()
        """
    )
    subprocess.run([sys.executable, "-c", other], cwd=ROOT, check=True, timeout=60)
    with store.write() as session:
        _note(incident_id, "four")(session)
    with store.read() as session:
        events = timeline.for_incident(session, incident_id=incident_id)
        assert [e.text for e in events] == ["one", "two", "three", "from elsewhere", "four"]
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert verify_incident(session, incident_id=incident_id).ok
    store.dispose()


@pytest.mark.parametrize("hinted", [True, False])
def test_events_appended_together_chain_as_if_appended_one_by_one(
    store_url: str, hinted: bool
) -> None:
    """A batch's events of one incident move its chain once and go in one INSERT: seqs follow
    on, each links to the one before, and the head is the last; with this process's hint of
    the head (compare and set) or without it (another process appended last)."""
    store = _store(store_url)
    incident_id = _incident(store)
    with store.write() as session:
        timeline.append(session, incident_id=incident_id, at=NOW, actor="U1", kind="note", text="0")
    if not hinted:
        timeline._last_heads.pop(incident_id, None)
    events = [
        timeline.NewEvent(at=NOW, actor="U2", kind="note", text=f"메모 {n}", data={"n": n})
        for n in range(1, 4)
    ]
    with store.write() as session:
        ids = timeline.append_many(session, incident_id=incident_id, events=events)
    with store.read() as session:
        stored = timeline.for_incident(session, incident_id=incident_id)
        verdict = verify_incident(session, incident_id=incident_id)
        head = timeline.head(session, incident_id=incident_id)
    assert [event.seq for event in stored] == [1, 2, 3, 4]
    assert [event.id for event in stored[1:]] == ids
    assert [event.text for event in stored] == ["0", "메모 1", "메모 2", "메모 3"]
    assert verdict is not None and verdict.ok
    assert head == (4, stored[-1].hash)
    store.dispose()


def _noting(bot):
    """Submit a note as Incidents.note does, from (incident, text, key); an incident that is a
    str is a channel: the note goes to its incident, as `/ailex note` typed there does."""

    def submit(note):
        incident_id, text, key = note
        if isinstance(incident_id, str):
            actor = Actor("U_ALICE", incident_id, delivery_key=key)
            return bot.core.incidents.note(text=text, actor=actor)
        actor = Actor("U_ALICE", "C1", delivery_key=key)
        return bot.core.incidents.note(incident_id=incident_id, text=text, actor=actor)

    return submit


def test_notes_in_one_batch_find_their_channels_incidents_there(make_bot, store_url) -> None:
    """A batch's notes typed in channels find each channel's incident inside the batch's
    write; one typed where there is no incident fails alone, claiming nothing."""
    bot = make_bot(store_url=store_url)
    first, second = declare(bot), declare(bot, text="incident start P2 두 번째 장애")
    notes = [(first, "첫째", "M1"), ("C_NOWHERE", "어디에도", "M2"), (second, "둘째", "M3")]
    notes.append((first, "첫째 다시", "M4"))
    outcomes, sizes = _one_batch(bot.store, notes, submit=_noting(bot))

    assert sizes[-1] == 4, sizes
    assert bot.store.batches_rerun == 0
    assert outcomes[0] == outcomes[3] == 1 and outcomes[2] == 2, outcomes
    assert isinstance(outcomes[1], UserError) and outcomes[1].args == (
        "error.not_incident_channel",
    )
    with bot.store.read() as session:
        by_incident = {
            n: [e.text for e in timeline.for_incident(session, incident_id=n) if e.kind == "note"]
            for n in (1, 2)
        }
        keys = session.scalars(select(Delivery.key).where(Delivery.key.like("M%"))).all()
        assert verify_incident(session, incident_id=1).ok
        assert verify_incident(session, incident_id=2).ok
    assert by_incident == {1: ["첫째", "첫째 다시"], 2: ["둘째"]}
    assert sorted(keys) == ["M1", "M3", "M4"]


def test_notes_in_one_batch_are_written_together_each_with_its_own_outcome(
    make_bot, store_url
) -> None:
    """A batch's notes share one commit and one statement per table: each is stored once, in
    one valid chain, each owes its channel its message in order; the same delivery twice in
    the batch is stored once and the other is its Duplicate, failing alone."""
    bot = make_bot(store_url=store_url)
    declare(bot)
    incident_id = 1
    notes = [(incident_id, f"함께 {n}", f"K{n}") for n in range(5)]
    notes.insert(2, (incident_id, "다시", "K0"))
    outcomes, sizes = _one_batch(bot.store, notes, submit=_noting(bot))

    assert sizes[-1] == len(notes), sizes
    assert bot.store.batches_rerun == 0
    duplicates = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, Duplicate)]
    assert len(duplicates) == 1 and duplicates[0] in (0, 2), outcomes
    assert [o for n, o in enumerate(outcomes) if n not in duplicates] == [incident_id] * 5
    with bot.store.read() as session:
        events = [e for e in timeline.for_incident(session, incident_id=incident_id)]
        verdict = verify_incident(session, incident_id=incident_id)
        posts = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.op == "message.post")
            .order_by(OutboxMessage.id)
        ).all()
    texts = [e.text for e in events if e.kind == "note"]
    assert sorted(texts) == sorted(
        ["함께 0" if 2 in duplicates else "다시"] + [f"함께 {n}" for n in range(1, 5)]
    )
    assert verdict is not None and verdict.ok
    # Each stored note owes one message, in the order the notes went into the chain.
    said = [p["params"]["text"] for p in posts if p.get("key") == "notice.note"]
    assert said == texts


def test_a_kind_of_write_runs_once_for_all_of_a_batchs_items(store_url: str) -> None:
    """A Together kind runs once with every item of its kind in the batch, in the batch's
    order, beside the batch's other units; each item gets its own outcome."""
    store = _store(store_url)
    incident_id = _incident(store)
    calls: list[list[str]] = []

    def run(session: Session, items: list[str]) -> list[object]:
        calls.append(list(items))
        return [ValueError(item) if item == "bad" else item.upper() for item in items]

    kind = Together(run)
    units = ["a", "bad", _note(incident_id, "other"), "c"]
    outcomes, sizes = _one_batch(
        store,
        units,
        submit=lambda u: store.submit_together(kind, u) if isinstance(u, str) else store.submit(u),
    )
    assert sizes[-1] == 4, sizes
    assert len(calls) == 1 and sorted(calls[0]) == ["a", "bad", "c"], calls
    assert outcomes[0] == "A" and outcomes[3] == "C" and isinstance(outcomes[2], int)
    assert isinstance(outcomes[1], ValueError)
    # Alone, it is a batch of one: run with that item only.
    assert store.submit_together(kind, "d") == "D" and calls[-1] == ["d"]
    with pytest.raises(ValueError):
        store.submit_together(kind, "bad")
    store.dispose()


def test_notes_whose_writing_together_fails_are_each_written_alone(
    make_bot, store_url, caplog
) -> None:
    """When writing a batch's notes together fails as a whole (one note's incident is gone),
    nothing of it stays: each note is then written alone, and only the one that cannot be
    fails."""
    bot = make_bot(store_url=store_url)
    declare(bot)
    notes = [(1, "하나", "L1"), (999, "없는 장애", "L2"), (1, "둘", "L3")]
    outcomes, sizes = _one_batch(bot.store, notes, submit=_noting(bot))
    assert "writing 3 together failed" in caplog.text

    assert sizes[-1] == 3, sizes
    assert outcomes[0] == outcomes[2] == 1, outcomes
    assert isinstance(outcomes[1], LookupError), outcomes
    with bot.store.read() as session:
        texts = [e.text for e in timeline.for_incident(session, incident_id=1) if e.kind == "note"]
        keys = session.scalars(select(Delivery.key).where(Delivery.key.like("L%"))).all()
        assert verify_incident(session, incident_id=1).ok
    assert sorted(texts) == ["둘", "하나"]
    # The failed note's delivery went back with it: Slack's retry of it may still be taken.
    assert sorted(keys) == ["L1", "L3"]
