"""The store: one engine, transactions that serialise writers on SQLite, Alembic at start."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant will do: it names the advisory lock replicas take while migrating PostgreSQL.
_MIGRATION_LOCK = 7_342_150_001
_SQLITE_BUSY_TIMEOUT_S = 30
# More than the threads that touch the store in one process (requests, workers, loops).
_SQLITE_THREAD_CONNECTIONS = 256
# PostgreSQL: more than the request threads of one worker (`ailex serve --threads`, 16), so a
# burst never opens (and closes) an overflow connection per request.
_PG_POOL_SIZE = 24

T = TypeVar("T")
Unit = Callable[[Session], T]


class Together:
    """A kind of write that a batch runs for all its requests at once: `run(session, items)`
    writes for every item what it would write alone, in a few statements for all (multi-row
    INSERTs), and returns each item's outcome in order: its result, or the exception it fails
    with, having written nothing. It writes through statements only (a plain unit)."""

    __slots__ = ("run",)

    def __init__(self, run: Callable[[Session, list[Any]], list[Any]]) -> None:
        self.run = run

    def alone(self, item: Any) -> Unit[Any]:
        """The unit of one item: `run` of one, its exception raised."""

        def unit(session: Session) -> Any:
            (outcome,) = self.run(session, [item])
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome

        return unit


class _Pending(Generic[T]):
    """One request's unit of work waiting in (or run by) a batch, and its outcome."""

    __slots__ = ("done", "error", "item", "plain", "result", "together", "unit", "wake")

    def __init__(
        self, unit: Unit[T], plain: bool, together: Together | None = None, item: Any = None
    ) -> None:
        self.unit = unit
        self.plain = plain
        self.together = together
        self.item = item
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None
        # Held while it waits for a batch run by another thread; released to wake it.
        self.wake: threading.Lock | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class Store:
    """The bot's database. `write()` and `read()` give sessions in a transaction."""

    def __init__(self, url: str, *, pool_size: int = _PG_POOL_SIZE) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine = _create_engine(url, pool_size=pool_size)
        # On SQLite a writer takes the write lock at BEGIN, so two writers queue on the busy
        # timeout instead of failing with "database is locked" when a reader upgrades.
        self._sessions_write = sessionmaker(
            bind=self.engine.execution_options(ailex_write=True), expire_on_commit=False
        )
        self._sessions_read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer_lock: AbstractContextManager[object] = nullcontext()
        if self.dialect == "sqlite" and self.url.database not in (None, "", ":memory:"):
            self._writer_lock = _WriterLock(f"{self.url.database}.lock")
        # Each thread keeps its Session objects and reuses them, closed between transactions:
        # making a Session takes a process-wide lock, which many request threads queue on.
        self._local = threading.local()
        # Group commit: units queued while a batch runs make up the next batch, which the
        # first of them runs when it is handed the turn.
        self._batch_turn = threading.Lock()
        self._queued: list[_Pending[Any]] = []
        self._leading = False
        # Set after a batch's units ran, before its commit: tests stop a process there (kill -9).
        self.before_commit: Callable[[int], None] | None = None
        # How many batches failed as a whole and had each unit run again alone: a failing
        # unit must cost only its own savepoint, so tests hold this at zero.
        self.batches_rerun = 0

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that may write; committed on success, rolled back on error. For the
        rare paths; the hot ones `submit` their write, which shares a commit with others."""
        with self._writer_lock, self._session("write", self._sessions_write) as session:
            yield session

    def submit(self, unit: Unit[T], *, plain: bool = False) -> T:
        """Run `unit(session)` in a write transaction it may share with units other threads
        submitted at the same time (group commit), and return its result once the commit that
        holds its write is done (or raise its own exception; its writes are then undone).

        Each unit runs in its own SAVEPOINT, so a unit that raises (a Conflict, a Duplicate,
        a UserError) takes back only its own writes; the others commit. A writer that finds a
        batch running queues its unit; the thread that runs the next batch takes all queued
        units, in one transaction (one writer lock, one commit), then wakes each with its
        outcome. A unit must touch only the session: it may run on another request's thread.
        Called from inside a unit, it runs at once in that unit's transaction.

        A `plain` unit promises to write only through statements, never through ORM objects
        (the hot paths: a note). Its savepoint is then the database's own, set and released
        on the driver, rather than the Session's, which tracks ORM state (a sixth of a note's
        CPU in a batch). A plain unit that leaves ORM changes behind fails."""
        return self._submit(_Pending(unit, plain))

    def submit_together(self, kind: Together, item: Any) -> Any:
        """`submit` `item`'s write of `kind`: in a batch, every item of the same kind is
        written by one `kind.run` (should that fail as a whole, each runs alone); its own
        outcome comes back as `submit`'s does."""
        return self._submit(_Pending(kind.alone(item), True, kind, item))

    def _submit(self, pending: _Pending[T]) -> T:
        if getattr(self._local, "batch", None) is not None:
            session: Session = self._local.batch
            with session.begin_nested():
                return pending.unit(session)
        with self._batch_turn:
            self._queued.append(pending)
            waits = self._leading
            if waits:
                pending.wake = threading.Lock()
                pending.wake.acquire()
            self._leading = True
        if waits:
            # Released once: when its batch is done, or when it is handed the next turn.
            assert pending.wake is not None
            pending.wake.acquire()
            if pending.done:
                return pending.outcome()
        with self._batch_turn:
            batch, self._queued = self._queued, []
        try:
            self._run_batch(batch)
        finally:
            with self._batch_turn:
                for each in batch:
                    each.done = True
                # The first to queue meanwhile runs the next batch; the others keep sleeping
                # (waking every waiter at each commit cost each a switch for nothing).
                turn = self._queued[0] if self._queued else None
                self._leading = turn is not None
            for each in batch:
                if each.wake is not None:
                    each.wake.release()
            if turn is not None:
                assert turn.wake is not None
                turn.wake.release()
        return pending.outcome()

    def waiting(self) -> int:
        """How many submitted units wait for the next batch (what a batch in progress holds
        up)."""
        with self._batch_turn:
            return len(self._queued)

    def _run_batch(self, batch: list[_Pending[Any]]) -> None:
        """Run every unit in one transaction and commit once; when the transaction itself
        fails (the commit, a lost connection, a deadlock), nothing of it is stored and each
        unit is run again alone, so that it gets an outcome of its own."""
        try:
            self._transaction(batch, hook=True)
            return
        except Exception as exc:
            if len(batch) == 1:
                batch[0].result, batch[0].error = None, exc
                return
        self.batches_rerun += 1
        for each in batch:
            each.result, each.error = None, None
            try:
                self._transaction([each], hook=False)
            except Exception as exc:
                each.result, each.error = None, exc

    def _transaction(self, batch: list[_Pending[Any]], *, hook: bool) -> None:
        with self._writer_lock, self._session("write", self._sessions_write) as session:
            self._local.batch = session
            try:
                if len(batch) == 1:
                    # Alone, a unit needs no savepoint: its exception rolls the whole
                    # transaction back, and _run_batch gives it to the unit.
                    batch[0].result = batch[0].unit(session)
                else:
                    done: set[Together] = set()
                    for each in batch:
                        if each.together is not None and each.together not in done:
                            done.add(each.together)
                            kind = each.together
                            _run_together(session, [p for p in batch if p.together is kind])
                        elif each.together is None:
                            _run_alone(session, each)
                if hook and self.before_commit is not None:
                    self.before_commit(len(batch))
            finally:
                self._local.batch = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction."""
        with self._session("read", self._sessions_read) as session:
            yield session

    @contextmanager
    def _session(self, mode: str, factory: sessionmaker[Session]) -> Iterator[Session]:
        session: Session | None = getattr(self._local, mode, None)
        if session is None or session.in_transaction():
            # First use in this thread, or a transaction nested in another of the same mode.
            session = factory()
            if getattr(self._local, mode, None) is None:
                setattr(self._local, mode, session)
        try:
            with session.begin():
                yield session
        finally:
            # Detaches what was loaded (it keeps its values) and returns the connection.
            session.close()

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe with several replicas starting)."""
        # Alembic is loaded when it is used: a command that never migrates does not pay for it.
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.execution_options(ailex_write=True).begin() as connection:
            if self.dialect == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        """Ask the database for an answer; raises when it gives none (the health check)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


_SAVEPOINT = "ailex_unit"


def _run_alone(session: Session, pending: _Pending[Any]) -> None:
    """One unit of a batch in a savepoint of its own: its exception takes back only its own
    writes."""
    try:
        if pending.plain:
            pending.result = _in_savepoint(session, pending.unit)
        else:
            with session.begin_nested():
                pending.result = pending.unit(session)
    except Exception as exc:
        pending.error = exc


def _run_together(session: Session, group: list[_Pending[Any]]) -> None:
    """A batch's units of one kind of write, at once (their `Together.run`), in one savepoint;
    should that fail as a whole, its writes are taken back and each unit runs alone."""
    kind = group[0].together
    assert kind is not None
    if len(group) > 1:
        try:
            outcomes = _in_savepoint(session, lambda s: kind.run(s, [p.item for p in group]))
        except Exception:
            log.exception("writing %s together failed; writing each alone", len(group))
        else:
            for pending, outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    pending.error = outcome
                else:
                    pending.result = outcome
            return
    for pending in group:
        _run_alone(session, pending)


def _in_savepoint(session: Session, unit: Unit[T]) -> T:
    """Run a plain unit in a savepoint of the database's own (the same SQL on both stores)."""
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            result = unit(session)
            if session.new or session.dirty or session.deleted:
                # Never flushed: forget them, so that the units after it start clean.
                for instance in [*session.new, *session.deleted]:
                    session.expunge(instance)
                for instance in list(session.dirty):
                    session.expire(instance)
                raise TypeError("a plain unit left ORM changes to flush")
        except BaseException:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            raise
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        return result
    finally:
        cursor.close()


class _WriterLock:
    """One SQLite writer at a time, across threads and processes, handed over at once.

    SQLite's own busy handler polls with sleeps of up to 100 ms, which under many writers turns
    into seconds of waiting; a kernel file lock wakes the next writer as soon as one commits."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()

    def _file(self) -> int:
        # A forked worker must not share its parent's descriptor (and so its lock).
        if self._fd is None or self._pid != os.getpid():
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> _WriterLock:
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def _create_engine(url: str, *, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)

    database = parsed.database or ""
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # One connection per thread, kept: a shared pool's queue lock is where many threads
    # queue up (and lose the GIL) when every request reads the store.
    engine = create_engine(
        url,
        connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
        poolclass=SingletonThreadPool,
        pool_size=_SQLITE_THREAD_CONNECTIONS,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below own transactions (pysqlite's own are off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL loses nothing when the process dies (kill -9); only a power cut
        # can take back the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at once. Readers open no transaction: in WAL mode each
        # statement reads a consistent snapshot, and a BEGIN per read costs a round trip.
        if connection.get_execution_options().get("ailex_write", False):
            # Straight to the driver: this runs once per write, on the hot path.
            connection.connection.dbapi_connection.execute("BEGIN IMMEDIATE")

    return engine
