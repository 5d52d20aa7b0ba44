"""The message catalogue: every user-facing sentence, in Korean (default) and English.

Each module of this package holds one area's sentences as two dicts, KO and EN, with the same
keys and the same {placeholders}; tests/messages/test_catalogue.py holds them to that.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from bot.messages import (
    alerts,
    approvals,
    chain,
    checks,
    clock,
    console,
    customers,
    diagnosis,
    drill,
    evidence,
    incidents,
    remediations,
)
from probes.base import Msg

LOCALES = ("ko", "en")
_MODULES: tuple[ModuleType, ...] = (
    incidents,
    checks,
    diagnosis,
    remediations,
    approvals,
    console,
    alerts,
    chain,
    evidence,
    clock,
    customers,
    drill,
)

log = logging.getLogger(__name__)


def tables() -> dict[str, dict[str, str]]:
    """Every locale's merged table; a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {"ko": {}, "en": {}}
    for module in _MODULES:
        for locale, table in (("ko", module.KO), ("en", module.EN)):
            for key, template in table.items():
                if key in merged[locale]:
                    raise KeyError(f"message {key!r} defined twice")
                merged[locale][key] = template
    return merged


_TABLES = tables()


class Catalogue:
    """Translate a key with parameters into the configured language."""

    def __init__(self, locale: str = "ko") -> None:
        if locale not in LOCALES:
            raise ValueError(f"unknown locale {locale!r}")
        self.locale = locale
        self._table = _TABLES[locale]

    def __call__(self, key: str, /, **params: Any) -> str:
        template = self._table.get(key)
        if template is None:
            # A missing sentence must not break an incident; tests keep this from happening.
            log.error("message key %r missing for locale %s", key, self.locale)
            return key
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            log.error("message %r could not be formatted with %s", key, sorted(params))
            return template

    def has(self, key: str) -> bool:
        return key in self._table

    def render(self, message: Msg, *, user_text: Callable[[str], str] | None = None) -> str:
        """Translate a Msg built by a probe or a remediation (a Msg-shaped parameter too).
        `user_text` is applied to its text parameters (Slack's escaping, where it is shown in
        Slack): they come from outside (what a user typed, what a provider answered) and
        never carry markup of the bot's own."""
        params = {
            name: self.render(Msg.model_validate(value), user_text=user_text)
            if _is_msg(value)
            else user_text(value)
            if user_text is not None and isinstance(value, str)
            else value
            for name, value in message.params.items()
        }
        return self(message.key, **params)


def _is_msg(value: object) -> bool:
    return isinstance(value, dict) and set(value) == {"key", "params"}
