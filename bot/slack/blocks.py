"""Block Kit primitives: text objects, sections, buttons, Slack's dates, long text in sections
within Slack's limits. Every message the bot draws is built from these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot.text import clip

Blocks = list[dict[str, Any]]

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
BUTTON_VALUE_LIMIT = 2000
HEADER_LIMIT = 150


def plain(text: str, limit: int | None = None) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) if limit else text, "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def slack_date(dt: datetime, token: str, fallback: str) -> str:
    """Slack's <!date> so each reader sees it live (e.g. "12 minutes ago")."""
    return f"<!date^{int(dt.timestamp())}^{token}|{fallback}>"


def _pieces(line: str, limit: int) -> list[str]:
    """A line longer than `limit` in pieces that fit, cut at a space where there is one
    (and never inside an mrkdwn escape such as &amp;), so nothing of it is lost."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        if cut <= 0:
            cut = limit
            amp = line.rfind("&", cut - 5, cut)
            if amp > 0 and ";" not in line[amp:cut]:
                cut = amp
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    return [*pieces, line]


def chunked_sections(lines: Iterable[str]) -> Blocks:
    """Lines packed into as few sections as Slack's 3,000-character limit allows; a longer
    line goes on over several sections, whole."""
    blocks: Blocks = []
    current = ""
    for whole in lines:
        for line in _pieces(whole, SECTION_LIMIT):
            candidate = f"{current}\n{line}" if current else line
            if len(candidate) > SECTION_LIMIT and current:
                blocks.append(section(current))
                current = line
            else:
                current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def mentions(people: Sequence[str]) -> str:
    """People to mention (AILEX_ONCALL): users `<@U…>`, a user group `<!subteam^S…>`."""
    return " ".join(f"<!subteam^{who}>" if who.startswith("S") else f"<@{who}>" for who in people)
