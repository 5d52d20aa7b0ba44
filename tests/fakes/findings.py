"""Assertions on probe Findings shared by the probe tests: the status and the specific sentence,
a summary both languages can render on one line, JSON-ready data, and no secret anywhere."""

from __future__ import annotations

import asyncio
import json
import string
import time
from collections.abc import Awaitable

from bot.messages import Catalogue, tables
from probes.base import CheckStatus, Finding, Msg


def placeholders(template: str) -> set[str]:
    """The {names} a str.format template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def check(finding: Finding, status: CheckStatus | str, key: str, *secrets: str) -> Finding:
    """Assert the Finding's status and summary key, that it renders and that it hides secrets."""
    assert isinstance(finding, Finding), finding
    assert finding.status == CheckStatus(status), (finding.status, finding.summary, finding.data)
    assert finding.summary.key == key, (finding.summary, finding.data)
    catalogue = tables()
    for locale in ("ko", "en"):
        template = catalogue[locale].get(key)
        assert template is not None, f"{key} missing in {locale}"
        missing = placeholders(template) - set(finding.summary.params)
        assert not missing, f"{key} ({locale}) needs {missing}"
        text = Catalogue(locale).render(finding.summary)
        assert "\n" not in text, text
        assert "'key':" not in text, text  # a nested sentence was rendered, not dumped
    for value in finding.summary.params.values():
        # A scalar, or a Msg-shaped parameter translated with its sentence (an age, a stage).
        if isinstance(value, dict):
            nested = Msg.model_validate(value)
            assert all(t.has(nested.key) for t in (Catalogue("ko"), Catalogue("en"))), value
        else:
            assert isinstance(value, str | int | float), (key, value)
    dumped = json.dumps(finding.data)  # JSON-serialisable, or this raises
    for secret in secrets:
        assert secret not in dumped, f"secret in data of {key}"
        assert secret not in json.dumps(finding.summary.params), f"secret in summary of {key}"
    return finding


def run(probe: Awaitable[Finding], *, within: float = 10.0) -> Finding:
    """Run an async probe to completion; a sanity bound, not a timing assertion."""
    started = time.monotonic()
    finding = asyncio.run(asyncio.wait_for(probe, within))
    assert time.monotonic() - started < within
    return finding
