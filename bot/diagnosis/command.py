"""`ailex diagnose SCENARIO [--json]`: a scenario's checks in the terminal, no Slack."""

from __future__ import annotations

import json
import sys

from bot.aio import BackgroundLoop
from bot.clock import utc_now
from bot.diagnosis.blocks import STATUS_EMOJI
from bot.diagnosis.flows import (
    CheckOutcome,
    Diagnosis,
    diagnose,
    load_baseline,
    reason_text,
    scenario_key,
    store_snapshot,
    to_json,
)
from bot.diagnosis.scenarios import TRIAGE, Inputs, checks_of
from bot.errors import UserError
from bot.messages import Catalogue
from bot.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def diagnose_command(settings: Settings, word: str, *, as_json: bool) -> int:
    """Run and print one scenario (or triage); 0 when no check failed, 1 when one did."""
    t = Catalogue(settings.locale)
    try:
        key = scenario_key(word)
    except UserError as error:
        print(f"ailex: {t.render(error.message)}", file=sys.stderr)
        return EXIT_USAGE
    store = None
    baseline = None
    if "table_counts" in checks_of(key):
        # The data-loss check compares with the bot's baseline snapshot and leaves a new one.
        from storage import Store

        store = Store(settings.database_url)
        store.migrate()
        with store.read() as session:
            baseline = load_baseline(session)
    loop = BackgroundLoop()
    try:

        def show(outcome: CheckOutcome) -> None:
            if not as_json:
                print(_line(outcome, t), flush=True)

        if not as_json:
            print(f"🔍 {t(f'scenario.{key}')}", flush=True)
        result = diagnose(loop, key, Inputs(settings=settings, baseline=baseline), on_done=show)
        if store is not None:
            with store.write() as session:
                store_snapshot(session, result, utc_now(), source="diagnosis")
    finally:
        loop.stop()
        if store is not None:
            store.dispose()
    if as_json:
        print(json.dumps(to_json(result, t), ensure_ascii=False, indent=2, default=str))
    else:
        _print_judgement(result, t)
    return EXIT_FAILED if result.failed else EXIT_OK


def _line(outcome: CheckOutcome, t: Catalogue) -> str:
    emoji = STATUS_EMOJI.get(outcome.finding.status.value, "•")
    title = t(f"check_title.{outcome.check_id}")
    summary = t.render(outcome.finding.summary)
    return (
        f"{emoji} {outcome.finding.status.value:<7} {title}: {summary} ({outcome.duration_ms} ms)"
    )


def _print_judgement(result: Diagnosis, t: Catalogue) -> None:
    print(t("diagnosis.done", seconds=f"{result.duration_ms / 1000:.1f}"))
    if not result.suggestions:
        print(t("diagnosis.no_case"))
        return
    print(f"{t('diagnosis.judgement')}:")
    for suggestion in result.suggestions:
        line = f"  • {reason_text(suggestion, t, with_scenario=result.scenario == TRIAGE)}"
        if suggestion.command:
            line += f"  [/ailex remediate {suggestion.command}]"
        print(line)
