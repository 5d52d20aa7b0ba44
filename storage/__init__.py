"""The bot's own store: SQLAlchemy models, queries and Alembic migrations.

It knows SQLAlchemy and nothing of the project above it; the layers above name a session by
`storage.Session` and the store's failures by `storage.errors`."""

from sqlalchemy.orm import Session

from storage.db import Store, Together

__all__ = ["Session", "Store", "Together"]
