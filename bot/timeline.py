"""How a timeline event reads, in cards, reports and the console."""

from __future__ import annotations

from typing import Any

from bot.domain import EventKind
from bot.messages import Catalogue
from bot.text import clip
from probes.base import Msg
from storage.models import TimelineEvent


def _translated(t: Catalogue, prefix: str, value: Any) -> str:
    key = f"{prefix}.{value}"
    return t(key) if t.has(key) else str(value)


def describe(event: TimelineEvent, t: Catalogue, *, limit: int | None = None) -> str:
    """One line saying what happened (without who and when); what people typed is whole
    unless `limit` is given (then cut with an ellipsis, visibly)."""
    data = event.data or {}
    params: dict[str, Any] = {
        key: value for key, value in data.items() if not isinstance(value, dict | list)
    }
    text = event.text or ""
    params["text"] = clip(text, limit) if limit is not None else text
    if event.kind == EventKind.STATUS_CHANGED:
        params["from"] = _translated(t, "status", data.get("from"))
        params["to"] = _translated(t, "status", data.get("to"))
    if isinstance(data.get("summary"), dict):
        params["summary"] = t.render(Msg.model_validate(data["summary"]))
    if "action" in data:
        params["action"] = _translated(t, "action", data["action"])
    if "scenario" in data:
        params["scenario"] = _translated(t, "scenario", data["scenario"])
    return t(f"event.{event.kind}", **params)
