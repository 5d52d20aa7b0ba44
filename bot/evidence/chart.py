"""The statistics chart (SPEC 9): incidents per week by severity as stacked bars, with each
week's MTTR median as a line on a second axis, drawn to PNG with matplotlib's Agg backend.

matplotlib is imported only when a chart is drawn (it costs a second at import), and the
Agg canvas is made inside the function: nothing global is switched at import time. The
labels are the catalogue's; Korean needs a font with Hangul (Debian's fonts-nanum or
fonts-noto-cjk, which .ci/run installs). Without one the chart is labelled in English
rather than drawn in empty boxes, and the log says so.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from bot.evidence.stats import Week
from bot.incidents.vocabulary import Severity
from bot.messages import Catalogue

log = logging.getLogger(__name__)

WIDTH_PX, HEIGHT_PX, DPI = 1000, 500, 100
# Families known to carry Hangul, tried first (by name) before any font is opened.
_KOREAN_FAMILIES = (
    "NanumGothic",
    "NanumBarunGothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Noto Sans CJK JP",
    "UnDotum",
    "Baekmuk Gulim",
    "Malgun Gothic",
    "AppleGothic",
)
_HANGUL = ord("가")
_SEVERITY_COLOURS = {"P1": "#dc2626", "P2": "#f97316", "P3": "#eab308"}
# matplotlib's font cache is not built for concurrent first use.
_lock = threading.Lock()


@lru_cache(maxsize=1)
def korean_font() -> str | None:
    """The path of a font on this machine that renders Hangul, or None."""
    from matplotlib import font_manager, ft2font

    def has_hangul(path: str) -> bool:
        try:
            return _HANGUL in ft2font.FT2Font(path).get_charmap()
        except Exception:
            return False

    by_name = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in _KOREAN_FAMILIES:
        path = by_name.get(family)
        if path and has_hangul(path):
            return path
    # Fonts installed after matplotlib cached its list, or under other names.
    for path in font_manager.findSystemFonts():
        if has_hangul(path):
            return path
    return None


def render_png(
    weeks: Sequence[Week],
    t: Catalogue,
    *,
    days: int,
    font_path: str | bool | None = True,
) -> bytes:
    """The chart as PNG bytes, WIDTH_PX x HEIGHT_PX. `font_path`: True finds a Korean font
    on this machine; a path uses that font; None (no Korean font) labels in English."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    with _lock:
        path = korean_font() if font_path is True else font_path or None
        labels = t
        if t.locale == "ko" and path is None:
            log.warning("no font with Hangul on this machine: the chart is labelled in English")
            labels = Catalogue("en")
        font = FontProperties(fname=path) if isinstance(path, str) else FontProperties()

        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
        FigureCanvasAgg(figure)  # the Agg backend, for this figure only
        axes = figure.add_subplot(1, 1, 1)
        positions = list(range(len(weeks)))
        names = [week.start.strftime("%m-%d") for week in weeks]
        bottom = [0] * len(weeks)
        for severity in Severity:
            heights = [week.by_severity.get(severity.value, 0) for week in weeks]
            axes.bar(
                positions,
                heights,
                bottom=bottom,
                color=_SEVERITY_COLOURS[severity.value],
                label=severity.value,
                width=0.6,
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        axes.set_xticks(positions, names)
        axes.set_ylim(0, max([*bottom, 1]) * 1.2)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel(labels("stats.chart.week"), fontproperties=font)
        axes.set_ylabel(labels("stats.chart.count"), fontproperties=font)
        axes.set_title(labels("stats.chart.title", days=days), fontproperties=font)

        mttr = axes.twinx()
        minutes = [
            week.mttr_median_s / 60 if week.mttr_median_s is not None else float("nan")
            for week in weeks
        ]
        mttr.plot(
            positions,
            minutes,
            color="#1d4ed8",
            marker="o",
            linewidth=2,
            label=labels("stats.chart.mttr_legend"),
        )
        finite = [m for m in minutes if m == m]
        mttr.set_ylim(0, max([*finite, 1.0]) * 1.2)
        mttr.set_ylabel(labels("stats.chart.mttr"), fontproperties=font)

        handles: list[Any] = []
        names_shown: list[str] = []
        for part in (axes, mttr):
            found, shown = part.get_legend_handles_labels()
            handles += found
            names_shown += shown
        axes.legend(handles, names_shown, loc="upper left", prop=font)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
        return out.getvalue()
