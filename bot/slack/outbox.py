"""The one way messages reach Slack: recorded first, sent in order, retried, never dropped.

A flow writes its state change and the Slack calls it owes in one transaction
(`enqueue`); after the commit, `kick` sends them at once on a worker thread, and a background
loop sends whatever Slack could not take earlier. Messages of one queue (an incident) go out
in order: the card waits for the channel it goes into.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.logs import error_id as new_error_id
from bot.slack.client import classify
from bot.slack.doorbell import Doorbell
from storage import Session, Store
from storage import outbox as queries

log = logging.getLogger(__name__)


class Operation(StrEnum):
    """What an outbox message asks of Slack (stored in the message's `op`)."""

    CHANNEL_CREATE = "channel.create"
    CARD_POST = "card.post"
    CARD_UPDATE = "card.update"
    MESSAGE_POST = "message.post"
    RESPOND = "respond"
    REPORT_MESSAGE = "report.message"
    REPORT_FILE = "report.file"
    DIAGNOSIS_POST = "diagnosis.post"
    DIAGNOSIS_UPDATE = "diagnosis.update"
    DIAGNOSIS_RESPOND = "diagnosis.respond"
    APPROVAL_POST = "approval.post"
    APPROVAL_UPDATE = "approval.update"
    LEFTOVERS_POST = "leftovers.post"
    # Alerts (bot/alerts/slack.py): an incident an alert opened announced in the alert
    # channel; a triage or SSL notice there, and its redraw; a recovery signal in the incident.
    ALERT_ANNOUNCE = "alert.announce"
    ALERT_POST = "alert.post"
    ALERT_UPDATE = "alert.update"
    ALERT_RECOVERY = "alert.recovery"
    # Statistics (bot/evidence/slack.py): the figures of `/ailex stats` in the channel it was
    # typed in, then their chart as a PNG file.
    STATS_POST = "stats.post"
    STATS_CHART = "stats.chart"
    # The runbook's clock (bot/clock/slack.py): a due reminder, checked again as it is sent;
    # a follow-up's owner told by direct message.
    REMINDER_POST = "reminder.post"
    FOLLOWUP_DM = "followup.dm"


# An operation's code sends one thing to Slack and returns what to keep of the answer.
Call = Callable[[WebClient, dict[str, Any]], dict[str, Any] | None]
# An operation may send consecutive messages of a run as fewer calls: given their payloads in
# order, the payloads to call with instead, each with how many of those messages (the next
# ones, in order) it stands for. A message that merges with none stands for itself, (p, 1).
Merge = Callable[[list[dict[str, Any]]], list[tuple[dict[str, Any], int]]]

LEASE = timedelta(seconds=60)
# Messages of one queue leased, and then recorded, in one transaction each: a busy incident's
# notes cost two transactions per run instead of two per message. Small, because a sender
# that dies sends its leased run again once the lease expires (at least once, as before).
RUN = 16


class _Result(StrEnum):
    """How one attempt at a message went."""

    SENT = "sent"  # Slack took it
    RETRY = "retry"  # not this time: it holds its queue back until it is due again
    REFUSED = "refused"  # never: marked failed, it lets its queue go on


MAX_BACKOFF = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class _Head:
    """A leased message, as the sender needs it outside the transaction that leased it."""

    id: int
    op: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class _Group:
    """Consecutive messages of a run sent by one call (most often one message alone): Slack's
    answer is theirs together, as is a retry or a refusal."""

    heads: tuple[_Head, ...]
    payload: dict[str, Any]

    @property
    def first(self) -> _Head:
        return self.heads[0]


Outcome = dict[str, Any] | BaseException | None


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
        remote: Doorbell | None = None,
        target: str = "slack",
        gather: float = 0.0,
    ) -> None:
        self._store = store
        self._client = client
        self._clock = clock
        self._operations: dict[str, Call] = {}
        self._merges: dict[str, Merge] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ailex-send")
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Queues being sent in this process, and those kicked meanwhile (looked at again).
        self._sending: set[str] = set()
        self._again: set[str] = set()
        self._locks_guard = threading.Lock()
        self._kicked = 0
        # In a request worker of `ailex serve`, another process sends: kicks ring its bell.
        self._remote = remote
        self._target = target
        self._flushing = 0
        # Seconds a kicked queue waits before it is sent, for the rest of a burst to be
        # recorded behind its first message: the burst then goes in fewer runs (each one
        # lease and one record, under the store's write lock), merged where it merges.
        self._gather = gather

    def register(self, op: Operation, call: Call, *, merge: Merge | None = None) -> None:
        """Say what code does an operation that outbox messages can ask for (and, with
        `merge`, how consecutive messages of it may go out as fewer calls)."""
        self._operations[op] = call
        if merge is not None:
            self._merges[op] = merge

    # -- writing ----------------------------------------------------------------------------
    def enqueue(
        self,
        session: Session,
        *,
        queue: str,
        op: Operation,
        payload: dict[str, Any],
        delay: timedelta | None = None,
        coalesce: bool = False,
    ) -> None:
        """Owe Slack this call, inside the caller's transaction.

        With `coalesce`, a same-op message still waiting in the queue stands for this one (for
        redraws that render the current state when they are sent)."""
        self._check(op)
        if coalesce and payload in queries.waiting_payloads(session, queue=queue, op=op):
            return
        now = self._clock()
        queries.enqueue(
            session,
            queue=queue,
            op=op,
            payload=payload,
            at=now,
            not_before=now + delay if delay else None,
            target=self._target,
        )

    def enqueue_many(self, session: Session, messages: Sequence[queries.NewMessage]) -> None:
        """Owe Slack these calls, in this order, inside the caller's transaction, in one
        statement (a batch's notes)."""
        for message in messages:
            self._check(message.op)
        queries.enqueue_many(session, messages, at=self._clock(), target=self._target)

    def _check(self, op: str) -> None:
        if op not in self._operations:
            raise KeyError(f"no outbox operation {op!r}")

    # -- sending ----------------------------------------------------------------------------
    def kick(self, queue: str) -> None:
        """Send the queue's due messages soon, on a worker thread (or in the outbox process)."""
        if self._remote is not None:
            self._remote.ring(queue)
            return
        with self._locks_guard:
            if queue in self._sending:
                # The thread sending it looks again before it stops: no query, no thread.
                self._again.add(queue)
                return
            self._kicked += 1
        self._pool.submit(self._flush_logged, queue, self._gather)

    def idle(self) -> bool:
        """Whether nothing is being sent, or queued to be, in this process."""
        with self._locks_guard:
            return self._kicked == 0 and self._flushing == 0

    def flush(self, queue: str | None = None) -> int:
        """Send due messages now (one queue, or all); return how many Slack took."""
        sent = 0
        for name in [queue] if queue is not None else self._due_queues(None):
            sent += self._flush_queue(name)
        return sent

    def _flush_logged(self, queue: str, gather: float) -> None:
        try:
            self._flush_queue(queue, gather=gather)
        except Exception:
            log.exception("outbox flush of %s failed", queue)
        finally:
            with self._locks_guard:
                self._kicked -= 1

    def _due_queues(self, queue: str | None) -> list[str]:
        with self._store.read() as session:
            heads = queries.due_heads(session, now=self._clock(), queue=queue, target=self._target)
            return list(dict.fromkeys(head.queue for head in heads))

    def _flush_queue(self, queue: str, *, gather: float = 0.0) -> int:
        # One flush per queue at a time in this process; leases cover other processes.
        with self._locks_guard:
            if queue in self._sending:
                self._again.add(queue)
                return 0
            self._sending.add(queue)
            self._flushing += 1
        sent = 0
        try:
            if gather:
                # Kicks meanwhile only mark the queue to look at again (above).
                self._stop.wait(gather)
            while True:
                sent += self._send_queue(queue)
                with self._locks_guard:
                    if queue not in self._again:
                        self._sending.discard(queue)
                        return sent
                    self._again.discard(queue)
        except BaseException:
            with self._locks_guard:
                self._sending.discard(queue)
                self._again.discard(queue)
            raise
        finally:
            with self._locks_guard:
                self._flushing -= 1

    def _send_queue(self, queue: str) -> int:
        """Send the queue's due messages in order, a leased run at a time."""
        sent = 0
        with self._store.write() as session:
            run = self._take_run(session, queue)
        while run:
            tried = self._send_run(run)
            # Recording how they went and taking the next run share one transaction.
            with self._store.write() as session:
                results = self._record_run(session, tried)
                done = {head.id for group, _ in tried for head in group.heads}
                queries.release(session, message_ids=[h.id for h in run if h.id not in done])
                # A message to retry later holds its queue back; one sent, or refused for
                # good, lets the next one go at once.
                held = results[-1] == _Result.RETRY
                run = [] if held else self._take_run(session, queue)
            sent += sum(
                len(g.heads) for (g, _), r in zip(tried, results, strict=True) if r == _Result.SENT
            )
        return sent

    def _send_run(self, run: list[_Head]) -> list[tuple[_Group, Outcome]]:
        """Call Slack for a leased run, merged where its operations allow, in order, until a
        call is to be retried later (the rest of the run waits)."""
        tried: list[tuple[_Group, Outcome]] = []
        for group in self._groups(run):
            outcome = self._call(group)
            if len(group.heads) > 1 and self._refused(group, outcome):
                # Slack refused the merged message: each one goes as it would have alone, so
                # merging never costs a message Slack would have taken.
                assert isinstance(outcome, BaseException)
                log.warning(
                    "Slack refused %s merged #%s-#%s (%s); sending them one by one",
                    group.first.op,
                    group.first.id,
                    group.heads[-1].id,
                    classify(outcome).error,
                )
                for head in group.heads:
                    single = _Group((head,), head.payload)
                    outcome = self._call(single)
                    tried.append((single, outcome))
                    if self._to_retry(single, outcome):
                        return tried
                continue
            tried.append((group, outcome))
            if self._to_retry(group, outcome):
                break  # it holds its queue back: the rest of the run waits
        return tried

    def _groups(self, run: list[_Head]) -> list[_Group]:
        """The run as calls: each stretch of consecutive messages of an operation that merges
        goes through its merge; every other message is a call of its own."""
        groups: list[_Group] = []
        start = 0
        while start < len(run):
            op = run[start].op
            end = start + 1
            if op in self._merges:
                while end < len(run) and run[end].op == op:
                    end += 1
            stretch = run[start:end]
            if len(stretch) > 1:
                groups += self._merged(stretch)
            else:
                groups.append(_Group((stretch[0],), stretch[0].payload))
            start = end
        return groups

    def _merged(self, stretch: list[_Head]) -> list[_Group]:
        """A stretch of one operation's messages as its merge groups them (each message alone
        should the merge fail: it must never cost a message)."""
        singles = [_Group((head,), head.payload) for head in stretch]
        try:
            merged = self._merges[stretch[0].op]([head.payload for head in stretch])
        except Exception:
            log.exception("merging %s #%s-#%s failed", stretch[0].op, stretch[0].id, stretch[-1].id)
            return singles
        counts = [count for _, count in merged]
        if sum(counts) != len(stretch) or min(counts, default=0) < 1:
            log.error("merging %s gave %s for %s messages", stretch[0].op, counts, len(stretch))
            return singles
        groups: list[_Group] = []
        at = 0
        for payload, count in merged:
            groups.append(_Group(tuple(stretch[at : at + count]), payload))
            at += count
        return groups

    def _take_run(self, session: Session, queue: str) -> list[_Head]:
        """Lease the queue's first due messages, in order (empty when there is none to
        send): the leased run stops before a message another sender holds."""
        now = self._clock()
        rows = queries.due_run(session, now=now, queue=queue, limit=RUN, target=self._target)
        if not rows:
            return []
        heads = [_Head(r.id, r.op, dict(r.payload), r.attempts + 1, r.created_at) for r in rows]
        taken = queries.lease_many(
            session, message_ids=[h.id for h in heads], now=now, until=now + LEASE
        )
        run: list[_Head] = []
        for head in heads:
            if head.id not in taken:
                break
            run.append(head)
        queries.release(session, message_ids=[h.id for h in heads[len(run) :] if h.id in taken])
        return run

    def _to_retry(self, group: _Group, outcome: Outcome) -> bool:
        """Whether this outcome makes the messages ones to try again later."""
        if not isinstance(outcome, BaseException):
            return False
        return self._transient(group, outcome)

    def _refused(self, group: _Group, outcome: Outcome) -> bool:
        """Whether this outcome refuses the messages for good."""
        return isinstance(outcome, BaseException) and not self._transient(group, outcome)

    def _transient(self, group: _Group, outcome: BaseException) -> bool:
        # A group is as old as its oldest message, the first.
        created = group.first.created_at
        return classify(outcome).transient and self._clock() - created < GIVE_UP_AFTER

    def _record_run(self, session: Session, tried: list[tuple[_Group, Outcome]]) -> list[_Result]:
        """Record how each call of a run went; the messages Slack took in one statement."""
        now = self._clock()
        taken = [
            (head.id, outcome)
            for group, outcome in tried
            if not isinstance(outcome, BaseException)
            for head in group.heads
        ]
        queries.mark_sent_many(session, sent=taken, at=now)
        return [
            _Result.SENT if not isinstance(o, BaseException) else self._record(session, g, o)
            for g, o in tried
        ]

    def _call(self, group: _Group) -> Outcome:
        """Call Slack for one message (or a merged group): its result, or the exception it
        failed with."""
        operation = self._operations.get(group.first.op)
        try:
            if operation is None:
                raise LookupError(f"unknown outbox operation {group.first.op!r}")
            return operation(self._client, group.payload)
        except Exception as exc:
            return exc

    def _record(self, session: Session, group: _Group, outcome: BaseException) -> _Result:
        """Record how a failed call went for its messages, together: to retry later, or
        refused for good."""
        now = self._clock()
        first = group.first
        ids = [head.id for head in group.heads]
        what = f"#{first.id}" if len(ids) == 1 else f"#{first.id}-#{ids[-1]} ({len(ids)} merged)"
        failure = classify(outcome)
        if failure.transient and now - first.created_at < GIVE_UP_AFTER:
            # The first has been tried most often: its backoff is the group's.
            backoff = timedelta(seconds=min(2 ** min(first.attempts, 10), 300))
            if failure.retry_after is not None:
                backoff = timedelta(seconds=max(failure.retry_after, 1))
            backoff = min(backoff, MAX_BACKOFF)
            for message_id in ids:
                queries.reschedule(
                    session, message_id=message_id, error=failure.error, next_at=now + backoff
                )
            log.warning(
                "Slack did not take %s %s (%s); retrying in %ss",
                first.op,
                what,
                failure.error,
                int(backoff.total_seconds()),
            )
            return _Result.RETRY
        error_id = new_error_id()
        for message_id in ids:
            queries.mark_failed(session, message_id=message_id, error=failure.error, at=now)
        log.error(
            "Slack refused %s %s for good: %s (error id %s)",
            first.op,
            what,
            failure.error,
            error_id,
            # A refusal from Slack is explained by its error; anything else is a bug of
            # ours and its traceback belongs in the log (never in Slack).
            exc_info=outcome if not isinstance(outcome, SlackApiError) else None,
        )
        return _Result.REFUSED

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
