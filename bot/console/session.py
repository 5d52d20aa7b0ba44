"""`ailex console`: the same bot in a terminal, with an in-process stand-in for Slack.

Each `/ailex ...` line becomes the signed request Slack would send and goes through the real
Bolt app (listeners, middleware, signature check); the bot talks to the stand-in with its real
WebClient; whatever a person would see in Slack is printed as text. It reads standard input,
so a drill can be scripted (`ailex console < drill.txt`), and ends cleanly at end of input.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlencode

from anyascii import anyascii
from pydantic import SecretStr
from slack_bolt.response import BoltResponse

from bot.app import Bot, create_app
from bot.clock import utc_now
from bot.console.standin import (
    APP_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    EventType,
    OpenView,
    SlackStandIn,
    StandInEvent,
)
from bot.console.terminal import (
    ButtonBook,
    InputField,
    RenderContext,
    Style,
    find_button,
    input_fields,
    plain,
    render_deleted,
    render_file,
    render_message,
    render_view,
)
from bot.incidents.channels import name_problem
from bot.logs import RedactingFormatter, Redactor
from bot.logs import error_id as new_error_id
from bot.messages import Catalogue
from bot.settings import Settings
from bot.slack.client import build_slack_client
from bot.slack.ids import SLASH_COMMAND, BlockId
from bot.slack.signing import signed_headers
from storage.errors import StoreError
from storage.urls import shown_url

log = logging.getLogger(__name__)

GENERAL = "general"
# Fixed, so incidents declared in #general stay there from one run to the next.
GENERAL_ID = "CGENERAL"
# A quiet spell after the last Slack call: the outbox's own loop may still be between two
# calls of one operation when the core already reports idle.
SETTLE_S = 0.1
POLL_S = 0.01
MAX_FORM_ROUNDS = 5


# A console line of the caller's own (a drill's `/drill heal`): the words after it in, the
# line to show out.
ExtraCommand = Callable[[str], str]


def run_console(settings: Settings, *, commands: Mapping[str, ExtraCommand] | None = None) -> int:
    """Run the console on stdin/stdout until end of input or /quit; 0 unless it cannot start.
    `commands`: extra `/word` lines the caller answers itself (a drill's operator commands)."""
    _reconfigure(sys.stdin)
    _reconfigure(sys.stdout)
    return Console(settings, stdin=sys.stdin, stdout=sys.stdout, commands=commands).run()


def user_id_for(name: str) -> str:
    """A Slack-shaped user id derived stably from a name: bob -> UBOB, 김철수 -> UGIMCHEOLSU."""
    letters = re.sub(r"[^A-Z0-9]", "", anyascii(name).upper())
    if len(letters) < 2:
        letters += uuid.uuid5(uuid.NAMESPACE_OID, name).hex[:6].upper()
    return "U" + letters[:20]


def _reconfigure(stream: TextIO) -> None:
    # Odd bytes in a drill file or a terminal that cannot show an emoji must not end the session.
    with contextlib.suppress(AttributeError, ValueError):
        stream.reconfigure(errors="replace")  # type: ignore[attr-defined]


LOG_FILE = "ailex-console.log"


class _Tally(logging.Handler):
    """Counts the warnings logged since the console last said so (it says so between lines,
    never in the middle of the conversation)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


def _configure_logging(secret_values: list[str]) -> tuple[str | None, _Tally]:
    """Logs go to a file beside the store (or the temp directory), not to the terminal the
    conversation is on; the returned tally lets the console mention them in its own words."""
    formatter = RedactingFormatter(Redactor(secret_values))  # a file: tracebacks help there
    handler: logging.Handler = logging.NullHandler()
    path: str | None = None
    for directory in (os.getcwd(), tempfile.gettempdir()):
        candidate = os.path.join(directory, LOG_FILE)
        try:
            handler = logging.FileHandler(candidate, encoding="utf-8", delay=False)
        except OSError:
            continue
        path = candidate
        break
    handler.setFormatter(formatter)
    tally = _Tally()
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.addHandler(tally)
    root.setLevel(logging.WARNING)
    return path, tally


@dataclass
class _Person:
    id: str
    name: str


class _Cancelled(Exception):
    """The person closed the form (or input ended)."""


class Console:
    """One console session: the stand-in, the bot, and the terminal between them."""

    def __init__(
        self,
        settings: Settings,
        *,
        stdin: TextIO,
        stdout: TextIO,
        commands: Mapping[str, ExtraCommand] | None = None,
    ) -> None:
        self.settings = settings
        self._commands = {word.lower(): run for word, run in (commands or {}).items()}
        self.t = Catalogue(settings.locale)
        self._in = stdin
        self._out = stdout
        self._interactive = _isatty(stdin)
        self._style = Style(color=_color_allowed(stdout))
        name = os.environ.get("USER") or "oncall"
        self._person = _Person(id=user_id_for(name), name=name)
        self._channel = GENERAL_ID
        self._buttons = ButtonBook()
        self._token = f"xoxb-console-{secrets.token_hex(12)}"
        self._secret = secrets.token_hex(24)
        self._standin = SlackStandIn(token=self._token, listener=self._on_event)
        self._bot: Bot | None = None
        self._eof = False
        # Events the stand-in reports; shown in order by the printer thread, or held back
        # while a request is dispatched so its acknowledgement comes first.
        self._inbox: deque[StandInEvent] = deque()
        self._wake = threading.Condition()
        self._holding = False
        self._stopping = False
        self._out_lock = threading.RLock()
        self._prompt: str | None = None
        self._tail = ""  # the last characters written, to keep one blank line between messages
        self._printer = threading.Thread(target=self._print_loop, name="console-out", daemon=True)
        self._log_path: str | None = None
        self._log_tally: _Tally | None = None

    # -- the session --------------------------------------------------------------------------
    def run(self) -> int:
        """Start, read lines until end of input or /quit, stop; never a traceback."""
        self._log_path, self._log_tally = _configure_logging(
            [self._token, self._secret, *self.settings.secret_values()]
        )
        try:
            try:
                self._start()
            except StoreError:  # the store does not answer: say which setting points at it
                url = shown_url(self.settings.database_url)
                print(self.t("cli.store_unreachable", url=url), file=sys.stderr)
                return 1
            except Exception as exc:  # a directory we cannot write
                print(self.t("console.start_failed", error=_one_line(exc)), file=sys.stderr)
                return 1
            while not self._eof:
                self._mention_logged_warnings()
                line = self._read(self._prompt_text())
                if line is None or not self._handle(line):
                    break
        except KeyboardInterrupt:
            self._write("")
        finally:
            self._stop()
        return 0

    def _start(self) -> None:
        from storage import Store

        self._standin.start()
        self._printer.start()
        store = Store(self.settings.database_url)
        store.migrate()
        settings = self.settings.model_copy(
            update={
                "slack_api_url": self._standin.api_url,
                "slack_bot_token": SecretStr(self._token),
                "slack_signing_secret": SecretStr(self._secret),
                "slack_app_token": None,
            }
        )
        client = build_slack_client(token=self._token, base_url=self._standin.api_url)
        # Its outbox messages are its own: a store shared with a live bot keeps the real
        # Slack's messages for the real Slack.
        self._bot = create_app(
            settings=settings,
            client=client,
            store=store,
            signing_secret=self._secret,
            outbox_target="console",
        )
        self._standin.add_user(self._person.id, self._person.name)
        self._standin.add_channel(GENERAL, channel_id=GENERAL_ID, members=[self._person.id])
        self._restore_workspace()
        self._write(self.t("console.banner", store=store.url.render_as_string(hide_password=True)))
        if self.settings.slack_bot_token is not None:
            self._write(self._style.dim(self.t("console.shared_store")))
        self._write(self.t("console.banner_where", channel=GENERAL, user=self._person.name))
        self._bot.start()
        self._settle()  # what the outbox still owed from an earlier session

    def _restore_workspace(self) -> None:
        """Put back the channels and cards of incidents from earlier sessions (same store)."""
        assert self._bot is not None
        core = self._bot.core
        for incident in core.incidents.list_all():
            if not incident.channel_id:
                continue
            name = incident.channel_name or incident.channel_id.lower()
            self._standin.add_channel(name, channel_id=incident.channel_id)
            if incident.card_ts:
                kinds = [event.kind for event in core.incidents.events(incident.id)]
                text, blocks = core.render.card(incident, kinds, core.live(incident.id))
                self._standin.seed_message(incident.channel_id, incident.card_ts, text, blocks)

    def _stop(self) -> None:
        if self._bot is not None:
            try:
                self._bot.close()
                self._bot.core.store.dispose()
            except Exception:
                log.warning("the bot did not close cleanly")
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._printer.is_alive():
            self._printer.join(timeout=5)
        self._drain(force=True)
        with contextlib.suppress(Exception):
            self._standin.stop()
        self._mention_logged_warnings()
        self._write(self._style.dim(self.t("console.bye")), gap=True)

    def _mention_logged_warnings(self) -> None:
        """Between lines: say that warnings went to the log file, and where."""
        count = self._log_tally.take() if self._log_tally is not None else 0
        if count:
            where = self._log_path or "-"
            self._write(self._style.dim(self.t("console.logged", count=count, path=where)))

    # -- lines --------------------------------------------------------------------------------
    def _handle(self, line: str) -> bool:
        """Do what one line says; False to end the session."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        if not self._interactive:
            # A scripted drill reads as a transcript.
            self._write(self._prompt_text() + text, gap=True)
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        try:
            if word.lower() in ("/quit", "/exit"):
                return False
            if word.lower() == SLASH_COMMAND:
                self._command(rest)
            elif word.isdigit():
                self._press(int(word))
            elif word.startswith("/"):
                self._meta(word.lower(), rest)
            else:
                self._write(self.t("console.hint"))
        except _Cancelled:
            pass
        except Exception:
            error_id = new_error_id()
            log.error("console line failed (error id %s)", error_id, exc_info=True)
            self._write(self.t("console.failed", id=error_id))
        return True

    def _meta(self, word: str, rest: str) -> None:
        if word in ("/help", "/?"):
            self._help()
        elif word == "/as":
            self._act_as(rest)
        elif word == "/join":
            self._join(rest)
        elif word == "/channels":
            self._list_channels()
        elif word == "/press":
            if rest.isdigit():
                self._press(int(rest))
            else:
                self._write(self.t("console.usage", usage="/press <N>"))
        elif word == "/cancel":
            self._write(self.t("console.nothing_open"))
        elif word in self._commands:
            self._write(self._commands[word](rest))
            self._settle()
        else:
            self._write(self.t("console.unknown_meta", word=word))

    def _help(self) -> None:
        t = self.t
        self._write(self._style.bold(t("console.help.title")))
        for key in ("ailex", "press", "as", "join", "channels", "cancel", "quit", "script"):
            self._write("  " + t(f"console.help.{key}"))

    def _act_as(self, name: str) -> None:
        name = name.strip().lstrip("@")
        if not name:
            self._write(self.t("console.usage", usage="/as <name>"))
            return
        self._person = _Person(id=user_id_for(name), name=name)
        self._standin.add_user(self._person.id, name)
        self._standin.join(GENERAL_ID, self._person.id)
        self._standin.join(self._channel, self._person.id)
        self._write(self.t("console.as", name=name, id=self._person.id))

    def _join(self, reference: str) -> None:
        name = reference.strip().lstrip("#")
        if not name:
            self._write(self.t("console.usage", usage="/join <#channel>"))
            return
        channel = self._standin.channel(name) or self._standin.channel_by_name(name)
        if channel is None:
            if name_problem(name):  # Slack's rule, the one the stand-in keeps
                self._write(self.t("console.bad_channel_name"))
                return
            channel = self._standin.add_channel(name, members=[self._person.id])
            self._write(self.t("console.created_channel", channel=channel.name))
        else:
            self._write(self.t("console.switched", channel=channel.name))
        self._standin.join(channel.id, self._person.id)
        self._channel = channel.id

    def _list_channels(self) -> None:
        channels = sorted(self._standin.channels(), key=lambda c: (c.id != GENERAL_ID, c.name))
        self._write(self._style.bold(self.t("console.channels_title", count=len(channels))))
        for channel in channels:
            here = f"  {self.t('console.current')}" if channel.id == self._channel else ""
            self._write(f"  #{channel.name}{here}")

    # -- requests to the bot --------------------------------------------------------------------
    def _command(self, text: str) -> None:
        """`/ailex <text>` as the form body Slack posts, signed, through the Bolt app."""
        person, channel = self._person, self._channel
        form = {
            "token": "console",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": self._standin.channel_name(channel) or channel,
            "user_id": person.id,
            "user_name": person.name,
            "command": SLASH_COMMAND,
            "text": _slack_escape(text),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._standin.new_response_url(channel=channel, user=person.id),
            "trigger_id": self._standin.new_trigger(person.id),
        }
        with self._held():
            response = self._dispatch(urlencode(form))
            self._show_ack(response, channel)
        self._after_request()

    def _press(self, number: int) -> None:
        """Press button [number] as the current person: a block_actions payload."""
        ref = self._buttons.get(number)
        if ref is None:
            self._write(self.t("console.no_button", number=number))
            return
        message = self._standin.message(ref.channel, ref.ts)
        found = find_button(message.blocks, ref.action_id, ref.value) if message else None
        if message is None or found is None:
            self._write(self.t("console.button_gone", number=number))
            return
        block, element = found
        person = self._person
        self._write(self.t("console.pressed", number=number, label=ref.label, user=person.name))
        channel = {"id": ref.channel, "name": self._standin.channel_name(ref.channel) or ""}
        payload: dict[str, Any] = {
            "type": "block_actions",
            **self._envelope(),
            "container": {
                "type": "message",
                "message_ts": ref.ts,
                "channel_id": ref.channel,
                "is_ephemeral": message.visible_to is not None,
            },
            "channel": channel,
            "response_url": self._standin.new_response_url(
                channel=ref.channel, user=person.id, message_ts=ref.ts
            ),
            "state": {"values": {}},
            "actions": [_action_payload(block, element, ref.value)],
        }
        if message.visible_to is None:  # Slack sends the message only when it is not ephemeral
            payload["message"] = {
                "type": "message",
                "ts": message.ts,
                "text": message.text,
                "blocks": message.blocks,
                "user": message.user,
            }
        with self._held():
            response = self._dispatch(urlencode({"payload": json.dumps(payload)}))
            if response.status != 200:
                self._write(self.t("console.refused", status=response.status))
        self._after_request()

    def _envelope(self) -> dict[str, Any]:
        """The fields every interaction payload carries: team, user, app, a fresh trigger."""
        person = self._person
        return {
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": {
                "id": person.id,
                "username": person.name,
                "name": person.name,
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "console",
            "trigger_id": self._standin.new_trigger(person.id),
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _dispatch(self, body: str) -> BoltResponse:
        """Through the Bolt app as an HTTP request would go, signed with this session's secret."""
        assert self._bot is not None
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self._bot.dispatch(body, headers={**headers, **signed_headers(self._secret, body)})

    def _show_ack(self, response: BoltResponse, channel: str) -> None:
        """A command's acknowledgement, shown as Slack shows it (ephemeral unless in_channel)."""
        if response.status != 200:
            self._write(self.t("console.refused", status=response.status))
            return
        body = _json_body(response)
        if body is None:  # ack("some text") answers plain text
            body = {"text": response.body.strip()} if response.body.strip() else {}
        text, blocks = str(body.get("text") or ""), body.get("blocks") or []
        if not text and not blocks:
            return
        if body.get("response_type") == "in_channel":
            message = self._standin.record_message(channel=channel, text=text, blocks=blocks)
        else:
            message = self._standin.record_ephemeral(
                channel=channel, user=self._person.id, text=text, blocks=blocks
            )
        self._show_message_lines(render_message(message, self._ctx(), buttons=self._buttons))

    def _after_request(self) -> None:
        """Wait for the bot to finish what the request started, then fill any form it opened."""
        self._settle()
        rounds = 0
        while (view := self._standin.open_view(self._person.id)) is not None:
            rounds += 1
            if rounds > MAX_FORM_ROUNDS:
                self._standin.close_views(self._person.id)
                break
            self._fill(view)
            self._settle()

    def _settle(self) -> None:
        """Return once the bot is idle and the outbox has nothing due: output stays in order."""
        assert self._bot is not None
        core = self._bot.core
        deadline = time.monotonic() + self.settings.probe_timeout + 10
        while time.monotonic() < deadline:
            idle = not core.busy() and core.sender.flush() == 0 and not core.busy()
            if idle and self._standin.quiet_for(SETTLE_S):
                break
            time.sleep(POLL_S)
        else:
            self._write(self._style.dim(self.t("console.still_working")))
        self._drain(force=True)

    # -- forms ----------------------------------------------------------------------------------
    def _fill(self, view: OpenView) -> None:
        """Ask for each input of the modal on its own line, submit it, show what came back."""
        ctx = self._ctx()
        fields = input_fields(view.view, ctx)
        if not fields:
            self._standin.close_view(view.id)
            return
        self._write(self._style.dim(self.t("console.modal_help")))
        answers: dict[str, dict[str, Any]] = {}
        try:
            for field in fields:
                answers[field.block_id] = {field.action_id: self._ask(field)}
            for _ in range(MAX_FORM_ROUNDS):
                errors = self._submit(view, answers)
                if not errors:
                    return
                labels = {field.block_id: field.label for field in fields}
                for block_id, error in errors.items():
                    label = labels.get(block_id, block_id)
                    self._write(self.t("console.modal_error", label=label, error=error))
                wrong = [field for field in fields if field.block_id in errors]
                if not wrong:
                    break  # nothing the person can fix here
                for field in wrong:
                    answers[field.block_id] = {field.action_id: self._ask(field)}
            self._cancel(view)
        except _Cancelled:
            self._cancel(view)
            raise

    def _ask(self, field: InputField) -> dict[str, Any]:
        """One field's answer as Slack's view state; required ones are asked twice at most."""
        if not field.supported:
            self._write(self.t("console.modal_unsupported", label=field.label))
            return field.state(None)
        label = field.label + (f" {self.t('console.optional')}" if field.optional else "")
        for index, (option_label, _) in enumerate(field.options, start=1):
            self._write(f"    {index}. {option_label}")
        if field.options:
            label += f" ({self.t('console.choose')})"
        if field.initial:
            label += " " + self._style.dim(self.t("console.keep", value=field.initial))
        secret = field.block_id == BlockId.SECRET
        for attempt in (1, 2):
            line = self._read(f"  {label}: ", secret=secret)
            if line is None or line.strip() == "/cancel":
                raise _Cancelled
            answer = line.strip()
            if not self._interactive:
                shown = "•" * len(answer) if secret else answer
                self._write(f"  {label}: {shown}".rstrip())
            if field.options:
                choice = self._choice(field, answer)
                if choice is not None or (field.optional and not answer):
                    return field.state(choice)
                problem = self.t("console.invalid_choice") if answer else None
            else:
                value = answer or field.initial
                if value or field.optional:
                    return field.state(value or None)
                problem = None
            if attempt == 1:
                self._write(problem or self.t("console.required", label=field.label))
        raise _Cancelled

    @staticmethod
    def _choice(field: InputField, answer: str) -> int | None:
        if answer.isdigit() and 1 <= int(answer) <= len(field.options):
            return int(answer) - 1
        if not answer and field.initial:
            labels = [label for label, _ in field.options]
            return labels.index(field.initial) if field.initial in labels else None
        return None

    def _submit(self, view: OpenView, answers: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Send a view_submission; return the errors the bot answered with, if any."""
        payload = {
            "type": "view_submission",
            **self._envelope(),
            "view": {**view.as_slack(), "state": {"values": answers}},
            "response_urls": [],
        }
        with self._held():
            response = self._dispatch(urlencode({"payload": json.dumps(payload)}))
        title = plain(view.view.get("title"), self._ctx())
        if response.status != 200:
            self._write(self.t("console.refused", status=response.status))
            self._standin.close_view(view.id)
            return {}
        body = _json_body(response) or {}
        action = body.get("response_action")
        if action == "errors":
            errors = body.get("errors")
            if not isinstance(errors, dict):
                errors = {}
            return {str(k): str(v) for k, v in errors.items()} or {"": "?"}
        if action in ("update", "push") and isinstance(body.get("view"), dict):
            shown = self._standin.set_view(view.id, body["view"], push=action == "push")
            if action == "update":
                self._show_message_lines(render_view(shown, self._ctx()))
                if not input_fields(shown.view, self._ctx()):
                    self._standin.close_view(view.id)  # nothing to fill: a notice, read it
            return {}
        if action == "clear":
            self._standin.close_views(self._person.id)
        else:
            self._standin.close_view(view.id)
        self._write(self.t("console.modal_submitted", title=title))
        return {}

    def _cancel(self, view: OpenView) -> None:
        """Close the form; tell the bot when the view asked to hear of it."""
        if view.view.get("notify_on_close"):
            payload = {
                "type": "view_closed",
                **self._envelope(),
                "view": view.as_slack(),
                "is_cleared": False,
            }
            with self._held():
                self._dispatch(urlencode({"payload": json.dumps(payload)}))
        self._standin.close_views(self._person.id)
        self._write(self.t("console.modal_cancelled"))

    # -- events from the stand-in ------------------------------------------------------------------
    def _on_event(self, event: StandInEvent) -> None:
        # Called under the stand-in's lock: queue it and return.
        with self._wake:
            self._inbox.append(event)
            self._wake.notify_all()

    def _print_loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(
                    lambda: self._stopping or (bool(self._inbox) and not self._holding)
                )
                if self._stopping:
                    return
            self._drain()

    def _drain(self, *, force: bool = False) -> None:
        """Show queued events in order (all of them when forced, else until held)."""
        with self._out_lock:
            shown = False
            while True:
                with self._wake:
                    if not self._inbox or (self._holding and not force):
                        break
                    event = self._inbox.popleft()
                try:
                    self._show(event)
                    shown = True
                except Exception:
                    log.warning("could not show a %s event", event.type)
            if shown and self._prompt is not None:
                self._emit(self._prompt, gap=True)  # an event printed over the prompt: again

    @contextlib.contextmanager
    def _held(self) -> Iterator[None]:
        """Hold events back while a request is dispatched; its own answer is shown first."""
        with self._wake:
            self._holding = True
        with self._out_lock:
            try:
                yield
            finally:
                with self._wake:
                    self._holding = False
                self._drain(force=True)

    def _show(self, event: StandInEvent) -> None:
        ctx = self._ctx()
        if event.type in (EventType.POSTED, EventType.UPDATED, EventType.EPHEMERAL):
            assert event.message is not None
            if event.type == EventType.EPHEMERAL and event.user != self._person.id:
                return  # someone else's; Slack shows it to them only
            self._show_message_lines(render_message(event.message, ctx, buttons=self._buttons))
        elif event.type == EventType.DELETED:
            assert event.message is not None
            self._show_message_lines(render_deleted(event.message, ctx))
        elif event.type == EventType.JOINED:
            self._joined(event)
        elif event.type == EventType.PINNED:
            channel = self._standin.channel_name(event.channel or "") or event.channel
            self._write(self._style.dim(self.t("console.pinned", channel=channel)))
        elif event.type in (EventType.VIEW_OPENED, EventType.VIEW_UPDATED):
            assert event.view is not None
            if event.user == self._person.id:
                edited = event.type == EventType.VIEW_UPDATED
                self._show_message_lines(render_view(event.view, ctx, edited=edited))
        elif event.type == EventType.FILE_SHARED:
            assert event.file is not None
            self._show_message_lines(render_file(event.file, ctx))

    def _joined(self, event: StandInEvent) -> None:
        channel = self._standin.channel_name(event.channel or "") or event.channel
        if event.user == self._person.id and event.new_channel:
            # The bot opened an incident channel and invited us: carry on in there.
            self._channel = event.channel or self._channel
            self._write(self._style.bold(self.t("console.moved", channel=channel)))
            return
        name = self._standin.user_name(event.user or "") or event.user
        self._write(self._style.dim(self.t("console.joined", user=name, channel=channel)))

    # -- terminal ---------------------------------------------------------------------------------
    def _ctx(self) -> RenderContext:
        return RenderContext(
            directory=self._standin,
            t=self.t,
            zone=self.settings.zone,
            now=utc_now(),
            style=self._style,
            viewer=self._person.id,
        )

    def _prompt_text(self) -> str:
        channel = self._standin.channel_name(self._channel) or self._channel
        return f"#{channel} @{self._person.name} › "

    def _show_message_lines(self, lines: list[str]) -> None:
        """A message, set apart by a blank line as in a chat window."""
        with self._out_lock:
            self._emit("\n".join(lines) + "\n", gap=True)

    def _write(self, line: str, *, gap: bool = False) -> None:
        self._emit(line + "\n", gap=gap)

    def _emit(self, text: str, *, gap: bool = False) -> None:
        with self._out_lock:
            if gap and not self._tail.endswith("\n\n") and self._tail:
                text = "\n" + text
            try:
                self._out.write(text)
                self._out.flush()
            except BrokenPipeError:
                self._output_gone()
            self._tail = (self._tail + text)[-2:]

    def _output_gone(self) -> None:
        """Whoever read the output stopped (`| head`): end the session quietly."""
        self._eof = True
        with contextlib.suppress(OSError, ValueError):
            # Point the descriptor at /dev/null too, or Python's last flush complains at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._out.fileno())
        self._out = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the session)

    def _read(self, prompt: str, *, secret: bool = False) -> str | None:
        """One line of input (None at its end); a prompt only for a person at a terminal."""
        if self._eof:
            return None
        try:
            if self._interactive:
                line = self._read_at_terminal(prompt, secret=secret)
            else:
                line = self._in.readline()
                if not line:
                    raise EOFError
        except EOFError:
            self._eof = True
            return None
        return line.rstrip("\r\n")

    def _read_at_terminal(self, prompt: str, *, secret: bool) -> str:
        with self._out_lock:
            self._prompt = prompt
            if prompt.startswith("#"):
                self._emit("", gap=True)
        try:
            if secret:
                return getpass.getpass(prompt, stream=self._out)
            if self._in is sys.stdin and self._out is sys.stdout:
                with contextlib.suppress(ImportError):
                    import readline  # noqa: F401 (line editing and history for input())
                return input(prompt)
            self._emit(prompt)
            line = self._in.readline()
            if not line:
                raise EOFError
            return line
        finally:
            with self._out_lock:
                self._prompt = None
                self._tail = "\n"  # the person's Enter ended the line


def _action_payload(block: dict[str, Any], element: dict[str, Any], value: str) -> dict[str, Any]:
    """What Slack sends for a pressed button, or for an option picked from a menu."""
    action: dict[str, Any] = {
        "type": element.get("type", "button"),
        "action_id": element.get("action_id"),
        "block_id": str(block.get("block_id") or ""),
        "action_ts": f"{time.time():.6f}",
    }
    if "selected_option" in element:
        action["selected_option"] = element["selected_option"]
    else:
        action.update(value=value, text=element.get("text"))
    return action


def _json_body(response: BoltResponse) -> dict[str, Any] | None:
    if not response.body:
        return None
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _slack_escape(text: str) -> str:
    """Slack sends command text with &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _color_allowed(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with NO_COLOR (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _isatty(stream)
