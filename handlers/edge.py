"""What reaches the listeners: the body Slack sent, parsed as it was sent, well formed, clean.

Slack posts slash commands as a form and interactive payloads as a form with one `payload`
field of JSON. Bolt's own parser takes any form body containing the word "payload" for the
second kind (a command `/ailex note webhook payload 413` would be lost), so every HTTP request
is parsed here instead (`slack_request`, used by the WSGI app and the console).

A body that cannot be what Slack sends (not JSON, not an object, `actions: []`, a value of
the wrong type, an id longer than the store holds) is answered 400 by a middleware, after
the signature check, with one line in the log. The same middleware replaces control
characters (NUL and the other C0 characters but tab and newline, lone surrogates) in every
text of the body with U+FFFD, so that what a user typed is stored alike on SQLite and
PostgreSQL (which refuses NUL), whichever way it came (HTTP, Socket Mode, the console).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context

log = logging.getLogger(__name__)

# Where the parser leaves why a body cannot be handled, for the middleware to answer.
MALFORMED = "ailex_malformed"

# C0 controls but tab and newline (a CR is dropped: Slack's line ends are LF), and the lone
# surrogates JSON can carry: none can be stored alike everywhere, none is meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]")
REPLACEMENT = "\ufffd"
MAX_DEPTH = 32
# Column widths of the store (storage/models.py): Slack ids fit in 32, delivery keys in 200.
MAX_ID = 32
MAX_TRIGGER = 150
_URL = re.compile(r"https?://\S+\Z")


def clean(text: str) -> str:
    """Text a user sent, with the characters no store takes alike replaced."""
    if not _CONTROL.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(REPLACEMENT, text)


def _cleaned(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _cleaned(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v, depth + 1) for v in value]
    return value


# -- parsing -------------------------------------------------------------------------------------
def parse_body(raw: str, content_type: str | None) -> tuple[dict[str, Any], str | None]:
    """The body as Slack meant it, and why it cannot be handled (None: it can)."""
    if not raw:
        return {}, None
    if content_type == "application/json" or (content_type is None and raw.startswith("{")):
        return _json_object(raw)
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form and "command" not in form:
        return _json_object(form["payload"])
    return form, None


def _json_object(text: str) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return {}, "the payload is not JSON"
    if not isinstance(value, dict):
        return {}, "the payload is not a JSON object"
    return value, None


def slack_request(
    raw_body: str,
    *,
    headers: Mapping[str, str | Sequence[str]],
    query: str | None = None,
) -> BoltRequest:
    """A Bolt request of an HTTP body, parsed properly; a malformed one carries `MALFORMED`
    (and an empty body) so that it is refused once its signature is checked."""
    request = BoltRequest(body="", query=query, headers=dict(headers))
    request.raw_body = raw_body
    body, problem = parse_body(raw_body, request.content_type)
    problem = problem or problem_of(body)
    if problem is not None:
        body = {}
    context = build_context(BoltContext({}), body)
    if problem is not None:
        context[MALFORMED] = problem
    request.body = body
    request.context = context
    return request


# -- shapes ----------------------------------------------------------------------------------------
Check = Callable[[Any], bool]


def _text(limit: int | None = None) -> Check:
    return lambda v: isinstance(v, str) and (limit is None or len(v) <= limit)


def _url(v: Any) -> bool:
    return isinstance(v, str) and bool(_URL.match(v))


def _optional(body: Mapping[str, Any], checks: Mapping[str, Check]) -> str | None:
    """The first field present (and not null) that fails its check."""
    for key, check in checks.items():
        value = body.get(key)
        if value is not None and not check(value):
            return key
    return None


def _object(checks: Mapping[str, Check]) -> Check:
    return lambda v: isinstance(v, dict) and _optional(v, checks) is None


_ID = _text(MAX_ID)
_COMMON = {
    "callback_id": _text(255),
    "trigger_id": _text(MAX_TRIGGER),
    "response_url": _url,
    "user": _object({"id": _ID, "team_id": _ID}),
    "team": lambda v: isinstance(v, str | dict),
    "channel": _object({"id": _ID}),
    "container": _object({"channel_id": _ID, "message_ts": _text(MAX_ID)}),
    "message": lambda v: isinstance(v, dict),
    "authorizations": lambda v: isinstance(v, list) and all(isinstance(a, dict) for a in v),
    "enterprise": lambda v: isinstance(v, str | dict),
    "response_urls": lambda v: isinstance(v, list) and all(isinstance(a, dict) for a in v),
}
_COMMAND = {
    "command": _text(),
    "text": _text(),
    "user_id": _ID,
    "channel_id": _ID,
    "team_id": _ID,
    "trigger_id": _text(MAX_TRIGGER),
    "response_url": _url,
}
_ACTION = {
    "action_id": _text(255),
    "block_id": _text(255),
    "value": _text(),
    "selected_option": _object({"value": _text()}),
}
_VIEW = {
    "id": _text(MAX_ID * 2),
    "type": _text(),
    "callback_id": _text(255),
    "private_metadata": _text(),
    "state": _object(
        {
            "values": lambda v: (
                isinstance(v, dict)
                and all(
                    isinstance(block, dict) and all(isinstance(e, dict) for e in block.values())
                    for block in v.values()
                )
            )
        }
    ),
}


def shape_problem(body: Mapping[str, Any]) -> str | None:
    """Why a parsed body is not in the shape the listeners (and Bolt) read (None: it is)."""
    if "command" in body:
        field = _optional(body, _COMMAND)
        return f"the command's {field} is malformed" if field else None
    if "ssl_check" in body:
        return None  # Slack's certificate check: Bolt answers it
    kind = body.get("type")
    if not isinstance(kind, str):
        return "the payload has no type"
    field = _optional(body, _COMMON)
    if field:
        return f"the payload's {field} is malformed"
    if "actions" in body or kind == "block_actions":
        found = body.get("actions")
        if not isinstance(found, list) or not found:
            return "the payload has no actions"
        for action in found:
            if not isinstance(action, dict) or not _text(255)(action.get("action_id")):
                return "an action has no action_id"
            field = _optional(action, _ACTION)
            if field:
                return f"an action's {field} is malformed"
    if "view" in body or kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not _text(255)(view.get("callback_id")):
            return "the payload's view is malformed"
        field = _optional(view, _VIEW)
        if field:
            return f"the view's {field} is malformed"
    if "event" in body and not _object({"type": _text(255)})(body["event"]):
        return "the payload's event is malformed"
    return None


def problem_of(body: Any) -> str | None:
    """Why a body (parsed, or as Socket Mode delivers it) cannot be handled (None: it can)."""
    if not isinstance(body, dict):
        return "the payload is not a JSON object"
    if _too_deep(body):
        return "the payload is nested too deeply"
    problem = shape_problem(body)
    if problem is None:
        try:
            build_context(BoltContext({}), body)
        except Exception:
            problem = "the payload's ids are not in Slack's shape"
    return problem


def _too_deep(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


def refused(problem: str) -> None:
    log.warning("refused a malformed Slack request: %s", problem)


# -- the middleware --------------------------------------------------------------------------------
def register(app: App) -> None:
    """Refuse malformed bodies (after the signature check) and clean every text in the rest."""

    @app.middleware
    def edge(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> Any:
        problem = req.context.get(MALFORMED) or problem_of(req.body)
        if problem is not None:
            refused(problem)
            return BoltResponse(status=400, body="")
        cleaned = _cleaned(req.body)
        if cleaned != req.body:
            req.body = cleaned
            build_context(req.context, cleaned)
        return next()


# The store's ids are 32-bit integers (storage/models.py): a longer number names no row.
MAX_ROW_ID = 2**31 - 1


def row_id(value: Any) -> int | None:
    """A stored row's id sent back by Slack (a button's value, a form's metadata), or None
    when it cannot be one (not a plain positive number, or too large for the store)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value) if len(value) <= 12 else MAX_ROW_ID + 1
    else:
        return None
    return number if 0 < number <= MAX_ROW_ID else None
