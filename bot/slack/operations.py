"""What each outbox message does in Slack. Each operation is safe to run again after a crash."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.approvals.blocks import render_request
from bot.clock import Clock
from bot.customers.blocks import customer_buttons
from bot.diagnosis.blocks import render_run
from bot.incidents.blocks import Renderer
from bot.incidents.channels import channel_name
from bot.incidents.flows import record
from bot.incidents.live import Live, card_state, live_state
from bot.incidents.report import (
    chain_line,
    is_user,
    people_in,
    render_markdown,
    report_filename,
)
from bot.incidents.vocabulary import EventKind
from bot.slack.blocks import MESSAGE_BLOCK_LIMIT, Blocks, chunked_sections, context, header
from bot.slack.client import SLACK_TIMEOUT_S, classify, slack_error
from bot.slack.outbox import Operation, Sender
from bot.slack.people import People, fallback
from bot.text import escape
from storage import Store, approvals, diagnoses, followups, incidents, timeline
from storage.models import ApprovalRequest, CheckResult, DiagnosisRun, Incident, TimelineEvent

log = logging.getLogger(__name__)

# conversations.create errors that another name can fix.
_NAME_ERRORS = {"name_taken", "invalid_name", "invalid_name_specials", "invalid_name_punctuation"}
_NAME_ATTEMPTS = 20
# Pages of conversations.list read when looking for a channel by name.
_LIST_PAGES = 20
# Errors of conversations.invite that leave nothing to do.
_INVITE_DONE = {"already_in_channel", "cant_invite_self"}
_PIN_DONE = {"already_pinned", "not_pinnable"}
# Sections of the report message (with its header and notes, within Slack's 50 blocks).
_REPORT_SECTIONS = 45
# Notices that consecutive ones of an incident go out as one message: a burst of notes in a
# busy channel, which Slack would throttle at about one message a second.
_MERGEABLE = {"notice.note"}
# A merged message's text (the notes' lines) stays within the 4,000 characters Slack advises
# for chat.postMessage; its blocks are then far from the undocumented total Slack refuses
# with msg_blocks_too_long (near 12,000 characters: slackapi/bolt-js #2509, #2867).
_MERGED_TEXT_LIMIT = 4000


class Undeliverable(Exception):
    """The message has nowhere to go (its incident has no channel yet)."""


class SlackOperations:
    """The outbox operations of the incident flows."""

    def __init__(
        self,
        *,
        store: Store,
        renderer: Renderer,
        clock: Clock,
        approvers: list[str],
        people: People | None = None,
        oncall: list[str] | None = None,
    ) -> None:
        self._oncall = oncall or []
        self._store = store
        self._render = renderer
        self._clock = clock
        self._approvers = approvers
        self._bot_user_id: str | None = None
        self._people = people

    def register(self, sender: Sender) -> None:
        sender.register(Operation.CHANNEL_CREATE, self.create_channel)
        sender.register(Operation.CARD_POST, self.post_card)
        sender.register(Operation.CARD_UPDATE, self.update_card)
        sender.register(Operation.MESSAGE_POST, self.post_message, merge=self.merge_messages)
        sender.register(Operation.RESPOND, self.respond)
        sender.register(Operation.REPORT_MESSAGE, self.post_report_message)
        sender.register(Operation.REPORT_FILE, self.upload_report_file)
        sender.register(Operation.DIAGNOSIS_POST, self.post_diagnosis)
        sender.register(Operation.DIAGNOSIS_UPDATE, self.update_diagnosis)
        sender.register(Operation.DIAGNOSIS_RESPOND, self.respond_diagnosis)
        sender.register(Operation.APPROVAL_POST, self.post_approval)
        sender.register(Operation.APPROVAL_UPDATE, self.update_approval)
        sender.register(Operation.LEFTOVERS_POST, self.post_leftovers)

    # -- helpers ------------------------------------------------------------------------------
    def _incident(self, incident_id: int) -> Incident:
        with self._store.read() as session:
            incident = incidents.get(session, incident_id=incident_id)
        if incident is None:
            raise Undeliverable(f"incident {incident_id} is gone")
        return incident

    def _live(self, incident_id: int) -> Live:
        with self._store.read() as session:
            return live_state(session, incident_id=incident_id)

    def _card(self, incident: Incident) -> tuple[str, list[dict[str, Any]]]:
        with self._store.read() as session:
            kinds, live = card_state(session, incident_id=incident.id)
        return self._render.card(incident, kinds, live)

    @staticmethod
    def _channel(incident: Incident) -> str:
        if not incident.channel_id:
            raise Undeliverable(f"incident {incident.id} has no channel")
        return incident.channel_id

    # -- operations ---------------------------------------------------------------------------
    def create_channel(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Create inc-YYYYMMDD-<slug> (another name on a collision), invite the declarer."""
        incident = self._incident(payload["incident_id"])
        if not incident.channel_id:
            incident = self._create(client, incident, payload.get("response_url"))
        if not incident.channel_id:
            raise Undeliverable(f"incident {incident.id} has nowhere to live")
        # The declarer; for an incident an alert opened, the on-call people (a user group
        # cannot be invited: the alert's announcement mentions it).
        users = (
            [incident.declared_by]
            if not incident.alert_source
            else [user for user in self._oncall if is_user(user)]
        )
        if users:
            try:
                client.conversations_invite(channel=incident.channel_id, users=",".join(users))
            except SlackApiError as exc:
                error = slack_error(exc)
                if error not in _INVITE_DONE:
                    if classify(exc).transient:
                        raise
                    # The channel is made; someone not invited can still join it.
                    log.warning("could not invite %s to incident %s: %s", users, incident.id, error)
        return {"channel": incident.channel_id, "name": incident.channel_name}

    def _create(self, client: WebClient, incident: Incident, response_url: str | None) -> Incident:
        date = incident.started_at.astimezone(self._render.zone).strftime("%Y%m%d")
        created: dict[str, Any] | None = None
        error: str | None = None
        attempt, ascii_only = 1, False
        for _ in range(_NAME_ATTEMPTS):
            name = channel_name(
                title=incident.title,
                date=date,
                incident_id=incident.id,
                attempt=attempt,
                ascii_only=ascii_only,
            )
            try:
                created = client.conversations_create(name=name, is_private=False)["channel"]
                break
            except Exception as exc:
                error = slack_error(exc)
                failure = classify(exc)
                if error == "name_taken" or (failure.transient and error != "ratelimited"):
                    # The name may be ours already: a create Slack carried out but answered
                    # after we stopped waiting (then a retry is told name_taken).
                    created = self._made_for(client, incident, name)
                    if created is not None:
                        break
                if error == "name_taken":
                    attempt += 1
                    continue
                if error == "invalid_name_specials" and not ascii_only:
                    ascii_only = True  # this workspace wants Latin letters: romanise
                    continue
                if error in _NAME_ERRORS:
                    attempt += 1
                    continue
                if failure.transient:
                    raise
                if not isinstance(exc, SlackApiError):
                    raise
                break
        now = self._clock()
        with self._store.write() as session:
            current = incidents.get(session, incident_id=incident.id, for_update=True)
            assert current is not None
            if created is not None:
                current.channel_id = created["id"]
                current.channel_name = created.get("name", name)
                record(
                    session,
                    incident_id=current.id,
                    kind=EventKind.CHANNEL_CREATED,
                    actor="bot",
                    at=now,
                    data={"channel": current.channel_id, "name": current.channel_name},
                )
            else:
                # No channel can be made (a missing scope, a workspace policy): the incident
                # lives where it was declared rather than nowhere.
                current.channel_id = current.origin_channel_id or None
                record(
                    session,
                    incident_id=current.id,
                    kind=EventKind.CHANNEL_FAILED,
                    actor="bot",
                    at=now,
                    data={"error": error or "unknown"},
                )
            incident = current
        if created is not None and response_url:
            self._announce_in_origin(response_url, incident)
        return incident

    def _made_for(self, client: WebClient, incident: Incident, name: str) -> dict[str, Any] | None:
        """The channel called `name` if the bot made it and no other incident has it (an
        earlier create of this incident's channel that Slack answered too late)."""
        try:
            if self._bot_user_id is None:
                self._bot_user_id = str(client.auth_test().get("user_id") or "")
            cursor = None
            for _ in range(_LIST_PAGES):
                page = client.conversations_list(
                    types="public_channel",
                    exclude_archived=True,
                    limit=1000,
                    **({"cursor": cursor} if cursor else {}),
                )
                for channel in page.get("channels") or []:
                    if channel.get("name") == name:
                        return channel if self._unclaimed(channel, incident) else None
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except Exception as exc:  # the lookup is best effort; the create is retried
            log.warning("could not look up channel %s: %s", name, exc)
        return None

    def _unclaimed(self, channel: dict[str, Any], incident: Incident) -> bool:
        if not self._bot_user_id or channel.get("creator") != self._bot_user_id:
            return False
        with self._store.read() as session:
            other = incidents.for_channel(session, channel_id=str(channel.get("id")))
        return other is None or other.id == incident.id

    def _announce_in_origin(self, response_url: str, incident: Incident) -> None:
        text = self._render.t(
            "declare.announce",
            severity=incident.severity,
            id=incident.id,
            title=escape(incident.title),
            channel=incident.channel_id,
        )
        try:
            WebhookClient(response_url, timeout=SLACK_TIMEOUT_S).send_dict(
                {"response_type": "in_channel", "text": text}
            )
        except Exception:  # the announcement is a courtesy; the incident is in its channel
            log.warning("could not announce incident %s in its origin channel", incident.id)

    def post_card(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Post the incident card in its channel and pin it."""
        incident = self._incident(payload["incident_id"])
        channel = self._channel(incident)
        if incident.card_ts:
            return self.update_card(client, payload) or {}
        text, blocks = self._card(incident)
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        ts = answer["ts"]
        with self._store.write() as session:
            current = incidents.get(session, incident_id=incident.id, for_update=True)
            assert current is not None
            current.card_ts = ts
        try:
            client.pins_add(channel=channel, timestamp=ts)
        except SlackApiError as exc:
            if slack_error(exc) not in _PIN_DONE:
                log.warning("could not pin the card of incident %s: %s", incident.id, exc)
        return {"channel": channel, "ts": ts}

    def update_card(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Redraw the card from the incident as it is now."""
        incident = self._incident(payload["incident_id"])
        if not incident.card_ts or not incident.channel_id:
            return None  # the card is not posted yet; card.post will draw it as it is then
        text, blocks = self._card(incident)
        client.chat_update(
            channel=incident.channel_id, ts=incident.card_ts, text=text, blocks=blocks
        )
        return {"channel": incident.channel_id, "ts": incident.card_ts}

    def post_message(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Post a catalogue message (or ready blocks) in the incident's channel."""
        incident = self._incident(payload["incident_id"])
        channel = self._channel(incident)
        if "blocks" in payload:
            text, blocks = payload["text"], payload["blocks"]
        else:
            text, blocks = self._render.notice(payload["key"], **payload.get("params", {}))
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return {"channel": channel, "ts": answer["ts"]}

    def merge_messages(self, payloads: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
        """Consecutive notes of one incident as one message while Slack's limits allow, each
        drawn as it is alone; every other message stands for itself."""
        merged: list[tuple[dict[str, Any], int]] = []
        notes: list[tuple[str, Blocks]] = []  # the message being filled
        incident_id = None

        def close() -> None:
            if notes:
                text = "\n".join(text for text, _ in notes)
                blocks = [block for _, drawn in notes for block in drawn]
                merged.append(
                    ({"incident_id": incident_id, "text": text, "blocks": blocks}, len(notes))
                )
                notes.clear()

        for payload in payloads:
            if payload.get("key") not in _MERGEABLE or "blocks" in payload:
                close()
                merged.append((payload, 1))
                continue
            text, blocks = self._render.notice(payload["key"], **payload.get("params", {}))
            if notes and (
                payload["incident_id"] != incident_id
                or sum(len(drawn) for _, drawn in notes) + len(blocks) > MESSAGE_BLOCK_LIMIT
                or sum(len(t) + 1 for t, _ in notes) + len(text) > _MERGED_TEXT_LIMIT
            ):
                close()
            incident_id = payload["incident_id"]
            notes.append((text, blocks))
        close()
        return merged

    def post_leftovers(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """After a resolve: what is still in effect, with buttons to undo it (nothing when
        nothing is left)."""
        incident = self._incident(payload["incident_id"])
        channel = self._channel(incident)
        live = self._live(incident.id)
        blocks = self._render.leftovers(incident, live, cancelled=payload.get("cancelled") or [])
        if not blocks:
            return None
        text = self._render.t("leftovers.fallback", id=incident.id)
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        return {"channel": channel, "ts": answer["ts"]}

    def respond(self, client: WebClient, payload: dict[str, Any]) -> None:
        """Answer through a response_url (ephemeral or in the channel)."""
        response = WebhookClient(payload["url"], timeout=SLACK_TIMEOUT_S).send_dict(payload["body"])
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectionError(f"response_url answered {response.status_code}")

    def post_report_message(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Post the report as a message and record that it was posted."""
        incident = self._incident(payload["incident_id"])
        channel = self._channel(incident)
        with self._store.read() as session:
            events = timeline.for_incident(session, incident_id=incident.id)
        markdown = self._markdown(incident, events=events)
        text = self._render.t("report.posted", id=incident.id, title=escape(incident.title))
        blocks = [header(self._render.t("report.header", id=incident.id))]
        sections = chunked_sections(_markdown_to_mrkdwn(markdown).splitlines())
        if len(sections) > _REPORT_SECTIONS:
            # Slack takes 50 blocks a message: say where it stops; the file has it all.
            blocks += sections[: _REPORT_SECTIONS - 1]
            blocks.append(context(self._render.t("report.shortened")))
        else:
            blocks += sections
        blocks.append(context(self._render.t("report.file_note")))
        # The head, out of the database's reach (SPEC 9): whatever the sections' cut, and in
        # the notification text, a later edit with a recomputed chain still shows against it.
        chain = chain_line(events, self._render.t, head=lambda head: f"`{head}`")
        blocks.append(context(chain))
        text = f"{text}\n{chain}"
        if incident.resolved_at is not None and not incident.is_drill:
            # SPEC 8: after resolve, customers are told and sent the report, each approved
            # (never for a drill: it is not a real incident).
            blocks.append(customer_buttons(self._render.t))
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        with self._store.write() as session:
            record(
                session,
                incident_id=incident.id,
                kind=EventKind.REPORT_POSTED,
                actor="bot",
                at=self._clock(),
                data={"ts": answer["ts"]},
            )
        return {"channel": channel, "ts": answer["ts"]}

    def upload_report_file(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Upload the report as a Markdown file in the incident's channel."""
        incident = self._incident(payload["incident_id"])
        channel = self._channel(incident)
        filename = report_filename(incident, self._render.zone)
        answer = client.files_upload_v2(
            channel=channel,
            content=self._markdown(incident, names=True),
            filename=filename,
            title=self._render.t("report.file_title", id=incident.id),
        )
        files = answer.get("files") or [answer.get("file") or {}]
        return {"channel": channel, "file": (files[0] or {}).get("id")}

    # -- diagnoses ----------------------------------------------------------------------------
    def _run(self, run_id: int) -> tuple[DiagnosisRun, list[CheckResult]]:
        with self._store.read() as session:
            run = diagnoses.get_run(session, run_id=run_id)
            if run is None:
                raise Undeliverable(f"diagnosis {run_id} is gone")
            return run, list(diagnoses.results(session, run_id=run_id))

    def post_diagnosis(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Post the diagnosis message in the incident's channel (it fills in later)."""
        run, results = self._run(payload["run_id"])
        if run.message_ts:
            return self.update_diagnosis(client, payload) or {}
        if not run.channel_id and run.incident_id is not None:
            # Begun before its incident had a channel (an alert opened it): it goes where the
            # incident now lives.
            with self._store.write() as session:
                run.channel_id = diagnoses.adopt_channel(session, run_id=run.id)
        if not run.channel_id:
            raise Undeliverable(f"diagnosis {run.id} has no channel")
        text, blocks = render_run(run, results, self._render.t)
        answer = client.chat_postMessage(channel=run.channel_id, text=text, blocks=blocks)
        with self._store.write() as session:
            diagnoses.set_message(
                session, run_id=run.id, channel_id=run.channel_id, ts=answer["ts"]
            )
        return {"channel": run.channel_id, "ts": answer["ts"]}

    def update_diagnosis(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Redraw the diagnosis message with the results so far."""
        run, results = self._run(payload["run_id"])
        if not (run.message_ts and run.channel_id):
            return None
        text, blocks = render_run(run, results, self._render.t)
        client.chat_update(channel=run.channel_id, ts=run.message_ts, text=text, blocks=blocks)
        return {"channel": run.channel_id, "ts": run.message_ts}

    def respond_diagnosis(self, client: WebClient, payload: dict[str, Any]) -> None:
        """Answer a diagnosis asked for outside an incident, only to the person who asked."""
        run, results = self._run(payload["run_id"])
        if not run.response_url:
            return
        text, blocks = render_run(run, results, self._render.t)
        self.respond(
            client,
            {
                "url": run.response_url,
                "body": {"response_type": "ephemeral", "text": text, "blocks": blocks},
            },
        )

    # -- approval requests ----------------------------------------------------------------------
    def _request(self, request_id: int) -> ApprovalRequest:
        with self._store.read() as session:
            request = approvals.get(session, request_id=request_id)
        if request is None:
            raise Undeliverable(f"approval request {request_id} is gone")
        return request

    def post_approval(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any]:
        """Post the approval request (or the record of an action that needs none)."""
        request = self._request(payload["request_id"])
        if request.message_ts:
            return self.update_approval(client, payload) or {}
        incident = self._incident(request.incident_id)
        channel = self._channel(incident)
        text, blocks = render_request(request, self._render.t, self._render.zone, self._approvers)
        answer = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        with self._store.write() as session:
            approvals.place(
                session, request_id=request.id, channel_id=channel, message_ts=answer["ts"]
            )
        return {"channel": channel, "ts": answer["ts"]}

    def update_approval(self, client: WebClient, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Redraw the request message in its current state (approved, done, denied, ...)."""
        request = self._request(payload["request_id"])
        if not (request.message_ts and request.channel_id):
            return None
        text, blocks = render_request(request, self._render.t, self._render.zone, self._approvers)
        client.chat_update(
            channel=request.channel_id, ts=request.message_ts, text=text, blocks=blocks
        )
        return {"channel": request.channel_id, "ts": request.message_ts}

    def _markdown(
        self,
        incident: Incident,
        *,
        names: bool = False,
        events: Sequence[TimelineEvent] | None = None,
    ) -> str:
        """The report; `names`: people by their display names (a file, which Slack does not
        render mentions in), else as mentions (a message, where Slack shows their names)."""
        with self._store.read() as session:
            if events is None:
                events = timeline.for_incident(session, incident_id=incident.id)
            items = list(followups.of_incident(session, incident_id=incident.id))
        mention: Callable[[str], str] = lambda user: f"<@{user}>"  # noqa: E731
        if names:
            known = (
                self._people.names(people_in(incident, events)) if self._people is not None else {}
            )
            mention = lambda user: escape(known.get(user) or fallback(user))  # noqa: E731
        return render_markdown(
            incident,
            events,
            t=self._render.t,
            zone=self._render.zone,
            now=self._clock(),
            mention=mention,
            user_text=escape,
            followups=items,
        )


def _markdown_to_mrkdwn(markdown: str) -> str:
    """Headings as bold lines: Slack's mrkdwn has no '#'."""
    lines = []
    for line in markdown.splitlines():
        stripped = line.lstrip("#").strip()
        lines.append(f"*{stripped}*" if line.startswith("#") else line)
    return "\n".join(lines)
