"""Modal submissions: the resolve form."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from slack_bolt import Ack, App

from bot.app import Core
from bot.errors import UserError
from bot.incidents.flows import TEXT_LIMIT, Actor, impact_time
from bot.slack.ids import BlockId, CallbackId
from bot.text import escape, fmt_datetime, fmt_duration
from handlers.edge import row_id


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
        incident_id = row_id(data.get("incident_id"))
        if incident_id is None:
            raise UserError("error.bad_form")
        incident = core.incidents.get(incident_id)
        if incident is None:
            raise UserError("error.no_incident")
        edit = bool(data.get("edit"))
        cause = form_value(view, BlockId.CAUSE)
        # Every wrong field at once, as `errors`: Slack keeps what was typed in the others.
        errors = _too_long(core, view, RESOLVE_FIELDS)
        if not cause and not (edit and incident.resolved_at is None):
            errors.setdefault(BlockId.CAUSE, core.t("error.cause_required"))
        started_text = form_value(view, BlockId.STARTED)
        started = None
        if started_text:
            try:
                started = impact_time(
                    started_text,
                    now=core.clock(),
                    zone=core.zone,
                    resolved_at=incident.resolved_at if edit else None,
                )
            except UserError as error:
                errors[BlockId.STARTED] = core.t.render(error.message)
        if errors:
            # Slack keeps what was typed in the form and shows each field's error.
            ack(response_action="errors", errors=errors)
            return
        actor = submitter(body, view, channel_id=str(data.get("channel_id") or ""))
        if not edit and not data.get("confirmed") and incident.resolved_at is None:
            live = core.live(incident_id)
            if live.still_failing:
                # The last diagnosis still fails: ask once more, keeping what was typed.
                typed: dict[str, str | None] = {
                    str(block): form_value(view, block)
                    for block in (*RESOLVE_FIELDS, BlockId.STARTED)
                }
                question, _ = core.render.resolve_confirm(incident, live, cause=None)
                view = core.render.resolve_modal(
                    incident, channel_id=actor.channel_id, typed=typed, warning=question
                )
                ack(response_action="update", view=view)
                return
        fields = {
            "cause": cause,
            "impact": form_value(view, BlockId.IMPACT),
            "actions": form_value(view, BlockId.ACTIONS),
            "prevention_short": form_value(view, BlockId.PREVENTION_SHORT),
            "prevention_long": form_value(view, BlockId.PREVENTION_LONG),
        }
        if edit:
            core.incidents.edit_report(
                incident_id=incident_id, actor=actor, fields=fields, impact_started=started
            )
        else:
            core.incidents.resolve(
                incident_id=incident_id, actor=actor, impact_started=started, **fields
            )
        ack()


RESOLVE_FIELDS = (
    BlockId.CAUSE,
    BlockId.IMPACT,
    BlockId.ACTIONS,
    BlockId.PREVENTION_SHORT,
    BlockId.PREVENTION_LONG,
)


def _too_long(core: Core, view: dict[str, Any], block_ids: tuple[BlockId, ...]) -> dict[str, str]:
    """The fields over the stored limit, each with the limit in characters."""
    errors: dict[str, str] = {}
    for block_id in block_ids:
        value = (form_value(view, block_id) or "").strip()
        if len(value) > TEXT_LIMIT:
            errors[block_id] = core.t(
                "error.field_too_long", limit=f"{TEXT_LIMIT:,}", length=f"{len(value):,}"
            )
    return errors


def _result_view(core: Core, title: str, text: str) -> dict[str, Any]:
    from bot.slack.blocks import plain, section

    return {
        "type": "modal",
        "title": plain(title, 24),
        "close": plain(core.t("modal.close"), 24),
        "blocks": [section(text)],
    }


def _jwt_lines(core: Core, data: dict[str, Any]) -> list[str]:
    """The decoded claims, each under its name in the team's language; times in its zone."""
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
        request_id = row_id(metadata(view).get("request_id"))
        if request_id is None:
            raise UserError("error.bad_form")
        actor = submitter(body, view)
        core.approvals.approve(request_id=request_id, actor=actor, with_secret=True)
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.rotate.title"), core.t("modal.rotate.done")),
        )
        core.spawn(core.approvals.execute, request_id, secret=SecretStr(key.strip()))

    @app.view(CallbackId.EMERGENCY_DEPLOY.value)
    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = form_value(view, BlockId.REASON)
        if not reason:
            ack(response_action="errors", errors={BlockId.REASON: core.t("modal.reason.required")})
            return
        data = metadata(view)
        actor = submitter(body, view, channel_id=str(data.get("channel_id") or ""))
        action = str(data.get("action") or "emergency-deploy")
        text = core.request_remediation([action, *reason.split()], actor, None, None)
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.reason.title"), text or ""),
        )

    @app.view(CallbackId.JWT.value)
    def on_jwt(ack: Ack, view: dict[str, Any]) -> None:
        token = form_value(view, BlockId.SECRET)
        if not token:
            ack(response_action="errors", errors={BlockId.SECRET: core.t("modal.jwt.required")})
            return
        finding = core.diagnoses.inspect_jwt(token.strip())
        # The token's claims are whatever its maker wrote: shown literally.
        lines = [core.t.render(finding.summary, user_text=escape), *_jwt_lines(core, finding.data)]
        ack(
            response_action="update",
            view=_result_view(core, core.t("modal.jwt.title"), "\n".join(lines)),
        )
