"""The tamper-evident timeline (SPEC 9): recompute an incident's hash chain and name the
first event that was edited, deleted or inserted after it was recorded.

The definition (canonical bytes, hash) is storage's (storage/chain.py), because the one write
path and the migration compute it there; this module only checks. docs/timeline-hash.md says
the same for anyone to check without our code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from storage import Session, timeline
from storage.chain import GENESIS, CanonicalizationError, canonical, link

__all__ = [
    "GENESIS",
    "ChainEvent",
    "Fault",
    "Verdict",
    "canonical_bytes",
    "event_hash",
    "is_hash",
    "verify",
    "verify_incident",
]

_HASH = re.compile(r"^[0-9a-f]{64}$")


class ChainEvent(Protocol):
    """What verify reads of a stored event (storage.models.TimelineEvent is one)."""

    incident_id: int
    seq: int
    at: datetime
    actor: str
    kind: str
    text: str | None
    data: Any
    hash: str


class Fault(StrEnum):
    """Why the chain does not hold at its first bad event."""

    EDITED = "edited"  # its fields or its hash are not what was recorded
    DELETED = "deleted"  # events before it are missing (it is the next one present)
    INSERTED = "inserted"  # it was never appended (out of sequence, or past the recorded head)
    TRUNCATED = "truncated"  # the last events are missing: the recorded head has more
    HEAD_UNKNOWN = "head_unknown"  # the chain holds, but --head is no event's hash in it


@dataclass(frozen=True)
class Verdict:
    """`verify`'s answer: `events` counted, `head` the last event's hash (GENESIS: none),
    and when not ok, the first bad event's seq (None when no one event can be named) and why.
    `head_seq`: the seq of the event whose hash is the `expected_head` asked about."""

    ok: bool
    events: int
    head: str
    first_bad_event: int | None = None
    fault: Fault | None = None
    head_seq: int | None = None


def canonical_bytes(event: ChainEvent) -> bytes:
    """The RFC 8785 bytes the event's hash covers (SPEC 9)."""
    return canonical(
        incident_id=event.incident_id,
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        kind=event.kind,
        text=event.text,
        data=event.data,
    )


def event_hash(prev: str, event: ChainEvent) -> str:
    """hex SHA-256 of `prev || canonical_bytes(event)`."""
    return link(prev, canonical_bytes(event))


def is_hash(value: str) -> bool:
    """64 lowercase hex digits: the shape of every hash of the chain."""
    return bool(_HASH.match(value))


def verify(
    events: Iterable[ChainEvent],
    *,
    recorded: tuple[int, str] | None = None,
    expected_head: str | None = None,
) -> Verdict:
    """Recompute the chain of one incident's events, given in seq order.

    `recorded`: the head (seq, hash) the incident's row keeps, advanced by every append; it
    shows a cut tail or an event added at the end with a recomputed hash. `expected_head`: a
    head taken earlier (a posted report's): it must be the hash of one of the events.
    An event edited by hand fails its own hash; one deleted makes the next one present out of
    sequence; one inserted is out of sequence, or past the recorded head."""
    chain = list(events)
    total = len(chain)
    # The head as the store shows it (whether or not the chain holds).
    shown = str(chain[-1].hash) if chain else GENESIS
    prev = GENESIS
    count = 0
    head_seq: int | None = None
    for event in chain:
        count += 1
        expected = count
        if event.seq != expected:
            fault = Fault.DELETED if event.seq > expected else Fault.INSERTED
            return Verdict(False, total, shown, event.seq, fault)
        try:
            recomputed = event_hash(prev, event)
        except (CanonicalizationError, ValueError, TypeError, AttributeError):
            recomputed = None
        if recomputed is None or recomputed != event.hash:
            return Verdict(False, total, shown, event.seq, Fault.EDITED)
        prev = event.hash
        if expected_head is not None and event.hash == expected_head:
            head_seq = event.seq
    if recorded is not None:
        recorded_seq, recorded_hash = recorded
        if count > recorded_seq:
            return Verdict(False, count, prev, recorded_seq + 1, Fault.INSERTED)
        if count < recorded_seq:
            return Verdict(False, count, prev, count + 1, Fault.TRUNCATED)
        if prev != recorded_hash:
            # The last event was rewritten with a recomputed hash.
            return Verdict(False, count, prev, count or None, Fault.EDITED)
    if expected_head is not None and head_seq is None and expected_head != GENESIS:
        return Verdict(False, count, prev, None, Fault.HEAD_UNKNOWN)
    return Verdict(True, count, prev, head_seq=head_seq if expected_head is not None else None)


def verify_incident(
    session: Session, *, incident_id: int, expected_head: str | None = None
) -> Verdict | None:
    """Verify the stored chain of one incident against the head its row keeps; None when
    there is no such incident."""
    recorded = timeline.head(session, incident_id=incident_id)
    if recorded is None:
        return None
    events = timeline.for_incident(session, incident_id=incident_id)
    return verify(events, recorded=recorded, expected_head=expected_head)
