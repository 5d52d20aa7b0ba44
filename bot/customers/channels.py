"""Which of the two customer channels (status page, e-mail) are configured."""

from __future__ import annotations

from bot.errors import UserError
from bot.settings import Settings, is_set

PAGE_SETTINGS = ("STATUSPAGE_API_KEY", "STATUSPAGE_PAGE_ID")
EMAIL_SETTINGS = ("AILEX_SMTP_URL", "AILEX_SMTP_FROM", "AILEX_CUSTOMER_EMAILS")


def _unset(settings: Settings, variables: tuple[str, ...]) -> list[str]:
    missing = []
    for variable in variables:
        if variable == "AILEX_CUSTOMER_EMAILS":
            if not settings.customer_emails:
                missing.append(variable)
        elif not is_set(settings, variable):
            missing.append(variable)
    return missing


def page_missing(settings: Settings) -> list[str]:
    """The status page's settings that are not set (empty: it can be published)."""
    return _unset(settings, PAGE_SETTINGS)


def email_missing(settings: Settings) -> list[str]:
    """Customer e-mail's settings that are not set (empty: it can be sent)."""
    return _unset(settings, EMAIL_SETTINGS)


def check_any_channel(settings: Settings) -> None:
    """Raise a UserError naming what to set when neither channel is configured."""
    page, email = page_missing(settings), email_missing(settings)
    if page and email:
        raise UserError("customer.not_configured", settings=", ".join([*page, *email]))


def check_email(settings: Settings) -> None:
    """The customer report goes by e-mail only: raise naming what to set when it cannot."""
    missing = email_missing(settings)
    if missing:
        raise UserError("customer.report_no_email", settings=", ".join(missing))
