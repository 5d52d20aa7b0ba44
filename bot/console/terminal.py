"""Slack messages as terminal text: Block Kit to lines, mrkdwn made readable, buttons numbered.

Pure functions over a RenderContext (who is who, the time, the language, colour or not), so
`ailex console` and its tests see the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.console.standin import BOT_NAME, BOT_USER_ID, Message, OpenView, UploadedFile
from bot.messages import Catalogue

INDENT = "  "
_RESET = "\x1b[0m"
FILE_PREVIEW_LINES = 12
_TEXT_INPUTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
_CHOICE_INPUTS = {"static_select", "radio_buttons"}


class Directory(Protocol):
    """Names behind Slack's ids."""

    def user_name(self, user_id: str) -> str | None: ...

    def channel_name(self, channel_id: str) -> str | None: ...


@dataclass(frozen=True)
class Style:
    """ANSI styling, or none at all (not a terminal, or NO_COLOR)."""

    color: bool = False

    def _wrap(self, code: str, text: str) -> str:
        if not self.color or not text:
            return text
        start = f"\x1b[{code}m"
        # An inner reset (bold inside a dimmed line) must not end the outer style.
        return start + text.replace(_RESET, _RESET + start) + _RESET

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def italic(self, text: str) -> str:
        return self._wrap("3", text)

    def code(self, text: str) -> str:
        return self._wrap("36", text) if self.color else f"`{text}`"

    def where(self, text: str) -> str:
        return self._wrap("1;34", text)

    def button(self, text: str, style: str | None) -> str:
        return self._wrap({"primary": "1;32", "danger": "1;31"}.get(style or "", "1"), text)


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs to know: names, language, time zone, now, and colour."""

    directory: Directory
    t: Catalogue
    zone: ZoneInfo
    now: datetime
    style: Style = field(default_factory=Style)
    viewer: str = ""


# -- buttons ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ButtonRef:
    """A button shown on screen as [number]: which message it is on and what it sends."""

    number: int
    channel: str
    ts: str
    action_id: str
    value: str
    label: str


class ButtonBook:
    """Numbers buttons for the whole session; a redrawn message keeps its buttons' numbers."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, str, str, str], int] = {}
        self._refs: dict[int, ButtonRef] = {}

    def number(self, *, channel: str, ts: str, action_id: str, value: str, label: str) -> int:
        key = (channel, ts, action_id, value)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._numbers) + 1
        self._refs[number] = ButtonRef(number, channel, ts, action_id, value, label)
        return number

    def get(self, number: int) -> ButtonRef | None:
        return self._refs.get(number)


def iter_buttons(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Every button of a message (and every option of a menu), with the block that holds it.

    A menu's option comes as the menu element with `selected_option` set: pressing its number
    chooses it, as picking it from the menu in Slack would."""
    for block in blocks:
        if block.get("type") == "actions":
            elements = block.get("elements") or []
        elif block.get("type") == "section" and block.get("accessory"):
            elements = [block["accessory"]]
        else:
            continue
        for element in elements:
            if element.get("type") == "button":
                yield block, element
            elif element.get("type") in _CHOICE_INPUTS:
                for option in element.get("options") or []:
                    yield (
                        block,
                        {**element, "value": option.get("value"), "selected_option": option},
                    )


def find_button(
    blocks: list[dict[str, Any]], action_id: str, value: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The button (or menu option) with this action_id and value, if the message has it."""
    return next(
        (
            (block, element)
            for block, element in iter_buttons(blocks)
            if element.get("action_id") == action_id and str(element.get("value", "")) == value
        ),
        None,
    )


# -- mrkdwn ----------------------------------------------------------------------------------
_CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_DATE_WORD = re.compile(r"\{(\w+)\}")
# Private-use characters stand for pieces already rendered while emphasis is applied.
_SLOT = "\ue000"
_SLOT_RE = re.compile(_SLOT + r"(\d+)" + _SLOT)


def mrkdwn_text(text: str, ctx: RenderContext) -> str:
    """Slack mrkdwn as terminal text: mentions, links, dates, emphasis, entities."""
    pieces: list[str] = []

    def keep(rendered: str) -> str:
        pieces.append(rendered)
        return f"{_SLOT}{len(pieces) - 1}{_SLOT}"

    style = ctx.style
    text = _CODE_BLOCK.sub(lambda m: keep(style.code(_unescape(m.group(1).strip("\n")))), text)
    text = _CODE.sub(lambda m: keep(style.code(_unescape(m.group(1)))), text)
    text = _TOKEN.sub(lambda m: keep(_token(m.group(1), ctx)), text)
    text = _BOLD.sub(lambda m: style.bold(m.group(1)), text)
    if style.color:
        # Without colour these marks read fine as they are, and guessing wrong would eat
        # underscores of names and paths.
        text = _ITALIC.sub(lambda m: style.italic(m.group(1)), text)
        text = _STRIKE.sub(lambda m: style.dim(m.group(1)), text)
    return _SLOT_RE.sub(lambda m: pieces[int(m.group(1))], _unescape(text))


def _unescape(text: str) -> str:
    """Slack escapes only these three."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, ctx: RenderContext) -> str:
    """One <...> of mrkdwn: a mention, a channel, a date, a special mention or a link."""
    target, _, label = inner.partition("|")
    label = _unescape(label)
    if target.startswith("@"):
        name = label or ctx.directory.user_name(target[1:]) or target[1:]
        return "@" + name.lstrip("@")
    if target.startswith("#"):
        name = label or ctx.directory.channel_name(target[1:]) or target[1:]
        return "#" + name.lstrip("#")
    if target.startswith("!date^"):
        return slack_date(target, label, ctx)
    if target.startswith("!subteam^"):
        return label or "@team"
    if target.startswith("!"):
        return "@" + target[1:].split("^")[0]
    url = _unescape(target)
    if not label or label == url or url == f"mailto:{label}":
        return label or url
    return f"{label} ({url})"


def slack_date(target: str, fallback: str, ctx: RenderContext) -> str:
    """`!date^unix^format`: {ago} as Slack computes it, dates and times in the team's zone."""
    parts = target.split("^")
    try:
        moment = datetime.fromtimestamp(int(parts[1]), tz=ctx.zone)
        template = parts[2]
    except (IndexError, ValueError, OverflowError, OSError):
        return fallback
    local = moment.astimezone(ctx.zone)
    words: dict[str, Callable[[], str]] = {
        "ago": lambda: relative_time(moment, ctx.now, ctx.t),
        "date_num": lambda: f"{local:%Y-%m-%d}",
        "time": lambda: f"{local:%H:%M}",
        "time_secs": lambda: f"{local:%H:%M:%S}",
    }
    if any(word not in words for word in _DATE_WORD.findall(template)):
        return fallback  # a format Slack knows and this console does not: Slack's own fallback
    return _DATE_WORD.sub(lambda m: words[m.group(1)](), template)


def relative_time(moment: datetime, now: datetime, t: Catalogue) -> str:
    """'3분 전' / '3 minutes ago', or 'in 3 minutes' for a moment still to come."""
    delta = now - moment
    ahead = delta < timedelta(0)
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return t("console.ago.now")
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            count = int(seconds // size)
            one = ".one" if count == 1 else ""
            return t(f"console.{'ahead' if ahead else 'ago'}.{unit}{one}", count=count)
    return t("console.ago.now")


def plain(text_object: dict[str, Any] | None, ctx: RenderContext) -> str:
    """The text of a Block Kit text object, whichever kind it is."""
    if not text_object:
        return ""
    text = str(text_object.get("text") or "")
    return mrkdwn_text(text, ctx) if text_object.get("type") == "mrkdwn" else text


# -- blocks ----------------------------------------------------------------------------------
def render_blocks(
    blocks: list[dict[str, Any]],
    ctx: RenderContext,
    *,
    buttons: ButtonBook | None = None,
    channel: str = "",
    ts: str = "",
) -> list[str]:
    """Block Kit as lines; buttons listed as [N] when a ButtonBook numbers them."""
    style = ctx.style
    lines: list[str] = []

    def button_label(element: dict[str, Any]) -> str:
        label = plain(element.get("text"), ctx)
        if buttons is None:
            return style.button(f"[{label}]", element.get("style"))
        number = buttons.number(
            channel=channel,
            ts=ts,
            action_id=str(element.get("action_id") or ""),
            value=str(element.get("value", "")),
            label=label,
        )
        return style.button(f"[{number}] {label}", element.get("style"))

    def menu_text(element: dict[str, Any]) -> str:
        # Every option gets its own number, so a scripted drill can choose one.
        choices = [
            button_label(
                {
                    **element,
                    "type": "button",
                    "value": option.get("value"),
                    "text": option.get("text"),
                }
            )
            for option in element.get("options") or []
        ]
        return f"{plain(element.get('placeholder'), ctx)}: " + "  ".join(choices)

    def element_text(element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "button":
            return button_label(element)
        if kind in _CHOICE_INPUTS and buttons is not None:
            return menu_text(element)
        if kind in ("mrkdwn", "plain_text"):
            return plain(element, ctx)
        if kind == "image":
            return str(element.get("alt_text") or "")
        return ctx.t("console.unsupported_element", kind=kind)

    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(style.bold(plain(block.get("text"), ctx)))
        elif kind == "section":
            if block.get("text"):
                lines += plain(block["text"], ctx).splitlines()
            for item in block.get("fields") or []:
                lines += _field(item, ctx)
            if block.get("accessory"):
                accessory = block["accessory"]
                if accessory.get("type") != "image":
                    lines.append(element_text(accessory))
        elif kind == "context":
            text = "  ".join(element_text(e) for e in block.get("elements") or [])
            lines += [INDENT + style.dim(line) for line in text.splitlines()]
        elif kind == "actions":
            # A menu takes a line of its own; buttons share one.
            row: list[str] = []
            for element in block.get("elements") or []:
                if element.get("type") in _CHOICE_INPUTS and buttons is not None:
                    if row:
                        lines.append("  ".join(row))
                        row = []
                    lines.append(element_text(element))
                else:
                    row.append(element_text(element))
            if row:
                lines.append("  ".join(row))
        elif kind == "divider":
            lines.append(style.dim("─" * 24))
        elif kind == "image":
            lines.append(f"[🖼 {block.get('alt_text') or block.get('image_url') or ''}]")
        elif kind == "input":
            lines.append(plain(block.get("label"), ctx))
        elif kind == "rich_text":
            lines += _rich_text(block, ctx).splitlines()
    return lines


def _field(text_object: dict[str, Any], ctx: RenderContext) -> list[str]:
    """A section field; `*label*\\nvalue` reads as 'label: value'."""
    raw = str(text_object.get("text") or "")
    label_match = re.match(r"^\*([^*\n]+)\*\n(.*)$", raw, re.DOTALL)
    if text_object.get("type") != "mrkdwn" or not label_match:
        return plain(text_object, ctx).splitlines()
    label = ctx.style.bold(_unescape(label_match.group(1)))
    value_lines = mrkdwn_text(label_match.group(2), ctx).splitlines() or [""]
    return [f"{label}: {value_lines[0]}", *(INDENT + line for line in value_lines[1:])]


def _rich_text(block: dict[str, Any], ctx: RenderContext) -> str:
    """The words of a rich_text block (what people type in Slack's composer)."""
    out: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        kind = node.get("type")
        if kind in ("text", "link"):
            out.append(str(node.get("text") or node.get("url") or ""))
        elif kind == "user":
            user_id = str(node.get("user_id") or "")
            out.append("@" + (ctx.directory.user_name(user_id) or user_id))
        elif kind == "channel":
            channel_id = str(node.get("channel_id") or "")
            out.append("#" + (ctx.directory.channel_name(channel_id) or channel_id))
        elif kind == "emoji":
            out.append(f":{node.get('name')}:")
        for child in node.get("elements") or []:
            walk(child)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            out.append("\n")

    walk(block)
    return "".join(out).rstrip("\n")


# -- messages, files, views --------------------------------------------------------------------
def where_line(channel: str, ctx: RenderContext, *, author: str = BOT_USER_ID) -> str:
    """'#inc-20261126-… · AILEX': where a message appeared and who wrote it."""
    name = ctx.directory.channel_name(channel) or channel
    who = BOT_NAME if author == BOT_USER_ID else "@" + (ctx.directory.user_name(author) or author)
    return ctx.style.where(f"#{name}") + f" · {who}"


def render_message(
    message: Message, ctx: RenderContext, *, buttons: ButtonBook | None = None
) -> list[str]:
    """A message: the line saying where it appeared (and how), then its content, indented."""
    t, style = ctx.t, ctx.style
    markers = []
    if message.visible_to:
        markers.append(
            t("console.ephemeral")
            if message.visible_to == ctx.viewer
            else t(
                "console.ephemeral_for",
                user=ctx.directory.user_name(message.visible_to) or message.visible_to,
            )
        )
    if message.edited:
        markers.append(t("console.edited"))
    if message.thread_ts:
        markers.append(t("console.thread"))
    head = where_line(message.channel, ctx, author=message.user)
    if markers:
        head += " " + style.dim(" ".join(markers))
    body = render_blocks(
        message.blocks, ctx, buttons=buttons, channel=message.channel, ts=message.ts
    )
    if not body:
        body = mrkdwn_text(message.text, ctx).splitlines()
    return [head, *(f"{INDENT}{line}".rstrip() for line in body)]


def render_deleted(message: Message, ctx: RenderContext) -> list[str]:
    head = where_line(message.channel, ctx, author=message.user)
    return [f"{head} {ctx.style.dim(ctx.t('console.deleted'))}"]


def render_file(file: UploadedFile, ctx: RenderContext) -> list[str]:
    """A shared file: its name and size, then its first lines (a terminal has no viewer)."""
    raw = file.content or b""
    # A picture (the statistics chart) has no lines to show: its name and size only.
    content = "" if b"\x00" in raw[:1024] else raw.decode("utf-8", "replace")
    head = where_line(file.channel or "", ctx)
    summary = ctx.t(
        "console.file",
        title=file.title or file.filename,
        filename=file.filename,
        size=human_size(len(file.content or b"")),
    )
    lines = content.splitlines()
    shown = [INDENT + ctx.style.dim("│ ") + line for line in lines[:FILE_PREVIEW_LINES]]
    if len(lines) > FILE_PREVIEW_LINES:
        more = ctx.t("console.file_more", count=len(lines) - FILE_PREVIEW_LINES)
        shown.append(INDENT + ctx.style.dim(more))
    return [head, INDENT + summary, *shown]


def human_size(size: int) -> str:
    """1.2 KB, 340 B."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def render_view(view: OpenView, ctx: RenderContext, *, edited: bool = False) -> list[str]:
    """A modal's title and what it says (its inputs are asked for one by one)."""
    title = plain(view.view.get("title"), ctx)
    head = ctx.style.bold(ctx.t("console.modal", title=title))
    if edited:
        head += " " + ctx.style.dim(ctx.t("console.edited"))
    shown = [b for b in view.view.get("blocks") or [] if b.get("type") != "input"]
    return [head, *(INDENT + line for line in render_blocks(shown, ctx))]


# -- modal inputs ----------------------------------------------------------------------------
@dataclass(frozen=True)
class InputField:
    """One input block of a modal, as the console asks for it."""

    block_id: str
    action_id: str
    kind: str
    label: str
    optional: bool
    initial: str | None
    options: tuple[tuple[str, dict[str, Any]], ...] = ()

    @property
    def supported(self) -> bool:
        return self.kind in _TEXT_INPUTS or (self.kind in _CHOICE_INPUTS and bool(self.options))

    def state(self, answer: str | int | None) -> dict[str, Any]:
        """The view_submission state value Slack would send for this answer."""
        if self.kind in _CHOICE_INPUTS:
            option = self.options[answer][1] if isinstance(answer, int) else None
            return {"type": self.kind, "selected_option": option}
        return {"type": self.kind, "value": answer if isinstance(answer, str) else None}


def input_fields(view: dict[str, Any], ctx: RenderContext) -> list[InputField]:
    """The input blocks of a modal, in order."""
    fields = []
    for index, block in enumerate(view.get("blocks") or []):
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        options = tuple(
            (plain(option.get("text"), ctx), option) for option in element.get("options") or []
        )
        initial = element.get("initial_value")
        if element.get("initial_option"):
            initial = plain(element["initial_option"].get("text"), ctx)
        fields.append(
            InputField(
                block_id=str(block.get("block_id") or f"block{index}"),
                action_id=str(element.get("action_id") or "value"),
                kind=str(element.get("type") or ""),
                label=plain(block.get("label"), ctx),
                optional=bool(block.get("optional")),
                initial=str(initial) if initial is not None else None,
                options=options,
            )
        )
    return fields
