"""The outbox process lets a rung queue fill for a moment before sending it: a burst recorded
meanwhile goes out in one run, merged where its operation merges, in order, none lost."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.slack.outbox import Sender
from storage import Store, outbox

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _sender(store: Store, gather: float, calls: list[list[str]]) -> Sender:
    sender = Sender(
        store=store, client=WebClient(base_url="http://127.0.0.1:9/"), clock=lambda: NOW,
        gather=gather,
    )  # fmt: skip

    def call(client: WebClient, payload: dict) -> dict:
        calls.append(payload["lines"])
        return {"ok": True}

    def merge(payloads: list[dict]) -> list[tuple[dict, int]]:
        return [({"lines": [line for p in payloads for line in p["lines"]]}, len(payloads))]

    sender.register("test.post", call, merge=merge)  # type: ignore[arg-type]
    return sender


def _record(store: Store, text: str) -> None:
    with store.write() as session:
        outbox.enqueue(session, queue="q", op="test.post", payload={"lines": [text]}, at=NOW)


def test_a_burst_rung_while_the_queue_gathers_goes_out_in_one_call(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ailex.db'}")
    store.migrate()
    calls: list[list[str]] = []
    # A window far longer than the three writes below take, even on a busy machine.
    sender = _sender(store, gather=2.0, calls=calls)
    _record(store, "첫째")
    sender.kick("q")  # its flush waits two seconds before it sends
    for text in ("둘째", "셋째", "넷째"):
        _record(store, text)
        sender.kick("q")
    done = threading.Event()
    for _ in range(400):
        if sender.idle():
            break
        done.wait(0.05)
    sender.stop()
    assert calls == [["첫째", "둘째", "셋째", "넷째"]]
    with store.read() as session:
        assert outbox.counts(session) == {"sent": 4}
    store.dispose()
