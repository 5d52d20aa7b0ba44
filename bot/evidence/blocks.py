"""The statistics as lines of text: for the terminal (`ailex stats`), the Slack message of
`/ailex stats` and the App Home. Each names what MTTA and MTTR measure (SPEC 9)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.evidence.stats import UNKNOWN_SCENARIO, Figures, Summary
from bot.messages import Catalogue
from bot.slack.blocks import Blocks, context, header, section
from bot.text import fmt_datetime, fmt_short_duration


def duration(seconds: float | None, t: Catalogue) -> str:
    """A duration as people read it; under a minute in seconds."""
    if seconds is None:
        return t("stats.no_data")
    return fmt_short_duration(timedelta(seconds=round(seconds)), t)


def scenario_name(key: str, t: Catalogue) -> str:
    if key == UNKNOWN_SCENARIO or not t.has(f"scenario.{key}"):
        return t("stats.scenario.unknown")
    return t(f"scenario.{key}")


def _summary(key: str, summary: Summary, t: Catalogue) -> str:
    return t(
        key,
        median=duration(summary.median, t),
        p90=duration(summary.p90, t),
        mean=duration(summary.mean, t),
        count=summary.count,
    )


def figure_lines(figures: Figures, t: Catalogue) -> list[str]:
    """Counts, MTTA and MTTR, one line each."""
    severities = " · ".join(f"{sev} {n}" for sev, n in figures.by_severity.items())
    scenarios = " · ".join(
        f"{scenario_name(key, t)} {n}" for key, n in figures.by_scenario.items()
    ) or t("stats.none")
    return [
        t("stats.count", count=len(figures.incidents)),
        t("stats.by_severity", counts=severities),
        t("stats.by_scenario", counts=scenarios),
        _summary("stats.mtta", figures.mtta, t),
        _summary("stats.mttr", figures.mttr, t),
    ]


def definition_lines(t: Catalogue) -> list[str]:
    """What MTTA and MTTR measure, and how the percentiles are taken."""
    return [
        t("stats.definition.mtta"),
        t("stats.definition.mttr"),
        t("stats.definition.percentile"),
    ]


def text_report(figures: Figures, t: Catalogue, zone: ZoneInfo) -> str:
    """`ailex stats` in the terminal."""
    period = t(
        "stats.period",
        since=fmt_datetime(figures.since, zone),
        until=fmt_datetime(figures.until, zone),
    )
    lines = [t("stats.title", days=figures.days), period, ""]
    lines += figure_lines(figures, t)
    lines.append("")
    lines += definition_lines(t)
    return "\n".join(lines)


def stats_message(figures: Figures, t: Catalogue, zone: ZoneInfo) -> tuple[str, Blocks]:
    """The Slack message of `/ailex stats`: fallback text and blocks."""
    period = t(
        "stats.period",
        since=fmt_datetime(figures.since, zone),
        until=fmt_datetime(figures.until, zone),
    )
    blocks: list[dict[str, Any]] = [
        header(t("stats.title", days=figures.days)),
        context(period),
        section("\n".join(figure_lines(figures, t))),
        context("\n".join(definition_lines(t))),
    ]
    text = t("stats.fallback", days=figures.days, count=len(figures.incidents))
    return text, blocks
