"""The remediations a user can ask for (SPEC 3.3's `remediate <action>`), as data: which module
does it, whether it waits for a second person, and what each module is given from settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import UserError
from bot.incidents.vocabulary import EventKind
from bot.settings import Settings, is_set, vercel_args
from bot.text import closest, escape
from remediations.base import Outcome, Preview
from storage import Store
from storage.models import Incident

PreviewFn = Callable[[Settings, "str | None", datetime], Preview]
ExecuteFn = Callable[[Preview, Settings, dict[str, Any]], Outcome]
# A preview drafted from the incident and what the store knows of it (a customer notice).
DraftFn = Callable[[Settings, "str | None", datetime, Incident, Store], Preview]


@dataclass(frozen=True)
class Action:
    key: str
    preview: PreviewFn
    execute: ExecuteFn
    # Waits for a second person's approval; one that needs none runs at once when asked.
    needs_approval: bool = True
    # Changes or removes something (a red button); one that only adds (a backup) does not.
    destructive: bool = True
    # A site switch, `on` or `off`: turning it back off is allowed after the incident is
    # resolved, and one left on is mentioned when resolving.
    switch: bool = False
    # What the timeline calls it once it ran.
    done_event: EventKind = EventKind.REMEDIATION_EXECUTED
    # The approver pastes a secret (the new OpenAI key) into a form when approving.
    secret_at_approval: bool = False
    # A free-text reason is required (and asked for in a form when missing).
    reason_required: bool = False
    # Check the site again after it ran (a rollback should bring it back).
    recheck_site: bool = False
    # The SPEC 3.2 variables it cannot be asked for without (said before any preview).
    requires: tuple[str, ...] = ()
    # How many words may follow the action's name (None: free text, such as a reason).
    max_words: int | None = 0
    # Drafted from the incident (bot/customers) rather than read from the world: when set,
    # the engine calls it instead of `preview`.
    draft: DraftFn | None = None
    # May be asked for after the incident is resolved (a customer notice or report).
    after_resolve: bool = False
    # Says itself which settings it lacks (`check_configured`): one of several channels.
    configured: Callable[[Settings], None] | None = None
    # Reaches customers: refused for a drill's incident (SPEC 10).
    reaches_customers: bool = False


def _db(settings: Settings) -> dict[str, Any]:
    return {"dsn": settings.secret("supabase_db_url") or ""}


def _vercel(settings: Settings) -> dict[str, Any]:
    # Remediations talk to Vercel for longer than a probe's timeout allows.
    return dict(vercel_args(settings, timeout=max(settings.probe_timeout, 10.0)))


def _edge(settings: Settings) -> dict[str, Any]:
    config = _vercel(settings)
    config.pop("project_id")
    return {**config, "edge_config_id": settings.edge_config_id}


def _kill_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import kill_idle_connections

    return kill_idle_connections.preview(**_db(settings), idle_minutes=settings.idle_minutes)


def _kill_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import kill_idle_connections

    return kill_idle_connections.execute(preview, **_db(settings))


def _purge_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import purge_audit_logs

    return purge_audit_logs.preview(
        **_db(settings), retention_days=settings.audit_retention_days, tz=settings.zone
    )


def _purge_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import purge_audit_logs

    return purge_audit_logs.execute(preview, **_db(settings), tz=settings.zone)


def _backup_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import backup

    return backup.preview(**_db(settings), backup_dir=settings.backup_dir)


def _backup_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import backup

    return backup.execute(preview, **_db(settings), tz=settings.zone)


def _rollback_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import rollback

    return rollback.preview(**_vercel(settings), argument=argument, now=now)


def _rollback_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import rollback

    return rollback.execute(preview, **_vercel(settings))


def _emergency_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import emergency_deploy

    return emergency_deploy.preview(**_vercel(settings), argument=argument, now=now)


def _emergency_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import emergency_deploy

    return emergency_deploy.execute(preview, **_vercel(settings))


def _flag(flag: str) -> tuple[PreviewFn, ExecuteFn]:
    def preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
        from remediations import edge_flags

        return edge_flags.preview(flag=flag, argument=argument, **_edge(settings))  # type: ignore[arg-type]

    def execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
        from remediations import edge_flags

        return edge_flags.execute(preview, **_edge(settings))

    return preview, execute


def _rotate_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    from remediations import rotate_openai_key

    return rotate_openai_key.preview(**_vercel(settings))


def _rotate_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from remediations import rotate_openai_key

    return rotate_openai_key.execute(
        preview,
        new_key=extra["new_key"],
        openai_base_url=settings.openai_base_url,
        **_vercel(settings),
    )


def _unused_preview(settings: Settings, argument: str | None, now: datetime) -> Preview:
    raise AssertionError("a drafted action is previewed by its draft")


def _notice_draft(
    settings: Settings, argument: str | None, now: datetime, incident: Incident, store: Store
) -> Preview:
    from bot.customers.drafts import draft_notice

    return draft_notice(settings, argument, now, incident, store)


def _notice_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from bot.customers.publish import publish_notice

    return publish_notice(preview, settings, extra)


def _report_draft(
    settings: Settings, argument: str | None, now: datetime, incident: Incident, store: Store
) -> Preview:
    from bot.customers.drafts import draft_report

    return draft_report(settings, argument, now, incident, store)


def _report_execute(preview: Preview, settings: Settings, extra: dict[str, Any]) -> Outcome:
    from bot.customers.publish import send_report

    return send_report(preview, settings, extra)


def _customers_configured(settings: Settings) -> None:
    from bot.customers.channels import check_any_channel

    check_any_channel(settings)


def _report_configured(settings: Settings) -> None:
    from bot.customers.channels import check_email

    check_email(settings)


_VERCEL = ("VERCEL_TOKEN", "VERCEL_PROJECT_ID")
_EDGE = ("VERCEL_TOKEN", "AILEX_EDGE_CONFIG_ID")
_DATABASE = ("SUPABASE_DB_URL",)
_MAINTENANCE = _flag("maintenance")
_AI_DEGRADED = _flag("ai_degraded")

ACTIONS: dict[str, Action] = {
    action.key: action
    for action in (
        Action(
            "rollback",
            _rollback_preview,
            _rollback_execute,
            recheck_site=True,
            requires=_VERCEL,
            max_words=1,
        ),
        Action("kill-idle-connections", _kill_preview, _kill_execute, requires=_DATABASE),
        Action("purge-audit-logs", _purge_preview, _purge_execute, requires=_DATABASE),
        Action(
            "emergency-deploy",
            _emergency_preview,
            _emergency_execute,
            reason_required=True,
            requires=_VERCEL,
            max_words=None,
        ),
        Action("maintenance", *_MAINTENANCE, switch=True, requires=_EDGE, max_words=1),
        Action("ai-degraded", *_AI_DEGRADED, switch=True, requires=_EDGE, max_words=1),
        Action(
            "rotate-openai-key",
            _rotate_preview,
            _rotate_execute,
            secret_at_approval=True,
            requires=_VERCEL,
        ),
        Action(
            "backup",
            _backup_preview,
            _backup_execute,
            needs_approval=False,
            destructive=False,
            done_event=EventKind.BACKUP,
            requires=_DATABASE,
        ),
        # SPEC 8: nothing reaches a customer without a second person's approval.
        Action(
            "customer-notice",
            _unused_preview,
            _notice_execute,
            # What customers read cannot be taken back: a red button, like every other
            # action with no undo.
            destructive=True,
            done_event=EventKind.CUSTOMER_NOTIFIED,
            max_words=None,
            draft=_notice_draft,
            after_resolve=True,
            configured=_customers_configured,
            reaches_customers=True,
        ),
        Action(
            "customer-report",
            _unused_preview,
            _report_execute,
            destructive=True,
            done_event=EventKind.CUSTOMER_REPORT_SENT,
            draft=_report_draft,
            after_resolve=True,
            configured=_report_configured,
            reaches_customers=True,
        ),
    )
}

# The site switches (action keys) whose `on` an incident may leave behind.
SWITCHES = tuple(key for key, action in ACTIONS.items() if action.switch)

_ALIASES = {
    "롤백": "rollback",
    "연결종료": "kill-idle-connections",
    "kill-idle": "kill-idle-connections",
    "감사로그정리": "purge-audit-logs",
    "purge": "purge-audit-logs",
    "긴급배포": "emergency-deploy",
    "점검": "maintenance",
    "maintenance-mode": "maintenance",
    "ai안내": "ai-degraded",
    "키교체": "rotate-openai-key",
    "백업": "backup",
    "고객공지": "customer-notice",
    "고객보고서": "customer-report",
}


def check_arguments(action: Action, words: list[str]) -> None:
    """Refuse words the action does not take (`remediate backup now`), never ignore them."""
    if action.max_words is not None and len(words) > action.max_words:
        raise UserError("error.extra_arguments", extra=" ".join(words[action.max_words :])[:80])


def undoes(action: Action, argument: str | None) -> bool:
    """Whether this may be asked for after the incident is resolved: switching a site flag
    back off (what is left in effect may still be undone), or telling customers."""
    from remediations.edge_flags import parse_switch

    return action.after_resolve or (action.switch and parse_switch(argument) is False)


def check_not_drill(action: Action, incident: Incident) -> None:
    """A drill's incident never reaches a customer (SPEC 10): say so before anything else."""
    if action.reaches_customers and incident.is_drill:
        raise UserError("drill.no_customers", id=incident.id)


def check_configured(action: Action, settings: Settings) -> None:
    """Raise a UserError naming the settings this action needs and does not have."""
    if action.configured is not None:
        action.configured(settings)
    missing = [variable for variable in action.requires if not is_set(settings, variable)]
    if missing:
        raise UserError("remediation.not_configured", settings=", ".join(missing))


def action_of(word: str) -> Action:
    """The action a user named (Korean aliases too), or a UserError listing the known ones."""
    key = _ALIASES.get(word.strip().lower(), word.strip().lower())
    action = ACTIONS.get(key)
    if action is None:
        raise UserError(
            "error.unknown_action",
            suggestion=closest(word, [*ACTIONS, *_ALIASES]),
            action=escape(word[:40]),
            known=", ".join(ACTIONS),
        )
    return action
