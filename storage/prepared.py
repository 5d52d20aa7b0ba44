"""Core statements run straight on the driver: the hot paths' few statements (SPEC 4).

SQLAlchemy's Core execution costs about five times what SQLite takes to run a small statement
(an execution context, cache lookups, result metadata per call). A `Prepared` statement is
compiled once per dialect and then handed to the DB-API cursor of the session's connection,
inside the session's transaction, with SQLAlchemy's own bind processors applied to its
parameters (UTC datetimes, JSON): what is stored is exactly what Core would have stored.

Only statements whose results need no conversion are prepared (ids, counts, plain strings):
`Prepared` refuses any other at compile time, so a row never comes back unconverted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, String, Table, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter


class _Compiled:
    """One dialect's SQL text and how to turn named parameters into the driver's."""

    __slots__ = ("compiled", "names", "positional", "processors", "sql")

    def __init__(self, compiled: SQLCompiler) -> None:
        self.compiled = compiled
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names: Sequence[str] = tuple(compiled.positiontup or ())
        # What Core itself applies to each value (a tuple's processors would be a sequence:
        # no prepared statement binds a tuple).
        processors = compiled._bind_processors
        if any(not callable(each) for each in processors.values()):
            raise TypeError("a tuple parameter: not prepared")
        self.processors: Mapping[str, Callable[[Any], Any]] = {
            name: each for name, each in processors.items() if callable(each)
        }

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        params = self.compiled.construct_params(values, _check=False)
        for name, process in self.processors.items():
            if name in params and params[name] is not None:
                params[name] = process(params[name])
        if self.positional:
            return [params[name] for name in self.names]
        return dict(params)


# Result types that come back from every supported driver as Python wants them.
_PLAIN_RESULTS = (Integer, String)


class Prepared:
    """A Core statement executed on the driver's cursor. `keys` names the parameters every
    execution passes (an INSERT's columns are compiled from them)."""

    def __init__(self, statement: ClauseElement, *, keys: Sequence[str] = ()) -> None:
        self._statement = statement
        self._keys = list(keys)
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is not None:
            return found
        with self._lock:
            compiled = self._statement.compile(dialect=dialect, column_keys=self._keys or None)
            assert isinstance(compiled, SQLCompiler)
            for column in compiled._result_columns:
                kind = column[3]
                if not isinstance(kind, _PLAIN_RESULTS):
                    raise TypeError(f"{kind!r} results need conversion: not prepared")
            found = self._by_dialect[dialect.name] = _Compiled(compiled)
            return found

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run it in the session's transaction; the rows it returns (if any)."""
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._for(dialect)
        parameters = compiled.parameters(values)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(compiled.sql, parameters)
            return list(cursor.fetchall()) if cursor.description else []
        except dialect.loaded_dbapi.Error as exc:
            # As Core raises it: the layers above catch storage.errors (SQLAlchemy's classes),
            # and a connection the database dropped is not handed out again.
            gone = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
            if gone:
                connection.invalidate(exc)
            raise DBAPIError.instance(
                compiled.sql,
                parameters,
                exc,
                dialect.loaded_dbapi.Error,
                connection_invalidated=gone,
                dialect=dialect,
            ) from exc
        finally:
            cursor.close()

    def first(self, session: Session, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row it returns, or None."""
        found = self.rows(session, values)
        return found[0] if found else None

    def scalar(self, session: Session, values: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(session, values)
        return row[0] if row is not None else None


# Rows per statement at most: a batch larger than this takes more statements, and no more
# than this many row counts are ever compiled.
ROWS_PER_STATEMENT = 64


class PreparedRows:
    """A multi-row INSERT run on the driver: the rows of many requests in one statement (a
    group commit writes its batch's rows so). `build(rows)` makes the statement from one
    mapping of column to bound parameter per row; it is prepared once per row count."""

    def __init__(
        self,
        table: Table,
        keys: Sequence[str],
        build: Callable[[list[dict[str, BindParameter[Any]]]], ClauseElement],
    ) -> None:
        self._table = table
        self._keys = tuple(keys)
        self._build = build
        self._by_count: dict[int, Prepared] = {}
        self._lock = threading.Lock()

    def _for(self, count: int) -> Prepared:
        found = self._by_count.get(count)
        if found is None:
            with self._lock:
                rows = [
                    {
                        key: bindparam(f"{key}_{n}", type_=self._table.c[key].type)
                        for key in self._keys
                    }
                    for n in range(count)
                ]
                found = self._by_count.setdefault(count, Prepared(self._build(rows)))
        return found

    def rows(self, session: Session, values: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert one row per mapping (each names every key); what RETURNING gives back, in
        no promised order (neither store promises one for a multi-row INSERT)."""
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(values), ROWS_PER_STATEMENT):
            chunk = values[start : start + ROWS_PER_STATEMENT]
            flat = {f"{key}_{n}": row[key] for n, row in enumerate(chunk) for key in self._keys}
            out += self._for(len(chunk)).rows(session, flat)
        return out
