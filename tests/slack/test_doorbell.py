"""The doorbell: request threads ring the outbox process, all at once, and never wait."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from bot.slack.doorbell import MAX_NAME, Doorbell


def _heard(path: str) -> tuple[list[str], threading.Event, threading.Thread]:
    heard: list[str] = []
    stop = threading.Event()
    return heard, stop, Doorbell(path).listen(heard.append, stop)


def test_a_ring_reaches_the_listener(tmp_path: Path) -> None:
    path = str(tmp_path / "bell.sock")
    heard, stop, listener = _heard(path)
    Doorbell(path).ring("incident:7")
    for _ in range(200):
        if heard:
            break
        stop.wait(0.01)
    stop.set()
    listener.join(2)
    assert heard == ["incident:7"]


def test_threads_ringing_a_full_bell_at_once_never_wait_nor_fail(tmp_path: Path) -> None:
    # A listener that reads nothing: its queue fills after a few datagrams, and every ring
    # after that is dropped (the outbox polls too), not waited on.
    path = str(tmp_path / "deaf.sock")
    deaf = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    deaf.bind(path)
    bell = Doorbell(path)
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def ring() -> None:
        start.wait()
        try:
            for k in range(200):
                bell.ring(f"incident:{k}")
        except BaseException as exc:  # pragma: no cover - what the test looks for
            failures.append(exc)

    threads = [threading.Thread(target=ring) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    deaf.close()
    assert not any(thread.is_alive() for thread in threads), "a ring blocked"
    assert failures == []


def test_a_ring_nobody_listens_to_is_dropped_quietly(tmp_path: Path) -> None:
    bell = Doorbell(str(tmp_path / "nobody.sock"))
    bell.ring("incident:1")
    bell.ring("x" * (MAX_NAME * 10))
