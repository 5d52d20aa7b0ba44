"""Stable ids of Block Kit elements, so the blocks and the handlers that target them agree."""

from enum import StrEnum

# The one slash command (manifest.yml declares it; SPEC 3).
SLASH_COMMAND = "/ailex"


class ActionId(StrEnum):
    APPROVE = "ailex.approve"
    DENY = "ailex.deny"
    REMEDIATE = "ailex.remediate"
    RESOLVE = "ailex.resolve"
    # Declare anyway, though an open incident has the same title.
    DECLARE_CONFIRM = "ailex.declare.confirm"
    RESOLVE_CONFIRM = "ailex.resolve.confirm"
    DIAGNOSE = "ailex.diagnose"
    DIAGNOSE_SELECT = "ailex.diagnose.select"
    JWT = "ailex.jwt"
    # Alerts (SPEC 3.3): acknowledge an incident an alert opened; a triage-mode alert's
    # decision (value: the alert's id).
    ACK = "ailex.ack"
    ALERT_DECLARE = "ailex.alert.declare"
    ALERT_DISMISS = "ailex.alert.dismiss"
    # The App Home's button that opens the declare form (SPEC 9).
    HOME_DECLARE = "ailex.home.declare"
    # An update reminder's snooze (SPEC 7; value: the incident's id).
    REMINDER_SNOOZE = "ailex.reminder.snooze"


class CallbackId(StrEnum):
    RESOLVE = "ailex.resolve_modal"
    ROTATE_KEY = "ailex.rotate_key_modal"
    JWT = "ailex.jwt_modal"
    EMERGENCY_DEPLOY = "ailex.emergency_deploy_modal"
    HOME_DECLARE = "ailex.home.declare_modal"


class BlockId(StrEnum):
    CAUSE = "cause"
    IMPACT = "impact"
    ACTIONS = "actions"
    PREVENTION_SHORT = "prevention_short"
    PREVENTION_LONG = "prevention_long"
    STARTED = "impact_started"
    SECRET = "secret"
    REASON = "reason"
    TITLE = "title"
    SEVERITY = "severity"
