"""The store's failures, by the names the layers above catch them by (they know no SQLAlchemy)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

# The database answered with an error, or did not answer.
StoreError = DBAPIError
# The database went away, or never answered.
StoreUnavailable = OperationalError
# A constraint refused the write: the row (a delivery, a pending request) is already there.
Conflict = IntegrityError

__all__ = ["Conflict", "StoreError", "StoreUnavailable"]
