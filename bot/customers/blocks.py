"""The resolve message's buttons for customers: a notice (`resolved`) and the customer report.
Each is the same as `/ailex notify` or `/ailex report send`: an approval request."""

from __future__ import annotations

from typing import Any

from bot.messages import Catalogue
from bot.slack.blocks import actions, button
from bot.slack.ids import ActionId


def customer_buttons(t: Catalogue) -> dict[str, Any]:
    return actions(
        button(t("customer.button.notice"), ActionId.REMEDIATE, "customer-notice"),
        button(t("customer.button.report"), ActionId.REMEDIATE, "customer-report"),
    )
