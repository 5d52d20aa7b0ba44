"""The store's failures, by the names the layers above catch them by (they know no SQLAlchemy)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

# The database answered with an error, or did not answer.
StoreError = DBAPIError
# The database went away, or never answered.
StoreUnavailable = OperationalError
# A constraint refused the write: the row (a delivery, a pending request) is already there.
Conflict = IntegrityError

__all__ = ["Conflict", "StoreError", "StoreUnavailable", "UnreadableTimeline"]


class UnreadableTimeline(Exception):
    """The chain migration met a stored event it cannot canonicalise (SPEC 9): the store is
    left as it was, and the event is named, for a person to look at; it is never skipped."""

    def __init__(self, *, incident_id: int, event_id: int, reason: str) -> None:
        super().__init__(
            f"timeline event {event_id} of incident {incident_id} cannot be chained: {reason}"
        )
        self.incident_id = incident_id
        self.event_id = event_id
        self.reason = reason
