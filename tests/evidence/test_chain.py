"""The tamper-evident timeline (SPEC 9, `ailex verify` in 3.1): every event chained, and an
event edited, deleted or inserted by plain SQL named by its seq, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.cli import main
from bot.evidence.chain import GENESIS, event_hash, verify
from storage import timeline
from storage.chain import canonical, link
from tests.harness import ack, declare, flat

ROOT = Path(__file__).resolve().parents[2]


def _events(bot, incident_id: int = 1):
    with bot.store.read() as session:
        return list(timeline.for_incident(session, incident_id=incident_id))


def _verify(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("AILEX_DATABASE_URL", url)
    capsys.readouterr()
    code = main(["verify", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _sql(bot, statement: str, **params) -> None:
    with bot.store.engine.begin() as connection:
        connection.execute(text(statement), params)


def _incident_with_notes(make_bot, store_url, notes: int = 4):
    bot = make_bot(store_url=store_url)
    channel = declare(bot)
    for n in range(notes):
        ack(bot.command(f"note 확인 {n}", channel=channel))
    bot.settle()
    return bot, channel


def test_every_event_is_chained_and_verify_says_ok(make_bot, store_url, monkeypatch, capsys):
    bot, _ = _incident_with_notes(make_bot, store_url)
    events = _events(bot)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    prev = GENESIS
    for event in events:  # the definition, recomputed here from SPEC 9's words
        body = canonical(
            incident_id=1,
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            kind=event.kind,
            text=event.text,
            data=event.data,
        )
        assert body.startswith(b'{"actor":')  # JCS: keys sorted
        assert link(prev, body) == event.hash == event_hash(prev, event)
        prev = event.hash

    code, out, _ = _verify(monkeypatch, capsys, store_url, "1")
    assert code == 0
    assert out.startswith("OK") and str(len(events)) in out and prev in out
    code, out, _ = _verify(monkeypatch, capsys, store_url, "1", "--json")
    assert code == 0
    assert json.loads(out) == {
        "incident": 1,
        "ok": True,
        "events": len(events),
        "head": prev,
        "first_bad_event": None,
    }


def _bad(monkeypatch, capsys, url: str) -> tuple[int, dict, str]:
    code, out, _ = _verify(monkeypatch, capsys, url, "1", "--json")
    plain_code, plain, _ = _verify(monkeypatch, capsys, url, "1")
    assert plain_code == code
    return code, json.loads(out), plain


def test_an_edited_event_is_named_by_its_seq(make_bot, store_url, monkeypatch, capsys):
    bot, _ = _incident_with_notes(make_bot, store_url)
    _sql(bot, "UPDATE timeline_events SET text = 'nothing happened' WHERE seq = 3")
    code, answer, plain = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["ok"], answer["first_bad_event"]) == (1, False, 3)
    assert "3번째 이벤트가 기록 후 수정" in plain


def test_an_edited_time_is_named_too(make_bot, store_url, monkeypatch, capsys):
    bot, _ = _incident_with_notes(make_bot, store_url)
    # A microsecond later is enough.
    stored = _events(bot)[1].at
    _sql(
        bot,
        "UPDATE timeline_events SET at = :at WHERE seq = 2",
        at=stored.replace(microsecond=(stored.microsecond + 1) % 1_000_000).replace(tzinfo=None)
        if bot.store.dialect == "sqlite"
        else stored.replace(microsecond=(stored.microsecond + 1) % 1_000_000),
    )
    code, answer, _ = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["first_bad_event"]) == (1, 2)


def test_a_deleted_event_names_the_next_one_present(make_bot, store_url, monkeypatch, capsys):
    bot, _ = _incident_with_notes(make_bot, store_url)
    count = len(_events(bot))
    _sql(bot, "DELETE FROM timeline_events WHERE seq = 2")
    code, answer, plain = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["first_bad_event"], answer["events"]) == (1, 3, count - 1)
    assert "3번째 이벤트 앞의 이벤트가 삭제" in plain

    # The last ones deleted: the first seq missing (the incident's row keeps the head).
    _sql(bot, "DELETE FROM timeline_events WHERE seq >= :from_seq", from_seq=count - 1)
    _sql(bot, "DELETE FROM timeline_events WHERE seq >= 2")
    code, answer, plain = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["first_bad_event"]) == (1, 2)
    assert "2번째 이벤트부터 끝까지 삭제" in plain


def _forge(bot, *, seq: int, prev: str, at) -> None:
    """An event added by hand, with a hash computed by the book."""
    body = canonical(
        incident_id=1, seq=seq, at=at, actor="U_MALLORY", kind="note", text="forged", data={}
    )
    _sql(
        bot,
        "INSERT INTO timeline_events (incident_id, at, actor, kind, text, data, seq, hash)"
        " VALUES (1, :at, 'U_MALLORY', 'note', 'forged', '{}', :seq, :hash)",
        at=at.replace(tzinfo=None) if bot.store.dialect == "sqlite" else at,
        seq=seq,
        hash=link(prev, body),
    )


def test_an_inserted_event_is_named(make_bot, store_url, monkeypatch, capsys):
    bot, _ = _incident_with_notes(make_bot, store_url)
    events = _events(bot)
    # At the end, with a hash that is right by the definition: past the row's head.
    _forge(bot, seq=len(events) + 1, prev=events[-1].hash, at=events[-1].at)
    code, answer, plain = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["first_bad_event"]) == (1, len(events) + 1)
    assert "끼워 넣어졌습니다" in plain
    # Before the first, out of sequence.
    _sql(bot, "DELETE FROM timeline_events WHERE actor = 'U_MALLORY'")
    _forge(bot, seq=0, prev=GENESIS, at=events[0].at)
    code, answer, _ = _bad(monkeypatch, capsys, store_url)
    assert (code, answer["first_bad_event"]) == (1, 0)


def test_a_recomputed_rewrite_still_shows_against_the_posted_head(
    make_bot, store_url, monkeypatch, capsys
):
    bot, channel = _incident_with_notes(make_bot, store_url, notes=2)
    ack(bot.command("resolve 배포 오류", channel=channel))
    bot.settle()
    (posted,) = [
        m for m in bot.slack.posts(channel) if "타임라인 해시" in flat(m.get("blocks") or [])
    ]
    posted_head = re.search(r"타임라인 해시: `([0-9a-f]{64})` \((\d+)건\)", flat(posted["blocks"]))
    assert posted_head is not None
    head, count = posted_head.group(1), int(posted_head.group(2))
    events = _events(bot)
    assert events[count - 1].hash == head  # the head at drafting (report_posted came after)
    markdown = bot.slack.shared_files()[-1]["content"]
    # The file is drafted after the message was posted (and recorded): its own head.
    in_file = re.search(r"^- 타임라인 해시: ([0-9a-f]{64}) \((\d+)건\)$", markdown, flags=re.M)
    assert in_file is not None
    assert events[int(in_file.group(2)) - 1].hash == in_file.group(1)

    code, out, _ = _verify(monkeypatch, capsys, store_url, "1", "--head", head)
    assert code == 0 and f"{count}번째 이벤트의 해시" in out

    # Edit the second event and recompute every hash after it, and the row's head.
    _sql(bot, "UPDATE timeline_events SET text = 'rewritten' WHERE seq = 2")
    rewritten = _events(bot)
    prev = GENESIS
    for event in rewritten:
        digest = event_hash(prev, event)
        _sql(bot, "UPDATE timeline_events SET hash = :h WHERE id = :i", h=digest, i=event.id)
        prev = digest
    _sql(bot, "UPDATE incidents SET chain_head = :h WHERE id = 1", h=prev)
    code, out, _ = _verify(monkeypatch, capsys, store_url, "1")
    assert code == 0  # the store alone cannot tell
    code, out, _ = _verify(monkeypatch, capsys, store_url, "1", "--head", head)
    assert code == 1 and "해시" in out and head in out
    code, out, _ = _verify(monkeypatch, capsys, store_url, "1", "--head", head, "--json")
    assert json.loads(out)["ok"] is False and json.loads(out)["first_bad_event"] is None


def test_head_of_an_earlier_moment_is_found(make_bot, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'chain.db'}"
    bot, channel = _incident_with_notes(make_bot, url, notes=1)
    earlier = _events(bot)
    ack(bot.command("note 나중 메모", channel=channel))
    bot.settle()
    code, out, _ = _verify(monkeypatch, capsys, url, "1", "--head", earlier[-1].hash.upper())
    assert code == 0 and f"{len(earlier)}번째 이벤트의 해시" in out
    monkeypatch.setenv("AILEX_LOCALE", "en")
    code, out, _ = _verify(monkeypatch, capsys, url, "1", "--head", earlier[-1].hash)
    assert code == 0 and out.startswith("OK") and f"hash of event {len(earlier)}" in out


def test_bad_input(make_bot, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'chain.db'}"
    _incident_with_notes(make_bot, url, notes=0)
    code, out, err = _verify(monkeypatch, capsys, url, "99")
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "#99" in err
    code, out, err = _verify(monkeypatch, capsys, url, "1", "--head", "abc")
    assert code == 2 and "--head" in err and "abc" in err
    monkeypatch.setenv("AILEX_LOCALE", "en")
    code, _, err = _verify(monkeypatch, capsys, url, "99", "--json")
    assert code == 2 and err.strip() == "There is no incident #99."
    with pytest.raises(SystemExit) as exited:
        main(["verify", "one"])
    assert exited.value.code == 2


def test_data_json_cannot_carry_is_stored_and_hashed_the_same(make_bot, store_url):
    from bot.incidents.flows import record
    from bot.incidents.vocabulary import EventKind

    bot, _ = _incident_with_notes(make_bot, store_url, notes=0)
    data = {"big": 2**60, "nan": float("nan"), "inf": float("-inf"), "huge": 1e300, 7: (1, 2)}
    with bot.store.write() as session:
        record(
            session,
            incident_id=1,
            kind=EventKind.NOTE,
            actor="U_ALICE",
            at=bot.core.clock(),
            text="edge",
            data=data,
        )
    stored = _events(bot)[-1]
    assert stored.data == {
        "big": str(2**60),
        "nan": "nan",
        "inf": "-inf",
        "huge": "1e+300",
        "7": [1, 2],
    }
    with bot.store.read() as session:
        recorded = timeline.head(session, incident_id=1)
    assert verify(_events(bot), recorded=recorded).ok


def test_two_bots_appending_to_one_incident_leave_one_chain(make_bot, pg_store_url):
    first = make_bot(store_url=pg_store_url)
    second = make_bot(store_url=pg_store_url)
    channel = declare(first)
    errors: list[BaseException] = []

    def hammer(bot, name: str) -> None:
        try:
            for n in range(15):
                ack(bot.command(f"note {name} {n}", channel=channel))
        except BaseException as exc:  # reported below, never hidden
            errors.append(exc)

    threads = [
        threading.Thread(target=hammer, args=(bot, f"{i}"))
        for i in range(3)
        for bot in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first.settle()
    second.settle()
    assert errors == []
    events = _events(first)
    assert len([e for e in events if e.kind == "note"]) == 90
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    with first.store.read() as session:
        recorded = timeline.head(session, incident_id=1)
    verdict = verify(events, recorded=recorded)
    assert verdict.ok and verdict.events == len(events)


def test_two_stores_appending_in_open_transactions_take_turns(pg_store_url):
    """The row lock, directly: a second writer waits for the first one's commit, then chains
    to its event (no fork, no unique-index failure)."""
    from datetime import UTC, datetime

    from storage import Store, incidents

    one, two = Store(pg_store_url), Store(pg_store_url)
    one.migrate()
    try:
        with one.write() as session:
            incident_id = incidents.create(
                session,
                title="t",
                severity="P2",
                status="investigating",
                commander_id="U1",
                declared_by="U1",
                origin_channel_id="C1",
                channel_id="C1",
                started_at=datetime.now(UTC),
            ).id
        entered, done = threading.Event(), threading.Event()

        def second_writer() -> None:
            entered.wait()
            with two.write() as session:
                timeline.append(
                    session, incident_id=incident_id, at=datetime.now(UTC), actor="U2", kind="note"
                )
            done.set()

        thread = threading.Thread(target=second_writer)
        thread.start()
        with one.write() as session:
            timeline.append(
                session, incident_id=incident_id, at=datetime.now(UTC), actor="U1", kind="note"
            )
            entered.set()
            assert not done.wait(0.3)  # held back by the row lock until this commits
        thread.join()
        with one.read() as session:
            events = list(timeline.for_incident(session, incident_id=incident_id))
            recorded = timeline.head(session, incident_id=incident_id)
        assert [(e.seq, e.actor) for e in events] == [(1, "U1"), (2, "U2")]
        assert verify(events, recorded=recorded).ok
    finally:
        one.dispose()
        two.dispose()


def test_the_documented_verifier_agrees_with_ailex_verify(make_bot, tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'chain.db'}"
    bot, _ = _incident_with_notes(make_bot, url)
    doc = (ROOT / "docs" / "timeline-hash.md").read_text(encoding="utf-8")
    (snippet,) = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len([line for line in snippet.splitlines() if line.strip()]) <= 20  # about ten
    script = tmp_path / "verify.py"
    script.write_text(snippet, encoding="utf-8")
    db = str(tmp_path / "chain.db")
    ran = subprocess.run(
        [sys.executable, str(script), db, "1"], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    _, out, _ = _verify(monkeypatch, capsys, url, "1", "--json")
    answer = json.loads(out)
    assert ran.stdout.split() == ["OK", str(answer["events"]), answer["head"]]

    _sql(bot, "UPDATE timeline_events SET text = 'x' WHERE seq = 2")
    ran = subprocess.run(
        [sys.executable, str(script), db, "1"], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 1 and "first bad event: 2" in ran.stderr
