"""The store's address: checked, shown without its password, its password for redaction.

Only `storage/` knows SQLAlchemy; the settings and the edges ask here."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError


def url_problem(url: str) -> Literal["unparseable", "dialect"] | None:
    """What is wrong with a database URL: None when the store can speak it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "unparseable"
    try:
        parsed.get_dialect()  # `foo://x` parses, but no store speaks it
    except (NoSuchModuleError, ImportError):
        return "dialect"
    return None


def shown_url(url: str) -> str:
    """The address as it may be shown: without its password ("-" when it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "-"


def url_password(url: str) -> str | None:
    """The password in a database URL, if any (a secret to redact)."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None
