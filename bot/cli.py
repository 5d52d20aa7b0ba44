"""`ailex`: serve the bot, run it in the terminal, diagnose, list incidents, print reports."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from bot.settings import Settings, SettingsError, load_settings, require
from storage.errors import StoreUnavailable

if TYPE_CHECKING:
    from bot.app import Bot
    from bot.messages import Catalogue
    from storage import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("ailex")


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the usage line's prefix in the configured language."""

    usage_prefix = "usage: "

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, self.usage_prefix if prefix is None else prefix)

    # argparse measures and pads by characters; a Hangul metavar is two columns wide in a
    # terminal: measure by columns, and pad a wide invocation by fewer spaces.
    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            width = _wide(self._format_action_invocation(action))
            columns = len(self._format_action_invocation(action)) + width + self._current_indent
            self._action_max_length = max(self._action_max_length, columns)

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        invocation = self._format_action_invocation(action)
        wide = _wide(invocation)
        first, newline, rest = text.partition("\n")
        start = first.find(invocation)
        if wide and start >= 0:
            end = start + len(invocation)
            after = first[end:]
            pad = len(after) - len(after.lstrip(" "))
            if after.strip() and pad - wide >= 2:
                first = first[:end] + " " * (pad - wide) + after[pad:]
        return first + newline + rest


def _wide(text: str) -> int:
    """How many more terminal columns than characters `text` takes."""
    return sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


# argparse's own error sentences (CPython's argparse.py), read back into catalogue keys: its
# gettext catalogue is not installed, and its English must not reach a Korean terminal.
_ARGPARSE_ERRORS = (
    (re.compile(r"invalid choice: (?P<value>.*) \(choose from (?P<choices>.*)\)"), "choice"),
    (re.compile(r"invalid (?P<type>\w+) value: (?P<value>.*)"), "value"),
    (re.compile(r"expected one argument"), "expected_one"),
    (re.compile(r"the following arguments are required: (?P<arguments>.*)"), "required"),
    (re.compile(r"unrecognized arguments: (?P<arguments>.*)"), "unrecognized"),
    (re.compile(r"ambiguous option: (?P<option>\S+) could match (?P<matches>.*)"), "ambiguous"),
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors speak the configured language."""

    def __init__(self, *args: Any, t: Catalogue, **kwargs: Any) -> None:
        self.t = t
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False  # its own -h, with the help text translated
        super().__init__(*args, **kwargs)
        self._positionals.title = t("cli.args.positionals")
        self._optionals.title = t("cli.args.options")
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help=t("cli.args.help")
        )

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = super()._get_formatter()
        if isinstance(formatter, _Formatter):
            formatter.usage_prefix = self.t("cli.args.usage")
        return formatter

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        reason = self._translate(message)
        self.exit(EXIT_USAGE, self.t("cli.args.error", prog=self.prog, message=reason) + "\n")

    def _translate(self, message: str) -> str:
        argument = None
        prefix = re.match(r"argument (?P<argument>[^:]+): (?P<rest>.*)", message, re.S)
        if prefix:
            argument, message = prefix.group("argument"), prefix.group("rest")
        reason = self.t("cli.args.invalid")
        for pattern, key in _ARGPARSE_ERRORS:
            match = pattern.fullmatch(message.strip())
            if match:
                params = match.groupdict()
                if "type" in params:
                    kind = params["type"] if params["type"] in ("int", "float") else "other"
                    params["type"] = self.t(f"cli.args.type.{kind}")
                reason = self.t(f"cli.args.{key}", **params)
                break
        if argument is None:
            return reason
        return self.t("cli.args.argument", argument=argument, message=reason)


def _parser(t: Catalogue | None = None) -> argparse.ArgumentParser:
    t = t or _catalogue()
    parser = _Parser(prog="ailex", description=t("cli.args.description"), t=t)
    commands = parser.add_subparsers(dest="command", required=True, metavar=t("cli.args.command"))

    serve = commands.add_parser("serve", help=t("cli.args.serve"), t=t)
    number = t("cli.args.number")
    serve.add_argument("--port", type=int, default=3000, metavar=number, help=t("cli.args.port"))
    serve.add_argument(
        "--host", default="0.0.0.0", metavar=t("cli.args.address"), help=t("cli.args.host")
    )
    serve.add_argument("--workers", type=int, default=2, metavar=number, help=t("cli.args.workers"))
    serve.add_argument(
        "--threads", type=int, default=16, metavar=number, help=t("cli.args.threads")
    )

    commands.add_parser("console", help=t("cli.args.console"), t=t)

    drill = commands.add_parser("drill", help=t("cli.args.drill"), t=t)
    drill.add_argument("scenario", metavar=t("cli.args.scenario"))
    drill.add_argument("--case", metavar="A|B|C", help=t("cli.args.drill_case"))

    diagnose = commands.add_parser("diagnose", help=t("cli.args.diagnose"), t=t)
    diagnose.add_argument("scenario", metavar=t("cli.args.scenario"))
    diagnose.add_argument("--json", action="store_true", help=t("cli.args.json"))

    report = commands.add_parser("report", help=t("cli.args.report"), t=t)
    report.add_argument("incident_id", type=int, metavar=t("cli.args.incident_id"))

    incidents = commands.add_parser("incidents", help=t("cli.args.incidents"), t=t)
    incidents.add_argument("--json", action="store_true", help=t("cli.args.json"))

    alerts = commands.add_parser("alerts", help=t("cli.args.alerts"), t=t)
    alerts.add_argument("--json", action="store_true", help=t("cli.args.json"))

    stats = commands.add_parser("stats", help=t("cli.args.stats"), t=t)
    # Read as text and checked by the command: a bad value is one line, not argparse's two.
    stats.add_argument("--days", default="30", metavar=number, help=t("cli.args.days"))
    stats.add_argument("--json", action="store_true", help=t("cli.args.json"))
    stats.add_argument("--png", metavar=t("cli.args.file"), help=t("cli.args.png"))
    verify = commands.add_parser("verify", help=t("cli.args.verify"), t=t)
    verify.add_argument("incident_id", type=int, metavar=t("cli.args.incident_id"))
    verify.add_argument("--head", metavar=t("cli.args.hash"), help=t("cli.args.head"))
    verify.add_argument("--json", action="store_true", help=t("cli.args.json"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    database_url = "-"
    try:
        settings = load_settings()
        database_url = settings.database_url
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "console":
            from bot.console.session import run_console

            return run_console(settings)
        if args.command == "drill":
            from bot.drill.run import run_drill

            return run_drill(settings, args.scenario, args.case)
        if args.command == "diagnose":
            from bot.diagnosis.command import diagnose_command

            return diagnose_command(settings, args.scenario, as_json=args.json)
        if args.command == "report":
            return _report(settings, args.incident_id)
        if args.command == "alerts":
            return _alerts(settings, as_json=args.json)
        if args.command == "stats":
            return _stats(settings, days=args.days, as_json=args.json, png=args.png)
        if args.command == "verify":
            return _verify(settings, args.incident_id, head=args.head, as_json=args.json)
        return _incidents(settings, as_json=args.json)
    except SettingsError as error:
        for line in _settings_lines(error):
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except StoreUnreachable as error:
        print(_catalogue()("cli.store_unreachable", url=error.url), file=sys.stderr)
        return EXIT_FAILED
    except StoreUnreadable as error:
        message = _catalogue()(
            "store.unreadable_timeline",
            incident=error.incident_id,
            event=error.event_id,
            reason=error.reason,
        )
        print(message, file=sys.stderr)
        return EXIT_FAILED
    except StoreUnavailable as exc:
        # The store went away, or never answered, in a command that opens it on its own.
        log.debug("store unreachable: %s", exc)
        url = _shown_url(database_url)
        print(_catalogue()("cli.store_unreachable", url=url), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ailex incidents | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _catalogue() -> Catalogue:
    """The configured language, read before (or without) the settings: it is needed to say
    what is wrong with them. `AILEX_LOCALE` from `.env` counts too."""
    from bot.messages import Catalogue

    locale = os.environ.get("AILEX_LOCALE") or _dotenv_value("AILEX_LOCALE") or "ko"
    locale = locale.strip().strip("'\"").lower()
    return Catalogue(locale if locale in ("ko", "en") else "ko")


def _dotenv_value(variable: str) -> str | None:
    try:
        with open(".env", encoding="utf-8") as env:
            for line in env:
                name, _, value = line.strip().partition("=")
                if name.strip().removeprefix("export ").strip().upper() == variable:
                    return value.strip() or None
    except OSError:
        pass
    return None


def _settings_lines(error: SettingsError) -> list[str]:
    """One line per bad setting, each naming its variable, in the configured language."""
    t = _catalogue()
    lines = []
    for problem in error.problems:
        if problem.problem == "missing":
            lines.append(t("cli.setting_missing", variable=problem.variable))
        else:
            expected = t(problem.expected, **problem.params)
            lines.append(t("cli.setting_invalid", variable=problem.variable, expected=expected))
    return lines


class StoreUnreachable(Exception):
    """The store of AILEX_DATABASE_URL does not answer (its address shown without password)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


class StoreUnreadable(Exception):
    """The store's migration met a timeline event it cannot chain (SPEC 9): named, never
    skipped."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self.incident_id: int = error.incident_id
        self.event_id: int = error.event_id
        self.reason: str = error.reason


def _open_store(settings: Settings) -> Store:
    """The bot's store, migrated to the newest schema; StoreUnreachable when it cannot be."""
    from storage import Store
    from storage.errors import StoreError, UnreadableTimeline

    store = Store(settings.database_url)
    try:
        store.migrate()
    except UnreadableTimeline as exc:
        store.dispose()
        raise StoreUnreadable(exc) from None
    except (StoreError, OSError) as exc:
        store.dispose()
        log.debug("store unreachable: %s", exc)
        raise StoreUnreachable(_shown_url(settings.database_url)) from None
    return store


def _shown_url(url: str) -> str:
    """The store's address as it may be shown: without its password."""
    from storage.urls import shown_url

    return shown_url(url)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.app import Role, create_app
    from bot.logs import configure_logging
    from bot.server import ListenError, serve_http, serve_socket_mode
    from bot.slack.client import build_slack_client
    from bot.slack.doorbell import Doorbell
    from storage import Store

    socket_mode = settings.slack_app_token is not None
    require(settings, "SLACK_BOT_TOKEN", *(() if socket_mode else ("SLACK_SIGNING_SECRET",)))
    configure_logging(secrets=settings.secret_values())
    _open_store(settings).dispose()  # migrate once, before any worker starts
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()

    doorbell_path = os.path.join(tempfile.mkdtemp(prefix="ailex-"), "outbox.sock")

    def build(role: Role = "all") -> Bot:
        return create_app(
            settings=settings,
            client=build_slack_client(token=token, base_url=settings.slack_api_url),
            store=Store(settings.database_url),
            socket_mode=socket_mode,
            role=role,
            doorbell=Doorbell(doorbell_path) if role == "worker" else None,
        )

    try:
        if socket_mode:
            assert settings.slack_app_token is not None
            log.info("AILEX incident bot: Socket Mode")
            try:
                serve_socket_mode(
                    build(),
                    app_token=settings.slack_app_token.get_secret_value(),
                    host=args.host,
                    port=args.port,
                )
            except (SlackApiError, SlackClientError, OSError) as exc:
                from bot.logs import Redactor
                from bot.messages import Catalogue

                reason = Redactor(settings.secret_values())(str(exc).splitlines()[0][:200])
                t = Catalogue(settings.locale)
                print(t("cli.slack_unreachable", error=reason), file=sys.stderr)
                return EXIT_FAILED
        else:
            log.info(
                "AILEX incident bot: HTTP on %s:%s (/slack/events, /healthz)",
                args.host,
                args.port,
            )
            serve_http(
                lambda: build("worker"),
                host=args.host,
                port=args.port,
                workers=args.workers,
                threads=args.threads,
                doorbell_path=doorbell_path,
            )
    except ListenError as exc:
        # Either mode: the port for Slack's requests, /healthz and the webhooks is not free.
        from bot.messages import Catalogue

        t = Catalogue(settings.locale)
        print(
            t("cli.cannot_listen", host=exc.host, port=exc.port, error=exc.reason),
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _report(settings: Settings, incident_id: int) -> int:
    from bot.clock import utc_now
    from bot.incidents.report import people_in, render_markdown
    from bot.messages import Catalogue
    from bot.slack.people import fallback
    from storage import incidents, timeline

    store = _open_store(settings)
    t = Catalogue(settings.locale)
    try:
        with store.read() as session:
            incident = incidents.get(session, incident_id=incident_id)
            if incident is None:
                print(t("cli.no_incident", id=incident_id), file=sys.stderr)
                return EXIT_FAILED
            events = timeline.for_incident(session, incident_id=incident_id)
        names = _names(settings, people_in(incident, events))
        print(
            render_markdown(
                incident,
                events,
                t=t,
                zone=settings.zone,
                now=utc_now(),
                mention=lambda user: names.get(user) or fallback(user),
            )
        )
        return EXIT_OK
    finally:
        store.dispose()


def _verify(settings: Settings, incident_id: int, *, head: str | None, as_json: bool) -> int:
    """`ailex verify ID [--head HASH] [--json]` (SPEC 3.1): recompute the incident's chain."""
    from bot.evidence.chain import Fault, is_hash, verify_incident
    from bot.messages import Catalogue

    t = Catalogue(settings.locale)
    expected = head.strip().lower() if head is not None else None
    if expected is not None and not is_hash(expected):
        print(t("verify.bad_head", value=head), file=sys.stderr)
        return EXIT_USAGE
    store = _open_store(settings)
    try:
        with store.read() as session:
            verdict = verify_incident(session, incident_id=incident_id, expected_head=expected)
    finally:
        store.dispose()
    if verdict is None:
        print(t("cli.no_incident", id=incident_id), file=sys.stderr)
        return EXIT_USAGE
    if as_json:
        answer = {
            "incident": incident_id,
            "ok": verdict.ok,
            "events": verdict.events,
            "head": verdict.head,
            "first_bad_event": verdict.first_bad_event,
        }
        print(json.dumps(answer, ensure_ascii=False))
    elif verdict.ok:
        print(t("verify.ok", id=incident_id, count=verdict.events, head=verdict.head))
        if verdict.head_seq is not None:
            print(t("verify.ok_head", seq=verdict.head_seq, count=verdict.events))
    elif verdict.fault == Fault.HEAD_UNKNOWN:
        print(t("verify.head_unknown", id=incident_id, head=expected))
    else:
        fault = verdict.fault or Fault.EDITED
        print(t(f"verify.{fault}", id=incident_id, seq=verdict.first_bad_event))
    return EXIT_OK if verdict.ok else EXIT_FAILED


def _names(settings: Settings, user_ids: list[str]) -> dict[str, str]:
    """People's display names from Slack when the bot's token is set (else none: the report
    shows their ids)."""
    if settings.slack_bot_token is None or not user_ids:
        return {}
    from bot.slack.client import build_slack_client
    from bot.slack.people import People

    client = build_slack_client(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=str(settings.slack_api_url),
        timeout=5,
    )
    return People(client).names(user_ids)


def _incidents(settings: Settings, *, as_json: bool) -> int:
    from bot.messages import Catalogue
    from bot.text import fmt_datetime
    from storage import incidents

    store = _open_store(settings)
    zone = settings.zone
    try:
        with store.read() as session:
            rows = incidents.list_all(session)
        listed = [
            {
                "id": incident.id,
                "severity": incident.severity,
                "status": incident.status,
                "title": incident.title,
                "channel": incident.channel_id,
                "commander": incident.commander_id or None,
                "started": incident.started_at.astimezone(zone).isoformat(),
                "resolved": (
                    incident.resolved_at.astimezone(zone).isoformat()
                    if incident.resolved_at
                    else None
                ),
            }
            for incident in rows
        ]
        if as_json:
            print(json.dumps(listed, ensure_ascii=False, indent=2))
            return EXIT_OK
        t = Catalogue(settings.locale)
        if not rows:
            print(t("cli.no_incidents"))
        for incident in rows:
            resolved = fmt_datetime(incident.resolved_at, zone) if incident.resolved_at else "-"
            channel = incident.channel_name or incident.channel_id or "-"
            print(
                f"#{incident.id:<4} {incident.severity}  {t(f'status.{incident.status}'):<8} "
                f"{fmt_datetime(incident.started_at, zone)}  {resolved:<20}  {channel}  "
                f"{incident.title}"
            )
        return EXIT_OK
    finally:
        store.dispose()


def _alerts(settings: Settings, *, as_json: bool) -> int:
    """`ailex alerts [--json]`: the alerts received (SPEC 3.1), newest first."""
    from bot.messages import Catalogue
    from bot.text import clip, fmt_datetime
    from storage import alerts

    store = _open_store(settings)
    zone = settings.zone
    try:
        with store.read() as session:
            rows = alerts.list_all(session)
        listed = [
            {
                "id": alert.id,
                "source": alert.source,
                "key": alert.key,
                "state": alert.state,
                "summary": f"{alert.name}: {alert.summary}" if alert.summary else alert.name,
                "name": alert.name,
                "scenario": alert.scenario,
                "severity": alert.severity,
                "received": alert.received_at.astimezone(zone).isoformat(),
                "incident": alert.incident_id,
            }
            for alert in rows
        ]
        if as_json:
            print(json.dumps(listed, ensure_ascii=False, indent=2))
            return EXIT_OK
        t = Catalogue(settings.locale)
        if not rows:
            print(t("cli.alerts.none"))
            return EXIT_OK
        print(t("cli.alerts.header"))
        for alert in rows:
            incident = f"#{alert.incident_id}" if alert.incident_id else "-"
            print(
                f"#{alert.id:<4} {alert.source:<11} {clip(alert.key, 40):<24} "
                f"{t(f'alert.state.{alert.state}'):<6} {clip(alert.name, 60)}"
                f"{' · ' + clip(alert.summary, 60) if alert.summary else ''}  "
                f"{alert.scenario}  {fmt_datetime(alert.received_at, zone)}  {incident}"
            )
        return EXIT_OK
    finally:
        store.dispose()


def _stats(settings: Settings, *, days: str, as_json: bool, png: str | None) -> int:
    """`ailex stats [--days 30] [--json] [--png FILE]` (SPEC 9)."""
    from bot.clock import utc_now
    from bot.evidence.blocks import text_report
    from bot.evidence.stats import compute
    from bot.messages import Catalogue

    t = Catalogue(settings.locale)
    text = days.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1 or len(text) > 6:
        print(t("cli.stats.bad_days", value=days[:40]), file=sys.stderr)
        return EXIT_USAGE
    store = _open_store(settings)
    try:
        with store.read() as session:
            figures = compute(session, days=int(text), until=utc_now())
    finally:
        store.dispose()
    if png:
        from bot.evidence.chart import render_png

        try:
            with open(png, "wb") as out:
                out.write(render_png(figures.weeks(settings.zone), t, days=figures.days))
        except OSError as exc:
            print(t("cli.stats.png_failed", path=png, error=exc.strerror or exc), file=sys.stderr)
            return EXIT_FAILED
    if as_json:
        print(json.dumps(figures.as_json(), ensure_ascii=False, indent=2))
    else:
        print(text_report(figures, t, settings.zone))
        if png:
            print(t("cli.stats.png_written", path=png))
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
