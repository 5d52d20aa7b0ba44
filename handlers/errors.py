"""The one error handler: every listener's failure is answered where the user acted.

A user's mistake (UserError) gets its sentence; a repeated delivery gets nothing new; any other
failure is logged with an id and the user sees that id, never a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse, Respond

from bot.app import Core
from bot.errors import Duplicate, UserError
from bot.logs import error_id as new_error_id
from bot.slack.blocks import plain, section

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    """Install the error handler."""

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> BoltResponse:
        t = core.t
        kind = body.get("type") or ("command" if "command" in body else "")
        if isinstance(error, Duplicate):
            text = t("error.duplicate") if kind == "command" else None
        elif isinstance(error, UserError):
            text = t.render(error.message)
        else:
            error_id = new_error_id()
            log.error("listener failed (error id %s)", error_id, exc_info=error)
            text = t("error.internal", id=error_id)

        if kind == "view_submission":
            return _json(
                {
                    "response_action": "update",
                    "view": {
                        "type": "modal",
                        "title": plain(t("modal.error.title"), 24),
                        "close": plain(t("modal.close"), 24),
                        "blocks": [section(text or t("error.duplicate"))],
                    },
                }
            )
        if kind == "command":
            if text is None:
                return BoltResponse(status=200, body="")
            return _json({"response_type": "ephemeral", "text": text, "blocks": [section(text)]})
        # A button: Slack ignores the ack's body, so answer through the response_url.
        if text and respond is not None and respond.response_url:
            core.spawn(respond, text=text, response_type="ephemeral", replace_original=False)
        return BoltResponse(status=200, body="")


def _json(body: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200, body=json.dumps(body), headers={"content-type": "application/json"}
    )
