"""PostgreSQL for probes: one bounded, read-only, labelled connection and its failures told apart.

`connect()` is the only way a probe reaches the product database: it names itself
BOT_APPLICATION_NAME (so the idle-connection kill spares it), runs everything in one READ ONLY
transaction with a statement_timeout (SET LOCAL, which a transaction pooler such as Supavisor
keeps to this transaction), and bounds connect and queries by one deadline. Every failure
arrives as a DbFailure whose kind picks its sentence: auth, refused, DNS, timeout, TLS...
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict

from probes.base import BOT_APPLICATION_NAME, CheckStatus, Finding, ProbeFailure, msg
from probes.text import scrub, short_number

_FAILURE_KEYS = {
    "auth": "check.db.auth",  # {target}
    "no_database": "check.db.no_database",  # {target}
    "refused": "check.db.refused",  # {target}
    "dns": "check.db.dns",  # {target}
    "timeout": "check.db.timeout",  # {target} {seconds}
    "tls": "check.db.tls",  # {target}
    "connect": "check.db.connect",  # {target}
    "bad_dsn": "check.db.bad_dsn",  # {target}
    "query_timeout": "check.db.query_timeout",  # {target} {seconds}
    "query": "check.db.query",  # {target} {sqlstate}
}

# libpq and poolers report connection failures only as text; the order matters.
_CONNECT_PATTERNS = (
    ("no_database", re.compile(r'database ".*" does not exist', re.I)),
    (
        "auth",
        re.compile(
            r"password authentication failed|role \".*\" does not exist|no pg_hba\.conf entry"
            r"|authentication failed|tenant or user not found|password must be|sasl",
            re.I,
        ),
    ),
    (
        "dns",
        re.compile(r"resolve host|translate host name|name or service not known|nodename", re.I),
    ),
    ("refused", re.compile(r"connection refused", re.I)),
    ("timeout", re.compile(r"timeout expired|timed out", re.I)),
    ("tls", re.compile(r"ssl|certificate|tls", re.I)),
)


class DbFailure(ProbeFailure):
    """The database could not be reached or queried; `kind` picks the sentence."""

    def __init__(self, kind: str, target: str, *, detail: str = "", **params: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.target = target
        self.detail = detail
        self.params = params

    def finding(self, status: CheckStatus = CheckStatus.ERROR, **data: Any) -> Finding:
        return Finding(
            status=status,
            summary=msg(_FAILURE_KEYS[self.kind], target=self.target, **self.params),
            data={"error": self.kind, "detail": self.detail, "target": self.target, **data},
        )


def normalise_dsn(dsn: str) -> str:
    """A libpq DSN; SQLAlchemy's 'postgresql+psycopg://' spelling is accepted too."""
    return re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", dsn.strip())


def describe_dsn(dsn: str) -> dict[str, str]:
    """Host, port, database and user of a DSN: never its password."""
    try:
        params = conninfo_to_dict(normalise_dsn(dsn))
    except psycopg.Error:
        return {}
    return {key: str(params[key]) for key in ("host", "port", "dbname", "user") if params.get(key)}


def target_of(dsn: str) -> str:
    """'host:port/dbname' for sentences."""
    facts = describe_dsn(dsn)
    if not facts:
        return "?"
    host = facts.get("host", "localhost")
    port = facts.get("port", "5432")
    return f"{host}:{port}/{facts.get('dbname', facts.get('user', ''))}"


@asynccontextmanager
async def connect(dsn: str, *, timeout: float) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """A read-only connection whose connect and queries all end within `timeout` seconds.

    Raises DbFailure for any failure to connect, for a statement timeout and for any other
    database error the body lets through.
    """
    target = target_of(dsn)
    seconds = short_number(timeout)
    phase = "connect"
    try:
        async with asyncio.timeout(timeout):
            conn = await psycopg.AsyncConnection.connect(
                normalise_dsn(dsn),
                # libpq takes whole seconds, at least 2; the asyncio deadline is the real bound.
                connect_timeout=max(2, math.ceil(timeout)),
                application_name=BOT_APPLICATION_NAME,
                # Transaction poolers (Supavisor, PgBouncer) cannot keep prepared statements.
                prepare_threshold=None,
            )
            async with conn:
                phase = "query"
                await conn.set_read_only(True)
                async with conn.transaction():
                    await conn.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        [f"{max(1, int(timeout * 1000))}ms"],
                    )
                    yield conn
    except TimeoutError:
        kind = "timeout" if phase == "connect" else "query_timeout"
        raise DbFailure(kind, target, detail="deadline", seconds=seconds) from None
    except psycopg.errors.QueryCanceled as exc:
        raise DbFailure("query_timeout", target, detail=_detail(exc), seconds=seconds) from None
    except psycopg.ProgrammingError as exc:
        if phase == "connect":
            # libpq's complaint may quote the malformed DSN, password and all: keep none of it.
            raise DbFailure("bad_dsn", target) from None
        raise _query_failure(exc, target) from None
    except psycopg.Error as exc:
        if phase == "connect":
            raise _connect_failure(exc, target, seconds) from None
        raise _query_failure(exc, target) from None


def _connect_failure(exc: psycopg.Error, target: str, seconds: str) -> DbFailure:
    if isinstance(exc, psycopg.errors.ConnectionTimeout):
        return DbFailure("timeout", target, detail=_detail(exc), seconds=seconds)
    text = str(exc)
    for kind, pattern in _CONNECT_PATTERNS:
        if pattern.search(text):
            params = {"seconds": seconds} if kind == "timeout" else {}
            return DbFailure(kind, target, detail=_detail(exc), **params)
    return DbFailure("connect", target, detail=_detail(exc))


def _query_failure(exc: psycopg.Error, target: str) -> DbFailure:
    return DbFailure("query", target, detail=_detail(exc), sqlstate=exc.sqlstate or "?")


def _detail(exc: BaseException) -> str:
    # Server messages carry no password, but keep them to one short, scrubbed line anyway.
    return scrub(str(exc) or type(exc).__name__, limit=200)
