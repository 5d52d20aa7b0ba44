"""`ailex drill SCENARIO [--case X]`: start the case's simulations, open the console against
them with a store of its own, and at the end print each phase's time against the runbook's
deadline, then stop everything it started."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.drill.scenarios import DRILLS, NeedsPostgres
from bot.drill.world import World
from bot.incidents.report import phase_marks
from bot.messages import Catalogue
from bot.settings import Settings
from bot.text import fmt_short_duration
from storage import Store, timeline
from storage import incidents as stored

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# The runbook's 장애 대응 공통 절차, minutes from the fault: 인지 0~5, 초기 대응 (diagnosis,
# its cause, the remedy) 5~15, 복구 확인 15~30.
DEADLINES = {
    "report.phase.detected": 5,
    "report.phase.diagnosis": 15,
    "report.phase.identified": 15,
    "report.phase.action": 15,
    "report.phase.recovered": 30,
}


def valid_drills() -> str:
    return ", ".join(f"{key} ({'/'.join(d.cases)})" for key, d in DRILLS.items())


def run_drill(settings: Settings, scenario: str, case: str | None) -> int:
    """Run one drill on stdin/stdout; the exit status."""
    t = Catalogue(settings.locale)
    drill = DRILLS.get(scenario.strip().lower())
    letter = (case or (drill.cases[0] if drill else "")).strip().upper()
    if drill is None or letter not in drill.cases:
        print(t("drill.usage", valid=valid_drills()), file=sys.stderr)
        return EXIT_USAGE
    pg = settings.secret("drill_pg_url")
    if drill.needs_postgres and not pg:
        print(t("drill.needs_pg"), file=sys.stderr)
        return EXIT_FAILED
    from bot.console.session import run_console

    world = World()
    with tempfile.TemporaryDirectory(prefix="ailex-drill-") as home:
        try:
            broke_at = datetime.now(UTC)
            try:
                drill.build(world, letter, pg)
            except NeedsPostgres:
                print(t("drill.needs_pg"), file=sys.stderr)
                return EXIT_FAILED
            except OSError as error:  # psycopg's OperationalError is not one; see below
                print(t("drill.pg_unreachable", error=str(error)[:200]), file=sys.stderr)
                return EXIT_FAILED
            except Exception as error:
                if type(error).__module__.startswith("psycopg"):
                    message = " ".join(str(error).split())[:200]
                    print(t("drill.pg_unreachable", error=message), file=sys.stderr)
                    return EXIT_FAILED
                raise
            drill_settings = _settings(settings, world, home)
            if world.prepare_store is not None:
                _prepare(drill_settings, world.prepare_store)
            print(t("drill.title", scenario=drill.key, case=letter))
            print(t("drill.services", services=" ".join(world.addresses)))
            print(t(f"drill.broken.{drill.key}.{letter}"))
            print(t(f"drill.remedy.{drill.key}.{letter}"))
            if world.heals:
                print(t("drill.heal_hint"))
            print(t("drill.try", scenario=drill.key))
            sys.stdout.flush()
            status = run_console(drill_settings, commands={"/drill": _operator(world, t)})
            _print_phases(drill_settings, t, broke_at)
            return status
        except KeyboardInterrupt:
            return 130
        finally:
            world.stop()
            print(t("drill.stopped"))


def _operator(world: World, t: Catalogue) -> Callable[[str], str]:
    """The drill operator's console line: `/drill heal` plays the repair outside the bot."""

    def run(rest: str) -> str:
        if rest.strip().lower() != "heal":
            return t("drill.operator_usage")
        return t("drill.healed" if world.heal() else "drill.nothing_to_heal")

    return run


def _prepare(settings: Settings, prepare: Callable[[Store], None]) -> None:
    store = Store(settings.database_url)
    try:
        store.migrate()
        prepare(store)
    finally:
        store.dispose()


def _settings(base: Settings, world: World, home: str) -> Settings:
    """The drill's settings: the simulations' addresses and nothing of the user's own
    configuration (no real service, no customer), in the user's language and time zone."""
    values: dict[str, Any] = {
        "AILEX_LOCALE": base.locale,
        "AILEX_TIMEZONE": base.timezone,
        "AILEX_DATABASE_URL": f"sqlite:///{os.path.join(home, 'drill.db')}",
        "AILEX_BACKUP_DIR": os.path.join(home, "backups"),
        "AILEX_SNAPSHOT_INTERVAL_MINUTES": 0,
        "AILEX_DRILL": True,
        **world.settings,
    }
    # model_validate, not the constructor: the environment and .env are not read.
    return Settings.model_validate(values)


def _print_phases(settings: Settings, t: Catalogue, broke_at: datetime) -> None:
    store = Store(settings.database_url)
    try:
        with store.read() as session:
            found = [i for i in stored.list_all(session) if i.is_drill]
            if not found:
                print(t("drill.no_incident"))
                return
            incident = found[0]
            events = timeline.for_incident(session, incident_id=incident.id)
            marks = phase_marks(incident, events)
    finally:
        store.dispose()
    print(t("drill.phases"))
    for mark in marks:
        deadline = DEADLINES[mark.key]
        if mark.at is None:
            print(t("drill.phase_missing", phase=t(mark.key), deadline=deadline))
            continue
        elapsed = mark.at - broke_at
        verdict = t("drill.in_time" if elapsed.total_seconds() <= deadline * 60 else "drill.late")
        print(
            t(
                "drill.phase",
                phase=t(mark.key),
                elapsed=fmt_short_duration(elapsed, t),
                deadline=deadline,
                verdict=verdict,
            )
        )
