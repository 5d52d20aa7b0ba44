"""Connections to the product database for remediations, and keeping its password out of text."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.rows import TupleRow

from probes.base import BOT_APPLICATION_NAME, Msg, msg

CONNECT_TIMEOUT_S = 5.0
# Error text shown to people: one line, short enough for a Slack message.
ERROR_TEXT_LIMIT = 240

_URL_PASSWORD = re.compile(r"(?P<head>postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)
_KEYWORD_PASSWORD = re.compile(
    r"(?P<head>\b(?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S+)", re.IGNORECASE
)
_SECRET_KEYWORDS = ("password", "sslpassword")


def connect(
    dsn: str, *, timeout_s: float = CONNECT_TIMEOUT_S, autocommit: bool = True
) -> psycopg.Connection[TupleRow]:
    """Open a connection named as the bot (so the kill spares it), bounded by a connect timeout."""
    return psycopg.connect(
        dsn,
        autocommit=autocommit,
        # libpq takes whole seconds and treats anything under 2 as 2.
        connect_timeout=max(2, math.ceil(timeout_s)),
        # Overrides any application_name in the DSN: the bot must always recognise itself.
        application_name=BOT_APPLICATION_NAME,
        # Server-side prepared statements break behind a transaction pooler (Supavisor).
        prepare_threshold=None,
    )


def _params(dsn: str) -> dict[str, Any]:
    try:
        return psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return {}


def secrets_of(dsn: str) -> list[str]:
    """The secret values in a DSN (as written and percent-encoded), longest first."""
    found: set[str] = set()
    params = _params(dsn)
    for keyword in _SECRET_KEYWORDS:
        value = params.get(keyword)
        if value:
            found.update({str(value), quote(str(value), safe="")})
    match = _URL_PASSWORD.search(dsn)
    if match:
        raw = dsn[match.end("head") : match.end() - 1]
        if raw:
            found.add(raw)
    return sorted(found, key=len, reverse=True)


def redact(text: str, dsn: str) -> str:
    """The text with the DSN's password, and anything shaped like a password, replaced by ***."""
    for secret in secrets_of(dsn):
        text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(r"\g<head>***@", text)
    return _KEYWORD_PASSWORD.sub(r"\g<head>***", text)


def error_text(error: BaseException | str, dsn: str, *, limit: int = ERROR_TEXT_LIMIT) -> str:
    """One short line describing an error, with every secret of the DSN removed."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = redact(text, dsn)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(dsn: str) -> str:
    """Where a DSN points, as host:port/dbname, never with its password."""
    params = _params(dsn)
    if not params and dsn.strip():
        return "?"
    host = str(params.get("host") or params.get("hostaddr") or "localhost")
    port = params.get("port")
    dbname = params.get("dbname") or params.get("user") or "?"
    where = f"{host}:{port}" if port else host
    return redact(f"{where}/{dbname}", dsn)


def unreachable(error: BaseException, dsn: str) -> Msg:
    """The sentence for a database that could not be reached or refused us."""
    return msg("remediation.pg_unreachable", target=describe(dsn), error=error_text(error, dsn))


def failed(error: BaseException, dsn: str) -> Msg:
    """The sentence for a statement the database refused or could not finish."""
    return msg("remediation.pg_error", target=describe(dsn), error=error_text(error, dsn))


def scalar(conn: psycopg.Connection[Any], query: str, params: Any = None) -> Any:
    """The first column of the first row of a query, or None when it returns no row."""
    row = conn.execute(query, params).fetchone()
    return row[0] if row else None


def human_size(size: int) -> str:
    """A byte count as people read it: 1536 -> '1.5 kB', 7340032 -> '7.0 MB'."""
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("kB", "MB", "GB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
