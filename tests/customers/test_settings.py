"""SPEC 3.2's customer settings: a bad SMTP URL is one clear line; its password is a secret."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_smtp_password_is_among_the_secrets_to_redact() -> None:
    settings = load_settings(
        AILEX_SMTP_URL="smtps://mailer:p%40ss-w0rd@mail.example.com:465",
        STATUSPAGE_API_KEY="sp-key-123",
    )
    secrets = settings.secret_values()
    assert "p@ss-w0rd" in secrets and "sp-key-123" in secrets
    assert "p@ss-w0rd" not in repr(settings) and "sp-key-123" not in repr(settings)
    assert settings.customer_locales == ["ko", "en"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AILEX_SMTP_URL", "http://mail.example.com"),
        ("AILEX_SMTP_URL", "smtp://"),
        ("AILEX_CUSTOMER_EMAILS", "ops@customer.kr,not-an-address"),
        ("AILEX_SMTP_FROM", "status"),
        ("AILEX_CUSTOMER_LOCALES", "ko,fr"),
        ("STATUSPAGE_API_URL", "api.statuspage.io"),
    ],
)
def test_a_bad_customer_setting_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**{variable: value})
    assert error.value.variable == variable
    assert value not in str(error.value)
