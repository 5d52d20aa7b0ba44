"""The one way messages reach Slack: recorded first, sent in order, retried, never dropped.

A flow writes its state change and the Slack calls it owes in one transaction
(`enqueue`); after the commit, `kick` sends them at once on a worker thread, and a background
loop sends whatever Slack could not take earlier. Messages of one queue (an incident) go out
in order: the card waits for the channel it goes into.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.slack import classify
from storage import Store
from storage import outbox as queries

log = logging.getLogger(__name__)

# An operation sends one thing to Slack and returns what to keep of the answer.
Operation = Callable[[WebClient, dict[str, Any]], dict[str, Any] | None]

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)


class Sender:
    """Sends outbox messages through registered operations."""

    def __init__(
        self,
        *,
        store: Store,
        client: WebClient,
        clock: Clock,
        workers: int = 4,
        poll_interval: float = 2.0,
    ) -> None:
        self._store = store
        self._client = client
        self._clock = clock
        self._operations: dict[str, Operation] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ailex-send")
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # One flush per queue at a time in this process; leases cover other processes.
        self._queue_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._kicked = 0

    def register(self, op: str, operation: Operation) -> None:
        """Name an operation that outbox messages can ask for."""
        self._operations[op] = operation

    # -- writing ----------------------------------------------------------------------------
    def enqueue(
        self,
        session: Session,
        *,
        queue: str,
        op: str,
        payload: dict[str, Any],
        delay: timedelta | None = None,
        coalesce: bool = False,
    ) -> None:
        """Owe Slack this call, inside the caller's transaction.

        With `coalesce`, a same-op message still waiting in the queue stands for this one (for
        redraws that render the current state when they are sent)."""
        if op not in self._operations:
            raise KeyError(f"no outbox operation {op!r}")
        if coalesce:
            for waiting in queries.pending_in(session, queue=queue):
                if waiting.op == op and waiting.payload == payload and waiting.lease_until is None:
                    return
        now = self._clock()
        queries.enqueue(
            session,
            queue=queue,
            op=op,
            payload=payload,
            at=now,
            not_before=now + delay if delay else None,
        )

    # -- sending ----------------------------------------------------------------------------
    def kick(self, queue: str) -> None:
        """Send the queue's due messages soon, on a worker thread."""
        with self._locks_guard:
            self._kicked += 1
        self._pool.submit(self._flush_logged, queue)

    def idle(self) -> bool:
        """Whether no kicked flush is queued or running in this process."""
        with self._locks_guard:
            return self._kicked == 0

    def flush(self, queue: str | None = None) -> int:
        """Send due messages now (one queue, or all); return how many Slack took."""
        sent = 0
        for name in self._due_queues(queue):
            sent += self._flush_queue(name)
        return sent

    def _flush_logged(self, queue: str) -> None:
        try:
            self.flush(queue)
        except Exception:
            log.exception("outbox flush of %s failed", queue)
        finally:
            with self._locks_guard:
                self._kicked -= 1

    def _due_queues(self, queue: str | None) -> list[str]:
        with self._store.read() as session:
            heads = queries.due_heads(session, now=self._clock(), queue=queue)
            return list(dict.fromkeys(head.queue for head in heads))

    def _lock_for(self, queue: str) -> threading.Lock:
        with self._locks_guard:
            return self._queue_locks.setdefault(queue, threading.Lock())

    def _flush_queue(self, queue: str) -> int:
        lock = self._lock_for(queue)
        if not lock.acquire(blocking=False):
            # Another thread is sending this queue; it will pick up what was just added.
            self._wake.set()
            return 0
        sent = 0
        try:
            while True:
                now = self._clock()
                with self._store.write() as session:
                    heads = queries.due_heads(session, now=now, queue=queue, limit=1)
                    if not heads:
                        return sent
                    head = heads[0]
                    op, payload, attempts = head.op, dict(head.payload), head.attempts + 1
                    created_at, message_id = head.created_at, head.id
                    if not queries.lease(
                        session, message_id=message_id, now=now, until=now + LEASE
                    ):
                        return sent
                if not self._send(message_id, op, payload, attempts, created_at):
                    return sent
                sent += 1
        finally:
            lock.release()

    def _send(
        self,
        message_id: int,
        op: str,
        payload: dict[str, Any],
        attempts: int,
        created_at: Any,
    ) -> bool:
        """Run one message's operation and record how it went; True when Slack took it."""
        operation = self._operations.get(op)
        try:
            if operation is None:
                raise LookupError(f"unknown outbox operation {op!r}")
            result = operation(self._client, payload)
        except Exception as exc:
            failure = classify(exc)
            now = self._clock()
            with self._store.write() as session:
                if failure.transient and now - created_at < GIVE_UP_AFTER:
                    backoff = timedelta(seconds=min(2 ** min(attempts, 10), 300))
                    if failure.retry_after is not None:
                        backoff = timedelta(seconds=max(failure.retry_after, 1))
                    queries.reschedule(
                        session,
                        message_id=message_id,
                        error=failure.error,
                        next_at=now + min(backoff, MAX_BACKOFF),
                    )
                    log.warning(
                        "Slack did not take %s #%s (%s); retrying in %ss",
                        op,
                        message_id,
                        failure.error,
                        int(min(backoff, MAX_BACKOFF).total_seconds()),
                    )
                else:
                    error_id = uuid.uuid4().hex[:8]
                    queries.mark_failed(session, message_id=message_id, error=failure.error, at=now)
                    log.error(
                        "Slack refused %s #%s for good: %s (error id %s)",
                        op,
                        message_id,
                        failure.error,
                        error_id,
                        # A refusal from Slack is explained by its error; anything else is a
                        # bug of ours and its traceback belongs in the log (never in Slack).
                        exc_info=not isinstance(exc, SlackApiError),
                    )
            return False
        with self._store.write() as session:
            queries.mark_sent(session, message_id=message_id, at=self._clock(), result=result)
        return True

    # -- background -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the loop that sends what is due (messages Slack did not take earlier)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="ailex-outbox", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.flush()
            except Exception:
                log.exception("outbox loop failed; continuing")
            self._wake.wait(self._poll_interval)
            self._wake.clear()

    def stop(self, *, wait: bool = True) -> None:
        """Stop the loop and the workers."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and wait:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def pending(self) -> dict[str, int]:
        """Messages by status, for status output and tests."""
        with self._store.read() as session:
            return queries.counts(session)
