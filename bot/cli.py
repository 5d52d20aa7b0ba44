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
    from bot.messages import Catalogue
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
        for line in _settings_lines(error):
            print(line, file=sys.stderr)
        return EXIT_USAGE
    except StoreUnreachable as error:
        print(_catalogue()("cli.store_unreachable", url=error.url), file=sys.stderr)
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


def _open_store(settings: Settings) -> Store:
    """The bot's store, migrated to the newest schema; StoreUnreachable when it cannot be."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from storage import Store

    store = Store(settings.database_url)
    try:
        store.migrate()
    except (DBAPIError, OSError) as exc:
        store.dispose()
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        log.debug("store unreachable: %s", exc)
        raise StoreUnreachable(shown) from None
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
    from bot.report import render_markdown
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
        print(render_markdown(incident, events, t=t, zone=settings.zone, now=utc_now()))
        return EXIT_OK
    finally:
        store.dispose()


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
