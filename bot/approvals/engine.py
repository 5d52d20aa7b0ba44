"""The approval engine (SPEC 3.4): a destructive action runs only after a second, authorised
person approves it, exactly as previewed, at most once.

A request stores its preview. Approving moves it from `pending` to `executing` in one
conditional UPDATE, so whatever races (double clicks, Slack's retries, two approvers, two
replicas on one database) exactly one approval wins and only the winner executes. A denial or
an expiry is final. Every step is a timeline event, recorded before Slack hears of it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.aio import BackgroundLoop
from bot.approvals.catalogue import Action, action_of, check_not_drill, undoes
from bot.clock import Clock
from bot.errors import UserError
from bot.incidents.flows import Actor, claim, incident_queue, record, redraw_card, take
from bot.incidents.vocabulary import EventKind
from bot.logs import error_id as new_error_id
from bot.settings import Settings
from bot.slack.outbox import Operation, Sender
from probes.base import CheckStatus, Msg, msg
from remediations.base import Outcome, Preview
from storage import Session, Store, incidents
from storage import approvals as queries
from storage.approvals import State
from storage.errors import Conflict
from storage.models import ApprovalRequest, Incident

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=10)
# An execution whose heartbeat is older than this died with its process.
HEARTBEAT_LOST = timedelta(seconds=45)


def executor_id() -> str:
    """This process, as recorded on the executions it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Refused(UserError):
    """A click that may not do what it asks (self-approval, not an approver, expired, ...)."""


class AlreadyPending(UserError):
    """The same action already waits for approval in this incident: `pending` is that request
    (the caller links to its message)."""

    def __init__(self, pending: ApprovalRequest) -> None:
        super().__init__("approval.already_pending", id=pending.id)
        self.pending = pending


@dataclass(frozen=True)
class Requested:
    request_id: int | None
    blocked: Msg | None = None


class Approvals:
    """Ask for, approve, deny, expire and execute remediations."""

    def __init__(
        self,
        *,
        store: Store,
        sender: Sender,
        settings: Settings,
        clock: Clock,
        loop: BackgroundLoop,
    ) -> None:
        self._store = store
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._loop = loop
        self._executor = executor_id()

    # -- asking -------------------------------------------------------------------------------
    def request(
        self,
        *,
        action: Action,
        argument: str | None,
        actor: Actor,
        incident: Incident,
    ) -> Requested:
        """Preview the action and, unless it is blocked, post it for approval (or, for an
        action that needs none, run it). Slow: it reads the world. Call it after the ack."""
        if incident.resolved_at is not None and not undoes(action, argument):
            raise UserError("error.incident_resolved", id=incident.id)
        check_not_drill(action, incident)
        if action.needs_approval:
            self.check_not_pending(incident_id=incident.id, action=action, actor=actor)
        now = self._clock()
        try:
            if action.draft is not None:
                preview = action.draft(self._settings, argument, now, incident, self._store)
            else:
                preview = action.preview(self._settings, argument, now)
        except UserError:
            raise
        except Exception:
            # A remediation never raises by contract; if one does, nothing is asked for.
            error_id = new_error_id()
            log.exception("preview of %s failed (error id %s)", action.key, error_id)
            return Requested(None, msg("error.internal", id=error_id))
        if preview.blocked is not None:
            return Requested(None, preview.blocked)
        ttl = timedelta(minutes=self._settings.approval_ttl_minutes)
        for attempt in range(2):
            try:
                request_id = self._create(action, argument, actor, incident, preview, now, ttl)
                break
            except Conflict:
                # Another request of this action was stored first (two people, two replicas):
                # the store keeps one waiting request per action and incident.
                self.check_not_pending(incident_id=incident.id, action=action, actor=actor)
                if attempt:
                    raise
        self._sender.kick(incident_queue(incident.id))
        if not action.needs_approval:
            self._execute(request_id, action, {})
        return Requested(request_id)

    def _create(
        self,
        action: Action,
        argument: str | None,
        actor: Actor,
        incident: Incident,
        preview: Preview,
        now: datetime,
        ttl: timedelta,
    ) -> int:
        with self._store.write() as session:
            claim(session, actor=actor, at=now)
            # Locked as a resolve locks it: a request stored while the incident is being
            # resolved is either seen (and cancelled) by the resolve, or sees it resolved.
            current = incidents.get(session, incident_id=incident.id, for_update=True)
            if current is None:
                raise UserError("error.no_incident")
            if current.resolved_at is not None and not undoes(action, argument):
                raise UserError("error.incident_resolved", id=incident.id)
            request = queries.create(
                session,
                incident_id=incident.id,
                action=action.key,
                argument=argument,
                needs_approval=action.needs_approval,
                requested_by=actor.user_id,
                requested_at=now,
                expires_at=now + ttl,
                preview=preview.model_dump(mode="json"),
                state=State.PENDING if action.needs_approval else State.EXECUTING,
                decided_by=None if action.needs_approval else actor.user_id,
                decided_at=None if action.needs_approval else now,
                executor=None if action.needs_approval else self._executor,
                heartbeat_at=None if action.needs_approval else now,
                channel_id=incident.channel_id,
            )
            record(
                session,
                incident_id=incident.id,
                kind=EventKind.REMEDIATION_REQUESTED,
                actor=actor.user_id,
                at=now,
                data=self._event_data(request, preview.summary),
            )
            self._sender.enqueue(
                session,
                queue=incident_queue(incident.id),
                op=Operation.APPROVAL_POST,
                payload={"request_id": request.id},
            )
            # The card shows what waits for approval and what was done last.
            redraw_card(self._sender, session, incident.id)
            return request.id

    def check_not_pending(self, *, incident_id: int, action: Action, actor: Actor) -> None:
        """Raise AlreadyPending when this action already waits for approval in this incident;
        one past its time is expired first, and does not count. The refusal is recorded with
        the delivery taken (a repeated delivery raises Duplicate and records nothing)."""
        with self._store.read() as session:
            waiting = queries.pending_for(session, incident_id=incident_id, action=action.key)
        for pending in waiting:
            if pending.expires_at <= self._clock() and self._expire(pending.id):
                continue
            refusal = AlreadyPending(pending)
            self._refuse(pending, actor, refusal)
            raise refusal

    # -- deciding -----------------------------------------------------------------------------
    def check_approver(self, request: ApprovalRequest, user: str) -> None:
        """Raise Refused when this user may not approve this request now."""
        now = self._clock()
        if request.state != State.PENDING:
            raise Refused(f"approval.refused.{request.state}", id=request.id)
        if request.expires_at <= now:
            raise Refused("approval.refused.expired", id=request.id)
        if user == request.requested_by and not self._settings.allow_self_approval:
            raise Refused("approval.refused.self", id=request.id)
        approvers = self._settings.approvers
        if approvers and user not in approvers:
            raise self._not_approver(request)

    def _not_approver(self, request: ApprovalRequest) -> Refused:
        approvers = ", ".join(f"<@{a}>" for a in self._settings.approvers)
        return Refused("approval.refused.not_approver", id=request.id, approvers=approvers)

    def get(self, request_id: int) -> ApprovalRequest:
        with self._store.read() as session:
            request = queries.get(session, request_id=request_id)
        if request is None:
            raise UserError("error.bad_button")
        return request

    def vet_approval(self, *, request_id: int, actor: Actor) -> ApprovalRequest:
        """Check an approve click that opens a form (the approval comes with the form): a
        refusal is recorded and raised, else the click's delivery is taken on its own."""
        request = self._vet(request_id=request_id, actor=actor)
        self.take(actor)
        return request

    def _vet(self, *, request_id: int, actor: Actor) -> ApprovalRequest:
        """Check an approve click before anything happens; a refusal is recorded, with the
        delivery taken and a request past its time expired in the same transaction, and
        raised."""
        request = self.get(request_id)
        try:
            self.check_approver(request, actor.user_id)
        except Refused as refusal:
            due = request.state == State.PENDING and request.expires_at <= self._clock()
            self._refuse(request, actor, refusal, expire=due)
            raise
        return request

    def take(self, actor: Actor) -> None:
        """Take the click's delivery first: a repeated delivery does nothing, records nothing."""
        take(self._store, actor=actor, at=self._clock())

    def approve(self, *, request_id: int, actor: Actor, with_secret: bool = False) -> None:
        """Approve, if this approval is the one that wins (at most one does); then call
        `execute`. Raises Refused (recorded) for a click that may not approve; Duplicate, with
        nothing recorded, for a delivery taken before."""
        request = self._vet(request_id=request_id, actor=actor)
        if action_of(request.action).secret_at_approval and not with_secret:
            raise UserError("approval.secret_required")
        now = self._clock()
        self._decide(
            request,
            actor,
            to_state=State.EXECUTING,
            kind=EventKind.REMEDIATION_APPROVED,
            not_expired_at=now,
            decided_by=actor.user_id,
            decided_at=now,
            executor=self._executor,
            heartbeat_at=now,
        )

    def execute(self, request_id: int, *, secret: SecretStr | None = None) -> None:
        """Run an approved request (this process won it). Slow: call it after the ack."""
        request = self.get(request_id)
        extra: dict[str, Any] = {}
        if secret is not None:
            extra["new_key"] = secret.get_secret_value()
        self._execute(request_id, action_of(request.action), extra)

    def deny(self, *, request_id: int, actor: Actor) -> None:
        """Deny (or, for the requester, withdraw) a pending request; final."""
        request = self.get(request_id)
        now = self._clock()
        approvers = self._settings.approvers
        if approvers and actor.user_id not in approvers and actor.user_id != request.requested_by:
            refusal = self._not_approver(request)
            self._refuse(request, actor, refusal)
            raise refusal
        self._decide(
            request,
            actor,
            to_state=State.DENIED,
            kind=EventKind.REMEDIATION_DENIED,
            decided_by=actor.user_id,
            decided_at=now,
            finished_at=now,
        )

    def _decide(
        self,
        request: ApprovalRequest,
        actor: Actor,
        *,
        to_state: State,
        kind: EventKind,
        not_expired_at: datetime | None = None,
        **values: Any,
    ) -> None:
        """Move a pending request on and record it, taking the click's delivery in the same
        transaction; when another click, retry or replica moved it first (or it just expired),
        record and raise the refusal instead. A repeated delivery raises Duplicate and changes
        nothing."""
        with self._store.write() as session:
            claim(session, actor=actor, at=self._clock())
            moved = self.move_in(
                session,
                request,
                from_state=State.PENDING,
                to_state=to_state,
                kind=kind,
                actor=actor.user_id,
                not_expired_at=not_expired_at,
                **values,
            )
            if not moved:
                current = queries.get(session, request_id=request.id)
                assert current is not None  # requests are never deleted but with their incident
                refusal = Refused(f"approval.refused.{current.state}", id=request.id)
                self._record_refusal_in(session, current, actor, refusal)
        if not moved:
            raise refusal
        self._sender.kick(incident_queue(request.incident_id))

    def _move(
        self,
        request: ApprovalRequest,
        *,
        from_state: State,
        to_state: State,
        kind: EventKind,
        actor: str,
        not_expired_at: datetime | None = None,
        **values: Any,
    ) -> bool:
        """The one way a request changes state (see `move_in`), in a transaction of its own."""
        with self._store.write() as session:
            moved = self.move_in(
                session,
                request,
                from_state=from_state,
                to_state=to_state,
                kind=kind,
                actor=actor,
                not_expired_at=not_expired_at,
                **values,
            )
        if moved:
            self._sender.kick(incident_queue(request.incident_id))
        return moved

    def move_in(
        self,
        session: Session,
        request: ApprovalRequest,
        *,
        from_state: State,
        to_state: State,
        kind: EventKind,
        actor: str,
        not_expired_at: datetime | None = None,
        held_by: str | None = None,
        at: datetime | None = None,
        summary: Msg | None = None,
        **values: Any,
    ) -> bool:
        """The conditional move, its timeline event (with `summary`) and the redrawn message
        and card, together in the caller's transaction; False when the request was not in
        `from_state` (or had expired, or was another process's: see `queries.transition`).
        Every change of a request's state goes through here."""
        moved = queries.transition(
            session,
            request_id=request.id,
            from_state=from_state,
            to_state=to_state,
            not_expired_at=not_expired_at,
            held_by=held_by,
            **values,
        )
        if moved:
            record(
                session,
                incident_id=request.incident_id,
                kind=kind,
                actor=actor,
                at=at or self._clock(),
                data=self._event_data(request, summary),
            )
            self._redraw(session, request)
            redraw_card(self._sender, session, request.incident_id)
        return moved

    def cancel_pending(
        self, session: Session, *, incident_id: int, actor: str, at: datetime
    ) -> list[int]:
        """Cancel every request of the incident still waiting for approval (it is being
        resolved at `at`), in the resolve's own transaction: an approval that comes after
        finds the request cancelled, one that came before has already moved it on. Return
        their ids."""
        now = at
        cancelled = []
        for request in queries.pending_for(session, incident_id=incident_id):
            if self.move_in(
                session,
                request,
                from_state=State.PENDING,
                to_state=State.CANCELLED,
                kind=EventKind.REMEDIATION_CANCELLED,
                actor=actor,
                at=now,
                decided_by=actor,
                decided_at=now,
                finished_at=now,
            ):
                cancelled.append(request.id)
        return cancelled

    # -- executing ----------------------------------------------------------------------------
    def _execute(self, request_id: int, action: Action, extra: dict[str, Any]) -> None:
        """Run the previewed action (this process won the request), then record the outcome.
        It starts only if the request is still this process's to execute (not meanwhile
        marked interrupted): a conditional UPDATE, like every change of a request."""
        if not self._beat(request_id):
            current = self.get(request_id)
            raise Refused(f"approval.refused.{current.state}", id=request_id)
        request = self.get(request_id)
        self._sender.kick(incident_queue(request.incident_id))
        preview = Preview.model_validate(request.preview)
        # What an execution may say of itself as it goes (what it already sent), kept with the
        # request so an execution cut off midway still shows what it did.
        extra["progress"] = lambda partial: self._progress(request_id, partial)
        extra["incident_id"] = request.incident_id
        extra["store"] = self._store
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(request_id, stop), name="ailex-heartbeat", daemon=True
        )
        beat.start()
        try:
            outcome = action.execute(preview, self._settings, extra)
        except Exception:
            error_id = new_error_id()
            log.exception(
                "execution of %s #%s failed (error id %s)", action.key, request_id, error_id
            )
            outcome = Outcome(ok=False, summary=msg("error.internal", id=error_id))
        finally:
            stop.set()
            extra.clear()  # the new key, if any, lives no longer than the execution
        if outcome.ok and action.recheck_site:
            outcome = self._recheck_site(outcome)
        self._finish(request, action, outcome)

    def _beat(self, request_id: int, partial: Outcome | None = None) -> bool:
        """Say this process still executes the request (and, with `partial`, keep what it has
        done so far as the request's outcome); False when it no longer does (it was marked
        interrupted). The state stays `executing`: nothing is recorded."""
        extra: dict[str, Any] = (
            {"outcome": partial.model_dump(mode="json")} if partial is not None else {}
        )
        with self._store.write() as session:
            return queries.transition(
                session,
                request_id=request_id,
                from_state=State.EXECUTING,
                to_state=State.EXECUTING,
                held_by=self._executor,
                heartbeat_at=self._clock(),
                **extra,
            )

    def _progress(self, request_id: int, partial: Outcome) -> bool:
        """Keep what the execution has done so far (a customer notice, recipient by
        recipient): a heartbeat that carries the partial outcome."""
        return self._beat(request_id, partial)

    def _heartbeat(self, request_id: int, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            try:
                if not self._beat(request_id):
                    return  # marked interrupted: the heartbeat no longer touches it
            except Exception:
                log.warning("could not record the heartbeat of execution #%s", request_id)

    def _recheck_site(self, outcome: Outcome) -> Outcome:
        from probes.site import check_site

        future = self._loop.submit(
            check_site(url=self._settings.site_url, timeout=self._settings.probe_timeout)
        )
        try:
            finding = future.result(timeout=self._settings.probe_timeout + 1)
        except Exception:
            return outcome
        recheck = msg("approval.site_recheck", check=finding.summary.model_dump())
        data = {**outcome.data, "site_recheck": {"status": finding.status.value, **finding.data}}
        if finding.status != CheckStatus.FAIL:
            details = [*outcome.details, recheck]
            return outcome.model_copy(update={"details": details, "data": data})
        # It ran, and the site is still down: that is a failure, whatever the action said.
        summary = msg("approval.recheck_failed", check=finding.summary.model_dump())
        details = [msg("approval.ran_but", summary=outcome.summary.model_dump()), *outcome.details]
        return Outcome(ok=False, summary=summary, details=[*details, recheck], data=data)

    def _finish(self, request: ApprovalRequest, action: Action, outcome: Outcome) -> None:
        """Record the outcome: executing -> succeeded | failed, the event, the redrawn message
        and card (whose phase moves to 복구 확인 once something has been done)."""
        now = self._clock()
        state = State.SUCCEEDED if outcome.ok else State.FAILED
        kind = action.done_event if outcome.ok else EventKind.REMEDIATION_FAILED
        result = outcome.model_dump(mode="json")

        def done(session: Session, from_state: State, to_state: State, **values: Any) -> bool:
            return self.move_in(
                session,
                request,
                from_state=from_state,
                to_state=to_state,
                kind=kind,
                actor="bot",
                at=now,
                summary=outcome.summary,
                outcome=result,
                **values,
            )

        with self._store.write() as session:
            moved = done(session, State.EXECUTING, state, held_by=self._executor, finished_at=now)
            # Marked interrupted by a restart that thought this process dead: keep the
            # outcome, since it did run, but leave the state the restart recorded.
            if not moved and not done(session, State.INTERRUPTED, State.INTERRUPTED):
                log.warning("execution #%s finished in state it cannot leave", request.id)
        self._sender.kick(incident_queue(request.incident_id))

    # -- time ---------------------------------------------------------------------------------
    def expire_due(self) -> int:
        """Expire pending requests past their time; return how many."""
        with self._store.read() as session:
            due = [r.id for r in queries.pending_expired(session, now=self._clock())]
        return sum(1 for request_id in due if self._expire(request_id))

    def _expire(self, request_id: int) -> bool:
        now = self._clock()
        request = self.get(request_id)
        if request.expires_at > now:
            return False
        return self._move(
            request,
            from_state=State.PENDING,
            to_state=State.EXPIRED,
            kind=EventKind.REMEDIATION_EXPIRED,
            actor="bot",
            finished_at=now,
        )

    def recover(self, *, alive: Callable[[int], bool] = _process_alive) -> int:
        """Mark executions cut off by a crash as interrupted (never re-run them)."""
        now = self._clock()
        host = socket.gethostname()
        with self._store.read() as session:
            running = list(queries.executing(session))
        marked = 0
        for request in running:
            owner_host, _, pid = (request.executor or "").rpartition(":")
            dead_here = (
                owner_host == host
                and pid.isdigit()
                and int(pid) != os.getpid()
                and not alive(int(pid))
            )
            silent = request.heartbeat_at is None or now - request.heartbeat_at > HEARTBEAT_LOST
            if not (dead_here or silent):
                continue
            marked += self._move(
                request,
                from_state=State.EXECUTING,
                to_state=State.INTERRUPTED,
                kind=EventKind.REMEDIATION_INTERRUPTED,
                actor="bot",
                finished_at=now,
            )
        return marked

    # -- helpers ------------------------------------------------------------------------------
    def _refuse(
        self,
        request: ApprovalRequest,
        actor: Actor,
        refusal: UserError,
        *,
        expire: bool = False,
    ) -> None:
        """Record a refusal with the click's delivery taken in the same transaction (a repeated
        delivery raises Duplicate and records nothing); `expire`: the request is past its time
        and moves to expired in that transaction too."""
        with self._store.write() as session:
            claim(session, actor=actor, at=self._clock())
            expired = expire and self.move_in(
                session,
                request,
                from_state=State.PENDING,
                to_state=State.EXPIRED,
                kind=EventKind.REMEDIATION_EXPIRED,
                actor="bot",
                finished_at=self._clock(),
            )
            self._record_refusal_in(session, request, actor, refusal)
        if expired:
            self._sender.kick(incident_queue(request.incident_id))

    def _record_refusal_in(
        self, session: Session, request: ApprovalRequest, actor: Actor, refusal: UserError
    ) -> None:
        record(
            session,
            incident_id=request.incident_id,
            kind=EventKind.REMEDIATION_REFUSED,
            actor=actor.user_id,
            at=self._clock(),
            data=self._event_data(request, refusal.message),
        )

    def _redraw(self, session: Any, request: ApprovalRequest) -> None:
        self._sender.enqueue(
            session,
            queue=incident_queue(request.incident_id),
            op=Operation.APPROVAL_UPDATE,
            payload={"request_id": request.id},
            coalesce=True,
        )

    @staticmethod
    def _event_data(request: ApprovalRequest, summary: Msg | None = None) -> dict[str, Any]:
        return {
            "request_id": request.id,
            "action": request.action,
            # Arguments are deployment ids, on/off, an emergency deploy's reason: never secrets.
            "argument": request.argument or "",
            "summary": (summary or msg("approval.no_summary")).model_dump(),
        }
