"""Timeline appends on SQLite (SPEC 4): 2,000 a second from 8 concurrent writers, and never
"database is locked".

Each append is its own transaction (as a note is), through the bot's Store. Writers are
threads of one process (one bot) or separate processes (workers and the outbox process of
`ailex serve`, or several bots on one file). Prints appends per second and errors.

    python bench/timeline_store.py [--writers 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import Store, incidents, timeline  # noqa: E402


def prepare(url: str) -> int:
    store = Store(url)
    store.migrate()
    with store.write() as session:
        incident = incidents.create(
            session,
            title="bench",
            severity="P2",
            status="investigating",
            commander_id="U1",
            declared_by="U1",
            origin_channel_id="C1",
            channel_id="C1",
            started_at=datetime.now(UTC),
        )
        incident_id = incident.id
    store.dispose()
    return incident_id


def append_for(url: str, incident_id: int, seconds: float, results: list, name: str) -> None:
    store = Store(url)
    count = errors = 0
    locked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with store.write() as session:
                timeline.append(
                    session,
                    incident_id=incident_id,
                    at=datetime.now(UTC),
                    actor="U1",
                    kind="note",
                    text=f"{name} {count}",
                )
            count += 1
        except Exception as exc:  # counted and reported, never hidden
            errors += 1
            locked += "database is locked" in str(exc)
    store.dispose()
    results.append((count, errors, locked))


def _process(url: str, incident_id: int, seconds: float, queue: multiprocessing.Queue) -> None:
    results: list = []
    append_for(url, incident_id, seconds, results, "process")
    queue.put(results[0])


def run_threads(url: str, incident_id: int, writers: int, seconds: float):
    results: list = []
    threads = [
        threading.Thread(target=append_for, args=(url, incident_id, seconds, results, f"t{n}"))
        for n in range(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def run_processes(url: str, incident_id: int, writers: int, seconds: float):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [
        context.Process(target=_process, args=(url, incident_id, seconds, queue))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(
        f"{args.writers} writers for {args.seconds:g}s each, "
        "one transaction per append (SQLite, WAL)"
    )
    print(f"{'writers as':12} {'appends/s':>10} {'errors':>7} {'locked':>7}")
    for label, runner in (("threads", run_threads), ("processes", run_processes)):
        with tempfile.TemporaryDirectory() as work:
            url = f"sqlite:///{work}/timeline.db"
            incident_id = prepare(url)
            results = runner(url, incident_id, args.writers, args.seconds)
            total = sum(r[0] for r in results)
            errors = sum(r[1] for r in results)
            locked = sum(r[2] for r in results)
            store = Store(url)
            with store.read() as session:
                stored = len(timeline.for_incident(session, incident_id=incident_id))
            store.dispose()
            assert stored == total, f"{stored} stored, {total} counted"
            print(f"{label:12} {total / args.seconds:10.0f} {errors:7d} {locked:7d}")


if __name__ == "__main__":
    main()
