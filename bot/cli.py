"""`ailex`: serve the bot, run it in the terminal, diagnose, list incidents, print reports."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.settings import Settings, SettingsError, load_settings, require

if TYPE_CHECKING:
    from bot.app import Bot
    from storage import Store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("ailex")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ailex", description="AILEX incident bot: the on-call runbook as Slack commands."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the Slack app (HTTP, or Socket Mode)")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--workers", type=int, default=2, help="processes (HTTP mode)")
    serve.add_argument("--threads", type=int, default=16, help="threads per process")

    commands.add_parser("console", help="the bot in this terminal, no Slack needed")

    diagnose = commands.add_parser("diagnose", help="run a scenario's checks and print them")
    diagnose.add_argument("scenario")
    diagnose.add_argument("--json", action="store_true", help="print JSON")

    report = commands.add_parser("report", help="print an incident's report (Markdown)")
    report.add_argument("incident_id", type=int)

    incidents = commands.add_parser("incidents", help="list incidents")
    incidents.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script's entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "serve":
            return _serve(settings, args)
        if args.command == "console":
            from bot.console import run_console

            return run_console(settings)
        if args.command == "diagnose":
            from bot.diagnosis_cli import diagnose_command

            return diagnose_command(settings, args.scenario, as_json=args.json)
        if args.command == "report":
            return _report(settings, args.incident_id)
        return _incidents(settings, as_json=args.json)
    except SettingsError as error:
        print(_settings_line(error), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`ailex incidents | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _settings_line(error: SettingsError) -> str:
    """One line naming the setting, in the configured language when that one is readable."""
    from bot.messages import Catalogue

    locale = os.environ.get("AILEX_LOCALE", "ko").strip().lower()
    t = Catalogue(locale if locale in ("ko", "en") else "ko")
    if error.problem == "missing":
        return t("cli.setting_missing", variable=error.variable)
    return t("cli.setting_invalid", variable=error.variable, expected=error.expected)


def _open_store(settings: Settings) -> Store:
    """The bot's store, migrated to the newest schema."""
    from storage import Store

    store = Store(settings.database_url)
    store.migrate()
    return store


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.app import create_app
    from bot.core import Role
    from bot.doorbell import Doorbell
    from bot.logs import configure_logging
    from bot.server import serve_http, serve_socket_mode
    from bot.slack import build_slack_client
    from storage import Store

    socket_mode = settings.slack_app_token is not None
    require(settings, "SLACK_BOT_TOKEN")
    if not socket_mode:
        require(settings, "SLACK_SIGNING_SECRET")
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

    if socket_mode:
        assert settings.slack_app_token is not None
        log.info("AILEX incident bot: Socket Mode")
        try:
            serve_socket_mode(build(), app_token=settings.slack_app_token.get_secret_value())
        except (SlackApiError, SlackClientError, OSError) as exc:
            from bot.logs import Redactor
            from bot.messages import Catalogue

            reason = Redactor(settings.secret_values())(str(exc).splitlines()[0][:200])
            t = Catalogue(settings.locale)
            print(t("cli.slack_unreachable", error=reason), file=sys.stderr)
            return EXIT_FAILED
    else:
        log.info(
            "AILEX incident bot: HTTP on %s:%s (/slack/events, /healthz)", args.host, args.port
        )
        serve_http(
            lambda: build("worker"),
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            doorbell_path=doorbell_path,
        )
    return EXIT_OK


def _report(settings: Settings, incident_id: int) -> int:
    from bot.clock import utc_now
    from bot.messages import Catalogue
    from bot.people import fallback
    from bot.report import people_in, render_markdown
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


def _names(settings: Settings, user_ids: list[str]) -> dict[str, str]:
    """People's display names from Slack when the bot's token is set (else none: the report
    shows their ids)."""
    if settings.slack_bot_token is None or not user_ids:
        return {}
    from bot.people import People
    from bot.slack import build_slack_client

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


if __name__ == "__main__":
    raise SystemExit(main())
