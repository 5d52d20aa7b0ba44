"""The composition root: the core wired (settings, store, catalogue, renderer, the outbox and
the flows) and the app factory (settings, a Slack client and a store in, a ready Bolt app out).

The Slack handlers and the console call into one Core; they hold no business rules. Nothing
here runs at import time; `create_app` is the only way the bot is built, by `ailex serve`, by
the console and by the tests alike. This module and the CLI are the only ones that see every
layer.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.aio import BackgroundLoop
from bot.alerts.blocks import AlertRenderer
from bot.alerts.intake import Alerts
from bot.alerts.slack import AlertOperations
from bot.approvals.catalogue import (
    action_of,
    check_arguments,
    check_configured,
    check_not_drill,
    undoes,
)
from bot.approvals.engine import AlreadyPending, Approvals
from bot.clock import Clock, utc_now
from bot.clock.followups import FollowUps
from bot.clock.people import resolve_person
from bot.clock.reminders import Reminders
from bot.diagnosis.flows import Diagnoses, Diagnosis, run_checks, store_snapshot
from bot.errors import Duplicate, UserError
from bot.evidence.home import FollowupItem
from bot.evidence.slack import Evidence
from bot.evidence.stats import Figures
from bot.incidents.blocks import Renderer
from bot.incidents.flows import Actor, Incidents, take
from bot.incidents.live import Live, live_state
from bot.incidents.report import impact_started
from bot.logs import error_id
from bot.messages import Catalogue
from bot.settings import Settings, SettingsError
from bot.slack.doorbell import Doorbell
from bot.slack.operations import SlackOperations
from bot.slack.outbox import Sender
from bot.slack.people import People
from bot.text import escape
from storage import Store, deliveries
from storage.models import ApprovalRequest, Incident

log = logging.getLogger(__name__)

Role = Literal["all", "worker", "outbox"]

# How the core answers the person who asked, later (Bolt's `respond`: their response_url).
Reply = Callable[..., Any]

# Slack retries for minutes; a day is ample to recognise a repeated delivery.
DELIVERY_MEMORY = timedelta(days=1)
PRUNE_INTERVAL_S = 300
HOUSEKEEPING_TICK_S = 10
# A doorbell ring that names a stored alert to handle rather than a queue to send.
ALERT_RING = "alert!"
ALERT_POLL_S = 1.0
# How often the runbook's clock looks for due reminders (on the app's clock).
CLOCK_TICK_S = 1.0
# How long the outbox process lets a rung queue fill before sending it: a burst of notes then
# costs a run or two (and merged messages), not one lease and one record per note, at a few
# tens of ms of delivery (Slack itself takes about one message a second in a channel).
OUTBOX_GATHER_S = 0.03


class Core:
    """Everything the edges (Slack, console, CLI) call into."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        client: WebClient,
        clock: Clock = utc_now,
        workers: int = 16,
        role: Role = "all",
        doorbell: Doorbell | None = None,
        outbox_target: str = "slack",
    ) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.clock = clock
        self.t = Catalogue(settings.locale)
        self.zone = settings.zone
        self.render = Renderer(t=self.t, zone=self.zone, clock=clock)
        # `ailex serve` splits the work: request workers record and answer ("worker"), one
        # low-priority process sends to Slack and keeps house ("outbox"). Everywhere else one
        # process does both ("all").
        self.role = role
        self._doorbell = doorbell
        self.sender = Sender(
            store=store,
            client=client,
            clock=clock,
            remote=doorbell if role == "worker" else None,
            target=outbox_target,
            gather=OUTBOX_GATHER_S if role == "outbox" else 0.0,
        )
        # Display names for what Slack does not render (the report's Markdown file).
        self.people = People(client, clock=clock)
        SlackOperations(
            store=store,
            renderer=self.render,
            clock=clock,
            approvers=settings.approvers,
            people=self.people,
            oncall=settings.oncall,
        ).register(self.sender)
        self.incidents = Incidents(store=store, sender=self.sender, settings=settings, clock=clock)
        self.loop = BackgroundLoop()
        self.diagnoses = Diagnoses(
            store=store, sender=self.sender, settings=settings, clock=clock, loop=self.loop
        )
        self.approvals = Approvals(
            store=store, sender=self.sender, settings=settings, clock=clock, loop=self.loop
        )
        # Resolving cancels whatever still waits for approval, in the resolve's transaction.
        self.incidents.on_resolve(self.approvals.cancel_pending)
        self._work = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ailex-work")
        self.alerts = Alerts(
            store=store,
            sender=self.sender,
            settings=settings,
            clock=clock,
            incidents=self.incidents,
            diagnoses=self.diagnoses,
            spawn=self.spawn,
            stored=self._alert_stored,
        )
        AlertOperations(
            store=store,
            renderer=self.render,
            alerts=AlertRenderer(t=self.t, zone=self.zone, clock=clock),
            alert_channel=settings.alert_channel,
            oncall=settings.oncall,
        ).register(self.sender)
        self.evidence = Evidence(
            store=store, sender=self.sender, clock=clock, t=self.t, zone=self.zone
        )
        self.evidence.register(self.sender)
        # The runbook's clock (SPEC 7): reminders, follow-ups, hand-over.
        self.reminders = Reminders(store=store, sender=self.sender, settings=settings, clock=clock)
        self.reminders.register(self.sender)
        self.followups = FollowUps(store=store, sender=self.sender, settings=settings, clock=clock)
        self.followups.register(self.sender)
        self.incidents.on_resolve(self.followups.from_resolve)
        self._clock_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None
        self._alert_poll: threading.Thread | None = None
        self._inflight = 0
        self._inflight_lock = threading.Lock()

    def spawn(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run work after the acknowledgement; a failure is logged with an id, never lost."""

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("background work %s failed (error id %s)", _name(fn), error_id())
                return None
            finally:
                with self._inflight_lock:
                    self._inflight -= 1

        with self._inflight_lock:
            self._inflight += 1
        return self._work.submit(run)

    def _alert_stored(self, alert_id: int) -> None:
        """Have a stored alert handled after its answer: by the outbox process when this is a
        request worker of `ailex serve` (its CPU is the answers'), else here."""
        if self.role == "worker" and self._doorbell is not None:
            self._doorbell.ring(f"{ALERT_RING}{alert_id}")
            return
        self.spawn(self.alerts.handle, alert_id)

    def _on_ring(self, name: str) -> None:
        """A worker rang the outbox process: a queue to send, or an alert to handle."""
        if name.startswith(ALERT_RING):
            alert_id = name[len(ALERT_RING) :]
            if alert_id.isdigit():
                self.spawn(self.alerts.handle, int(alert_id))
            return
        self.sender.kick(name)

    def busy(self) -> bool:
        """Whether work spawned after an acknowledgement is still running or queued."""
        with self._inflight_lock:
            return self._inflight > 0 or not self.sender.idle()

    def take(self, actor: Actor) -> None:
        """Take a delivery that changes nothing stored (a button that opens a form); raise
        Duplicate when Slack delivered it before."""
        take(self.store, actor=actor, at=self.clock())

    def live(self, incident_id: int) -> Live:
        """What is in effect in the incident now (the card's live state)."""
        with self.store.read() as session:
            return live_state(session, incident_id=incident_id)

    def request_link(self, request: ApprovalRequest) -> str:
        """A link to an approval request's message (Slack's permalink), else its channel."""
        if request.channel_id and request.message_ts:
            try:
                answer = self.client.chat_getPermalink(
                    channel=request.channel_id, message_ts=request.message_ts
                )
                url = answer.get("permalink")
                if isinstance(url, str) and url.startswith("https://"):
                    return f"<{url}|#{request.id}>"
            except Exception:
                log.warning("no permalink for approval request #%s", request.id)
        if request.channel_id:
            return self.t("approval.link_in_channel", id=request.id, channel=request.channel_id)
        return f"#{request.id}"

    def contacts(self) -> tuple[str, list[dict[str, Any]]]:
        """The runbook's emergency contacts with each provider's live status."""
        from bot.diagnosis.contacts import contacts_message

        return contacts_message(self.settings, self.t, self.loop)

    # -- evidence and figures (SPEC 9): bot/evidence/ --------------------------------------
    def stats(self, days: int) -> Figures:
        """The statistics of the last `days` days."""
        return self.evidence.figures(days=days)

    def post_stats(self, *, channel_id: str, days: int) -> None:
        """Owe the channel the last `days` days' figures and their chart."""
        self.evidence.owe_stats(channel_id=channel_id, days=days)

    def open_followups(self, user_id: str) -> list[FollowupItem]:
        """The viewer's open follow-ups (재발 방지 대책 they own), for the home tab."""
        return [
            FollowupItem(
                incident_id=row.incident_id,
                text=row.text,
                due=date.fromisoformat(row.due_date) if row.due_date else None,
            )
            for row in self.followups.open_for(user_id)
        ]

    def publish_home(self, user_id: str) -> bool:
        """Publish the viewer's App Home tab; True when Slack took it."""
        return self.evidence.publish_home(
            self.client, user_id=user_id, followups=self.open_followups(user_id)
        )

    # -- flows the edges start: a command, a button and a form ask for the same thing ------
    def incident_here(self, actor: Actor) -> Incident:
        """The incident whose channel the actor is in; UserError when there is none."""
        incident = self.incidents.for_channel(actor.channel_id)
        if incident is None:
            raise UserError("error.not_incident_channel")
        return incident

    def card_here(self, actor: Actor) -> tuple[Incident, str, list[dict[str, Any]]]:
        """`incident_here`'s incident and its card (text, blocks), read at once."""
        found = self.incidents.with_card_state(actor.channel_id)
        if found is None:
            raise UserError("error.not_incident_channel")
        incident, kinds, live = found
        return (incident, *self.render.card(incident, kinds, live))

    def resolve_unless_failing(self, *, incident_id: int, actor: Actor, cause: str) -> Live | None:
        """Resolve with `cause`, unless the incident's last diagnosis still fails: then change
        nothing and return what is in effect, so that the user is asked first."""
        live = self.live(incident_id)
        if live.still_failing:
            return live
        self.incidents.resolve(incident_id=incident_id, actor=actor, cause=cause)
        return None

    def start_diagnosis(self, scenario: str, actor: Actor) -> bool:
        """Record the diagnosis (in this channel's incident, if any), then run it after the ack;
        True when it went into an incident's timeline."""
        incident = self.incidents.for_channel(actor.channel_id)
        run_id = self.diagnoses.start(scenario=scenario, actor=actor, incident=incident)
        self.spawn(self.diagnoses.run, run_id)
        return incident is not None

    def request_remediation(
        self,
        args: list[str],
        actor: Actor,
        respond: Reply | None,
        trigger_id: str | None,
    ) -> str | None:
        """Ask for `remediate <action> [argument]` in this channel's incident: the preview is
        prepared after the ack; return what to tell the user now (None: a form opens instead)."""
        incident = self.incident_here(actor)
        action = action_of(args[0])
        check_arguments(action, args[1:])
        argument = " ".join(args[1:]).strip() or None
        if incident.resolved_at is not None and not undoes(action, argument):
            raise UserError("error.incident_resolved", id=incident.id)
        check_not_drill(action, incident)
        check_configured(action, self.settings)
        if action.needs_approval:
            try:
                self.approvals.check_not_pending(
                    incident_id=incident.id, action=action, actor=actor
                )
            except AlreadyPending as error:
                if respond is None:  # a form: its answer is the form's next view
                    return self.t(
                        "approval.already_pending_link", link=self.request_link(error.pending)
                    )
                self.spawn(self._refuse_pending, error, respond)
                return None
        name = self.t(f"action.{action.key}")
        if action.reason_required and not argument:
            if not trigger_id:
                raise UserError("approval.reason_required", action=name)
            self.spawn(
                self.client.views_open,
                trigger_id=trigger_id,
                view=self.render.reason_modal(
                    action=action.key, name=name, channel_id=actor.channel_id
                ),
            )
            return None
        self.spawn(self._request, action.key, argument, actor, respond)
        key = "approval.preparing" if action.needs_approval else "approval.running"
        return self.t(key, action=name)

    def _request(
        self, action_key: str, argument: str | None, actor: Actor, respond: Reply | None
    ) -> None:
        """Prepare the preview and post the request; tell the requester when it cannot be
        asked."""
        try:
            incident = self.incident_here(actor)
            result = self.approvals.request(
                action=action_of(action_key), argument=argument, actor=actor, incident=incident
            )
        except Duplicate:
            return
        except AlreadyPending as error:
            self._refuse_pending(error, respond)
            return
        except UserError as error:
            text = self.t.render(error.message)
        else:
            if result.blocked is not None:
                text = self.t(
                    "approval.blocked", reason=self.t.render(result.blocked, user_text=escape)
                )
            else:
                return
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)

    def _refuse_pending(self, error: AlreadyPending, respond: Reply | None) -> None:
        """Say that the same action already waits for approval, with a link to that request."""
        text = self.t("approval.already_pending_link", link=self.request_link(error.pending))
        if respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)

    def open_resolve_modal(
        self,
        incident_id: int,
        trigger_id: str,
        actor: Actor,
        respond: Reply | None,
        *,
        edit: bool = False,
    ) -> None:
        """Open the 원인/조치/재발 방지 form (`edit`: again, filled with what the report says);
        when Slack will not, say how to do without it."""
        incident = self.incidents.get(incident_id)
        if incident is None:
            return
        started = impact_started(self.incidents.events(incident_id))
        try:
            self.client.views_open(
                trigger_id=trigger_id,
                view=self.render.resolve_modal(
                    incident, channel_id=actor.channel_id, edit=edit, impact_started=started
                ),
            )
        except Exception:
            if respond is not None:
                key = "error.edit_modal_failed" if edit else "error.modal_failed"
                respond(text=self.t(key), response_type="ephemeral")
            raise

    def start(self) -> None:
        """Mark executions a crash cut off as interrupted, then start the background loops:
        the outbox sender and housekeeping (expiry, snapshots, pruning). A request worker
        starts none: its outbox process does that."""
        if self.role == "worker":
            return
        self.approvals.recover()
        self.sender.start()
        if self.role == "outbox" and self._doorbell is not None:
            self._doorbell.listen(self._on_ring, self._stop)
        if self._maintenance is None:
            self._maintenance = threading.Thread(
                target=self._housekeeping, name="ailex-housekeeping", daemon=True
            )
            self._maintenance.start()
        if self._clock_thread is None:
            self._clock_thread = threading.Thread(
                target=self._keep_clock, name="ailex-clock", daemon=True
            )
            self._clock_thread.start()
        if self.role == "outbox" and self._alert_poll is None:
            # The workers' rings are datagrams: one lost (or sent before this process
            # listened) must not leave an alert waiting for housekeeping's next round.
            self._alert_poll = threading.Thread(
                target=self._poll_alerts, name="ailex-alerts", daemon=True
            )
            self._alert_poll.start()

    def _keep_clock(self) -> None:
        while not self._stop.wait(CLOCK_TICK_S):
            try:
                self.clock_due()
            except Exception:
                log.exception("clock: looking for due reminders failed; will try again")

    def clock_due(self) -> int:
        """Send what the runbook's clock has due now (reminders, follow-up messages), once
        across every replica; how many this call queued."""
        return self.reminders.tick() + self.followups.notify_due()

    def person(self, word: str, *, usage: str) -> str:
        """The user id a command's `<@U…>`, `<@U…|name>` or `@name` names (UserError else)."""
        return resolve_person(self.client, word, usage=self.t(f"help.{usage}"))

    def _poll_alerts(self) -> None:
        while not self._stop.wait(ALERT_POLL_S):
            try:
                self.alerts.handle_orphans(older_than=timedelta(0))
            except Exception:
                log.exception("alerts: handling unhandled alerts failed; will try again")

    def _housekeeping(self) -> None:
        last_prune = 0.0
        while not self._stop.wait(HOUSEKEEPING_TICK_S):
            for task in (
                self.approvals.expire_due,
                self.approvals.recover,
                self.snapshot_due,
                self.alerts.handle_orphans,
            ):
                try:
                    task()
                except Exception:
                    log.exception("housekeeping: %s failed; will try again", _name(task))
            if time.monotonic() - last_prune > PRUNE_INTERVAL_S:
                last_prune = time.monotonic()
                try:
                    with self.store.write() as session:
                        deliveries.prune(session, before=self.clock() - DELIVERY_MEMORY)
                except Exception:
                    log.exception("housekeeping: pruning failed; will try again")

    def snapshot_due(self) -> bool:
        """Take the scheduled row-count snapshot of the product tables, once per interval
        across every replica; True when this call took it."""
        interval = self.settings.snapshot_interval_minutes
        if not interval or not self.settings.supabase_db_url:
            return False
        slot = int(self.clock().timestamp() // (interval * 60))
        try:
            self.take(Actor(user_id="bot", channel_id="", delivery_key=f"snapshot:{slot}"))
        except Duplicate:
            return False
        inputs = self.diagnoses.inputs(with_snapshot=True)
        outcomes = run_checks(self.loop, ["table_counts"], inputs)
        diagnosis = Diagnosis("data-loss", 0, list(outcomes.values()))
        with self.store.write() as session:
            store_snapshot(session, diagnosis, self.clock(), source="schedule")
        return True

    def close(self) -> None:
        """Stop background work and let queued work finish."""
        self._stop.set()
        self.sender.stop()
        self._work.shutdown(wait=True)
        self.loop.stop()


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))


class _BoltTokenNotice(logging.Filter):
    """Drops Bolt's start-up notice that SLACK_BOT_TOKEN in the environment is unused: the
    bot gives Bolt its client on purpose (the token goes through `authorize`). Bolt's warning
    of a request no listener takes (the whole body, then a page of suggested code) becomes
    one line naming what it was, without the body (it carries the response_url)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "will be unused" in message:
            return False
        if message.startswith("Unhandled request"):
            record.msg, record.args = "unhandled Slack request: %s", (_kind_of(message),)
        return True


def _kind_of(message: str) -> str:
    """What an unhandled request was (its type, command or callback), from Bolt's warning."""
    found = re.search(r"'(?:type|command)': '([\w./-]{1,60})'", message)
    return found.group(1) if found else "unknown"


@dataclass
class Bot:
    """A built bot: the Bolt app and the core behind it."""

    app: App
    core: Core

    def start(self) -> None:
        """Start background work (the outbox sender, housekeeping)."""
        self.core.start()

    def dispatch(
        self, raw_body: str, *, headers: Mapping[str, str | Sequence[str]]
    ) -> BoltResponse:
        """Answer one HTTP body as Slack would post it (parsed by the Slack edge, then through
        the Bolt app and its signature check): how the console talks to the bot."""
        from handlers.edge import slack_request

        return self.app.dispatch(slack_request(raw_body, headers=headers))

    def close(self) -> None:
        self.core.close()


def create_app(
    *,
    settings: Settings,
    client: WebClient,
    store: Store,
    clock: Clock = utc_now,
    signing_secret: str | None = None,
    socket_mode: bool = False,
    role: Role = "all",
    doorbell: Doorbell | None = None,
    outbox_target: str = "slack",
) -> Bot:
    """Build the bot. The store must be migrated (Store.migrate) before requests arrive.

    Over HTTP every request must carry Slack's signature; only Socket Mode, whose requests
    come down the bot's own authenticated connection, goes without a signing secret."""
    from handlers import register_all

    secret = signing_secret or (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if secret is None and not socket_mode:
        raise SettingsError("SLACK_SIGNING_SECRET", problem="missing")
    core = Core(
        settings=settings,
        store=store,
        client=client,
        clock=clock,
        role=role,
        doorbell=doorbell,
        outbox_target=outbox_target,
    )
    token = client.token

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # One workspace and one bot token: no auth.test round trip (it would make every
        # command depend on Slack answering it, even commands that only record).
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    # Bolt builds each request's client from `authorize`; the one it is given carries only the
    # base URL and retry policy (a token there would be ignored, with a warning).
    bolt_client = WebClient(
        base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers
    )
    bolt_logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _BoltTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_BoltTokenNotice())
    app = App(
        client=bolt_client,
        signing_secret=secret,
        authorize=authorize,
        request_verification_enabled=secret is not None,
        # Listeners acknowledge at once and hand slow work to the core's workers, so running
        # them before the response costs nothing and skips Bolt's ack polling.
        process_before_response=True,
        ignoring_self_events_enabled=False,
        url_verification_enabled=True,
        logger=bolt_logger,
    )
    register_all(app, core)
    return Bot(app=app, core=core)
