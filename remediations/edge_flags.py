"""The site's switches in Vercel Edge Config: `maintenance` (the 점검 페이지 the runbook's 상황 7
falls back to) and `ai_degraded` (상황 3 경우 A: "일시적으로 AI 기능을 사용할 수 없습니다").

Each flag is one Edge Config item holding true or false; an item that is not set reads as off.
The preview reads the item and says current -> new; execution upserts it
(PATCH /v1/edge-config/{id}/items) and reads it back. The REST API always answers the latest
version; the site's reads may take a few seconds to see it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel

from probes.base import Msg, ProbeFailure, msg
from probes.http import StatusError
from probes.text import scrub
from remediations.base import Outcome, Preview, plan_of
from remediations.vercel_api import (
    VercelApi,
    config_changed,
    failure_msg,
    not_configured,
    run_sync,
    unexpected,
)

Flag = Literal["maintenance", "ai_degraded"]
# The action key of each flag (SPEC 3.3); the flag name is also its Edge Config item key.
ACTIONS: dict[str, str] = {"maintenance": "maintenance", "ai_degraded": "ai-degraded"}
_ON = {"on", "true", "켜기", "켬", "켜"}
_OFF = {"off", "false", "끄기", "끔", "꺼"}

log = logging.getLogger(__name__)


class EdgeFlagPlan(BaseModel):
    """What an approved switch acts on (Preview.data)."""

    flag: Flag
    edge_config_id: str
    key: str
    value: bool
    # The item's value at preview time; None with `was_set` False when it did not exist.
    previous: Any = None
    was_set: bool = False


class _ConfigNotFound(Exception):
    """The Edge Config itself does not exist (not just the item)."""


def parse_switch(argument: str | None) -> bool | None:
    """on/off (also true/false, 켜기/끄기) as a bool; None for anything else."""
    word = (argument or "").strip().lower()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    return None


def shown(value: Any, *, was_set: bool = True) -> str:
    """A flag value as people read it: on, off, unset, or the odd JSON value as it is."""
    if not was_set:
        return "unset"
    if value is True:
        return "on"
    if value is False or value is None:
        return "off"
    return scrub(json.dumps(value, ensure_ascii=False), limit=40)


def _state(value: bool) -> str:
    return "on" if value else "off"


def preview(
    *,
    flag: Flag,
    argument: str | None = None,
    api_url: str,
    token: str | None,
    team_id: str | None = None,
    edge_config_id: str | None,
    timeout: float,
    now: datetime | None = None,  # accepted like every preview's; a switch has no age to show
) -> Preview:
    """Read the flag and say current -> new; blocked when it already is what was asked."""
    action = ACTIONS[flag]
    title = msg("edge_flag.title", flag=flag)
    missing = not_configured(VERCEL_TOKEN=token, AILEX_EDGE_CONFIG_ID=edge_config_id)
    if missing or not token or not edge_config_id:
        return Preview(action=action, summary=title, blocked=missing)
    if not (argument or "").strip():
        return Preview(action=action, summary=title, blocked=msg("edge_flag.usage", action=action))
    wanted = parse_switch(argument)
    if wanted is None:
        bad = msg("edge_flag.bad_argument", action=action, argument=scrub(argument or "", limit=40))
        return Preview(action=action, summary=title, blocked=bad)

    api = VercelApi(api_url=api_url, token=token, team_id=team_id, timeout=timeout)
    try:
        was_set, previous = run_sync(_read(api, edge_config_id, flag))
    except _ConfigNotFound:
        gone = msg("edge_flag.config_not_found", edge_config_id=edge_config_id)
        return Preview(action=action, summary=title, blocked=gone)
    except ProbeFailure as failure:
        return Preview(action=action, summary=title, blocked=failure_msg(failure))
    except Exception as error:
        return Preview(action=action, summary=title, blocked=unexpected(action, error))

    plan = EdgeFlagPlan(
        flag=flag,
        edge_config_id=edge_config_id,
        key=flag,
        value=wanted,
        previous=previous,
        was_set=was_set,
    )
    current = shown(previous, was_set=was_set)
    summary = msg("edge_flag.preview", flag=flag, current=current, new=_state(wanted))
    where = msg("edge_flag.where", edge_config_id=edge_config_id, item=flag)
    details = [_effect(flag, wanted), where]
    # Exactly the value asked for, or 'off' asked of an item unset or null: nothing to do. Any
    # other value (a string, a number) is replaced, whatever the site makes of it.
    blocked = None
    if (was_set and previous is wanted) or (not wanted and previous is None):
        blocked = msg("edge_flag.already", flag=flag, state=_state(wanted))
    return Preview(
        action=action,
        summary=summary,
        details=details,
        data=plan.model_dump(mode="json"),
        blocked=blocked,
    )


def _effect(flag: Flag, on: bool) -> Msg:
    """What the site does once the flag has the new value."""
    if flag == "maintenance" and on:
        return msg("edge_flag.effect.maintenance_on")
    if flag == "maintenance":
        return msg("edge_flag.effect.maintenance_off")
    if on:
        return msg("edge_flag.effect.ai_degraded_on")
    return msg("edge_flag.effect.ai_degraded_off")


async def _read(api: VercelApi, edge_config_id: str, key: str) -> tuple[bool, Any]:
    """Whether the item is set, and its value (GET .../item/{key}; 404 is 'not set')."""
    config = quote(edge_config_id, safe="")
    async with api:
        try:
            answer = await api.call("GET", f"/v1/edge-config/{config}/item/{quote(key, safe='')}")
        except StatusError as error:
            if error.answer.status != 404:
                raise
            # A 404 is either the item or the whole Edge Config: ask which.
            try:
                await api.call("GET", f"/v1/edge-config/{config}")
            except StatusError as missing:
                if missing.answer.status == 404:
                    raise _ConfigNotFound from None
                raise
            return False, None
        item = answer.json_object()
        if "value" not in item:
            raise answer.bad_shape("item without a value")
        return True, item["value"]


def execute(
    preview: Preview,
    *,
    api_url: str,
    token: str | None,
    team_id: str | None = None,
    edge_config_id: str | None,
    timeout: float,
) -> Outcome:
    """Upsert the flag to the previewed value and read it back to confirm."""
    action = preview.action
    plan = plan_of(preview, EdgeFlagPlan)
    if plan is None or action != ACTIONS[plan.flag]:
        return Outcome(ok=False, summary=msg("remediation.bad_preview", action=action))
    missing = not_configured(VERCEL_TOKEN=token, AILEX_EDGE_CONFIG_ID=edge_config_id)
    if missing or not token:
        return Outcome(ok=False, summary=missing or msg("remediation.bad_preview", action=action))
    if edge_config_id != plan.edge_config_id:
        return Outcome(ok=False, summary=config_changed("AILEX_EDGE_CONFIG_ID"))
    api = VercelApi(api_url=api_url, token=token, team_id=team_id, timeout=timeout)
    try:
        was_set, value = run_sync(_write(api, plan))
    except _ConfigNotFound:
        gone = msg("edge_flag.config_not_found", edge_config_id=plan.edge_config_id)
        return Outcome(ok=False, summary=gone)
    except ProbeFailure as failure:
        failed = msg("edge_flag.failed", flag=plan.flag, new=_state(plan.value))
        return Outcome(ok=False, summary=failed, details=[failure_msg(failure)])
    except Exception as error:
        return Outcome(ok=False, summary=unexpected(action, error))

    new = _state(plan.value)
    data = {
        "flag": plan.flag,
        "edge_config_id": plan.edge_config_id,
        "previous": shown(plan.previous, was_set=plan.was_set),
        "value": plan.value,
        "read_back": value,
    }
    if not was_set or value is not plan.value:
        actual = shown(value, was_set=was_set)
        log.warning("edge flag %s written as %s but read back %s", plan.flag, new, actual)
        summary = msg("edge_flag.not_confirmed", flag=plan.flag, expected=new, actual=actual)
        return Outcome(ok=False, summary=summary, data=data)
    log.info("edge flag %s set to %s", plan.flag, new)
    details = [_effect(plan.flag, plan.value), msg("edge_flag.propagation")]
    summary = msg("edge_flag.done", flag=plan.flag, state=new)
    return Outcome(ok=True, summary=summary, details=details, data=data)


async def _write(api: VercelApi, plan: EdgeFlagPlan) -> tuple[bool, Any]:
    """Upsert the item, then read it back (set?, value)."""
    config = quote(plan.edge_config_id, safe="")
    body = {"items": [{"operation": "upsert", "key": plan.key, "value": plan.value}]}
    async with api:
        try:
            await api.call("PATCH", f"/v1/edge-config/{config}/items", body=body)
        except StatusError as error:
            if error.answer.status == 404:
                raise _ConfigNotFound from None
            raise
    return await _read(api, plan.edge_config_id, plan.key)
