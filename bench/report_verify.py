"""An incident of 10,000 events (SPEC 4): time to render its report (render_markdown) and to
verify its hash chain (SPEC 9), each against the 1 s bound. Prints the figures.

    python bench/report_verify.py [--events 10000] [--url sqlite:///...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evidence.chain import verify_incident  # noqa: E402
from bot.incidents.report import render_markdown  # noqa: E402
from bot.messages import Catalogue  # noqa: E402
from storage import Store, incidents, timeline  # noqa: E402

BOUND_S = 1.0


def fill(store: Store, events: int) -> int:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    with store.write() as session:
        incident = incidents.create(
            session,
            title="bench",
            severity="P1",
            status="investigating",
            commander_id="U1",
            declared_by="U1",
            origin_channel_id="C1",
            channel_id="C1",
            started_at=start,
        )
        for n in range(events):
            kind = ("note", "severity_changed", "status_changed")[n % 3]
            data = {"from": "P2", "to": "P1"} if kind == "severity_changed" else {}
            if kind == "status_changed":
                data = {"from": "investigating", "to": "identified"}
            timeline.append(
                session,
                incident_id=incident.id,
                at=start + timedelta(seconds=n),
                actor=f"U{n % 7}",
                kind=kind,
                text=f"메모 {n}" if kind == "note" else None,
                data=data,
            )
        return incident.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    store = Store(url)
    store.migrate()
    incident_id = fill(store, args.events)
    t = Catalogue("ko")

    began = time.perf_counter()
    with store.read() as session:
        incident = incidents.get(session, incident_id=incident_id)
        events = timeline.for_incident(session, incident_id=incident_id)
    assert incident is not None
    markdown = render_markdown(
        incident, events, t=t, zone=ZoneInfo("Asia/Seoul"), now=datetime.now(UTC)
    )
    render_s = time.perf_counter() - began

    began = time.perf_counter()
    with store.read() as session:
        verdict = verify_incident(session, incident_id=incident_id)
    verify_s = time.perf_counter() - began
    assert verdict is not None and verdict.ok, verdict
    store.dispose()

    print(f"{args.events:,} events ({store.dialect}); SPEC 4 bound {BOUND_S:.1f} s")
    print(f"report (read + render_markdown, {len(markdown):,} chars): {render_s:.3f} s")
    print(f"verify (read + recompute chain):             {verify_s:.3f} s")


if __name__ == "__main__":
    main()
