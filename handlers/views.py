"""Modal submissions: the resolve form."""

from __future__ import annotations

import json
from typing import Any

from pydantic import SecretStr
from slack_bolt import Ack, App

from bot.core import Core
from bot.ids import BlockId, CallbackId
from bot.incidents import Actor, UserError


def form_value(view: dict[str, Any], block_id: str) -> str | None:
    """The text typed into an input block (None when left empty)."""
    block = (view.get("state") or {}).get("values", {}).get(block_id) or {}
    for element in block.values():
        value = element.get("value")
        if isinstance(value, str) and value.strip():
            return value
    return None


def submitter(body: dict[str, Any], view: dict[str, Any], *, channel_id: str = "") -> Actor:
    """Who submitted the form, and the delivery (the view) that carried it."""
    return Actor(
        user_id=str((body.get("user") or {}).get("id") or ""),
        channel_id=channel_id,
        delivery_key=f"view:{view.get('id')}" if view.get("id") else None,
    )


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        raise UserError("error.bad_form")
    return data


def register(app: App, core: Core) -> None:
    """Listen for the bot's modals."""

    @app.view(CallbackId.RESOLVE.value)
    def on_resolve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data = metadata(view)
        cause = form_value(view, BlockId.CAUSE)
        if not cause:
            ack(response_action="errors", errors={BlockId.CAUSE: core.t("error.cause_required")})
            return
        actor = submitter(body, view, channel_id=str(data.get("channel_id") or ""))
        try:
            incident_id = int(data["incident_id"])
        except (KeyError, TypeError, ValueError):
            raise UserError("error.bad_form") from None
        core.incidents.resolve(
            incident_id=incident_id,
            actor=actor,
            cause=cause,
            impact=form_value(view, BlockId.IMPACT),
            actions=form_value(view, BlockId.ACTIONS),
            prevention_short=form_value(view, BlockId.PREVENTION_SHORT),
            prevention_long=form_value(view, BlockId.PREVENTION_LONG),
        )
        ack()


def _result_view(core: Core, title: str, text: str) -> dict[str, Any]:
    from bot.render import plain, section

    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain(core.t("modal.close"), 24),
        "blocks": [section(text)],
    }


def _jwt_lines(core: Core, data: dict[str, Any]) -> list[str]:
    """The decoded claims, each under its name in the team's language; times in its zone."""
    from datetime import datetime, timedelta

    from bot.text import escape, fmt_datetime, fmt_duration

    lines = []
    for name, value in data.items():
        if value is None or not core.t.has(f"modal.jwt.field.{name}"):
            continue
        if name in ("exp", "iat"):
            shown = fmt_datetime(datetime.fromisoformat(value), core.zone)
        elif name == "expires_in_seconds":
            if value <= 0:
                continue
            shown = fmt_duration(timedelta(seconds=value), core.t)
        else:
            shown = escape(", ".join(value) if isinstance(value, list) else str(value))
        lines.append(f"• {core.t(f'modal.jwt.field.{name}')}: {shown}")
    return lines


def register_forms(app: App, core: Core) -> None:
    """Listen for the small forms: the new OpenAI key, an emergency deploy's reason, a JWT."""

    @app.view(CallbackId.ROTATE_KEY.value)
    def on_new_key(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        key = form_value(view, BlockId.SECRET)
        if not key:
            ack(response_action="errors", errors={BlockId.SECRET: core.t("modal.rotate.required")})
            return
        try:
            request_id = int(metadata(view)["request_id"])
        except (KeyError, TypeError, ValueError):
            raise UserError("error.bad_form") from None
        actor = submitter(body, view)
        core.approvals.approve(request_id=request_id, actor=actor, with_secret=True)
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.rotate.title"), core.t("modal.rotate.done")),
        )
        core.spawn(core.approvals.execute, request_id, secret=SecretStr(key.strip()))

    @app.view(CallbackId.EMERGENCY_DEPLOY.value)
    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        from handlers.commands import request_remediation

        reason = form_value(view, BlockId.REASON)
        if not reason:
            ack(response_action="errors", errors={BlockId.REASON: core.t("modal.reason.required")})
            return
        data = metadata(view)
        actor = submitter(body, view, channel_id=str(data.get("channel_id") or ""))
        action = str(data.get("action") or "emergency-deploy")
        text = request_remediation(core, [action, *reason.split()], actor, None, None)
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.reason.title"), text or ""),
        )

    @app.view(CallbackId.JWT.value)
    def on_jwt(ack: Ack, view: dict[str, Any]) -> None:
        from probes.supabase_auth import inspect_jwt

        token = form_value(view, BlockId.SECRET)
        if not token:
            ack(response_action="errors", errors={BlockId.SECRET: core.t("modal.jwt.required")})
            return
        finding = inspect_jwt(token.strip(), now=core.clock())
        lines = [core.t.render(finding.summary), *_jwt_lines(core, finding.data)]
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.jwt.title"), "\n".join(lines)),
        )
