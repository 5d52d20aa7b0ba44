"""The bot's own store: SQLAlchemy models, queries and Alembic migrations.

It knows SQLAlchemy and nothing of the project above it."""

from storage.db import Store

__all__ = ["Store"]
