"""Logging that never shows a secret: known values and token-shaped strings are masked."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable

MASK = "[redacted]"

# Shapes of credentials that may show up in text we did not write (errors from libraries).
_PATTERNS = [
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=]{8,}"),
    re.compile(r"(?i)(\b(?:postgres(?:ql)?(?:\+\w+)?|mysql)://[^:/@\s]+:)[^@\s]+(@)"),
    re.compile(r"(?i)(password=)[^\s&]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
]


def error_id() -> str:
    """A short id for a failure: shown to the user, and in the log line with the details."""
    return uuid.uuid4().hex[:8]


class Redactor:
    """Masks the given secret values and anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            if pattern.groups:
                text = pattern.sub(lambda m: _keep_groups(m), text)
            else:
                text = pattern.sub(MASK, text)
        return text


def _keep_groups(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    if len(groups) >= 2:
        return f"{groups[0]}{MASK}{groups[1]}"
    return f"{groups[0]}{MASK}" if groups else MASK


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, tracebacks included, passes through a Redactor."""

    def __init__(self, redactor: Redactor, fmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


def configure_logging(*, secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Send logs to stderr, secrets masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(Redactor(secrets)))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Their per-request chatter at INFO would drown what matters.
    for noisy in ("httpx", "httpcore", "slack_sdk", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
