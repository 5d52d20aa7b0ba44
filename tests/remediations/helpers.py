"""Shared by the remediation tests: the settings pointing at the fake Vercel, everything a
preview or outcome says, and whether each of its sentences is translatable."""

from __future__ import annotations

import ast
import socket
import string
from pathlib import Path
from typing import Any

import remediations
from bot.messages import Catalogue
from bot.messages import remediations as catalogue
from probes.base import Msg
from remediations.base import Outcome, Preview
from tests.fakes.base import FakeServer
from tests.fakes.vercel import TOKEN, FakeVercel

REMEDIATIONS = Path(remediations.__file__).parent


# -- a remediation module called directly --------------------------------------------------


def config(fake: FakeVercel, **overrides: Any) -> dict[str, Any]:
    """The settings a remediation gets, pointed at the fake."""
    return {
        "api_url": fake.url,
        "token": TOKEN,
        "project_id": fake.project_id,
        "team_id": fake.team_id,
        "timeout": 5.0,
        **overrides,
    }


def texts(*items: Preview | Outcome) -> str:
    """Everything a preview or outcome carries, rendered in both languages and as JSON."""
    rendered = [item.model_dump_json() for item in items]
    for locale in ("ko", "en"):
        translate = Catalogue(locale)
        for item in items:
            messages = [item.summary, *item.details]
            if isinstance(item, Preview) and item.blocked is not None:
                messages.append(item.blocked)
            rendered += [translate.render(m) for m in messages]
    return "\n".join(rendered)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _literals() -> set[str]:
    """The string literals of the Vercel remediation modules."""
    found: set[str] = set()
    for name in ("vercel_api", "rollback", "emergency_deploy", "edge_flags", "rotate_openai_key"):
        path = REMEDIATIONS / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


# -- every sentence in both languages ------------------------------------------------------


def placeholders(template: str) -> set[str]:
    """The {names} a template formats."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def messages_of(*items: Preview | Outcome) -> list[Msg]:
    """Every Msg a preview or an outcome carries."""
    found: list[Msg] = []
    for item in items:
        found += [item.summary, *item.details]
        if isinstance(item, Preview) and item.blocked is not None:
            found.append(item.blocked)
    return found


def assert_translatable(*items: Preview | Outcome) -> None:
    """Each Msg has its key in both locales, and params for every placeholder of both."""
    for message in messages_of(*items):
        for table in (catalogue.KO, catalogue.EN):
            assert message.key in table, message.key
            missing = placeholders(table[message.key]) - set(message.params)
            assert not missing, (message.key, missing)
        for locale in ("ko", "en"):
            assert Catalogue(locale).render(message)


# -- a remediation asked for in Slack ------------------------------------------------------


def _settings(vercel: FakeVercel, site: FakeServer | None = None, **extra: str) -> dict[str, str]:
    values = {
        "VERCEL_TOKEN": TOKEN,
        "VERCEL_PROJECT_ID": vercel.project_id,
        "VERCEL_API_URL": vercel.url,
        "AILEX_EDGE_CONFIG_ID": vercel.edge_config_id,
        "AILEX_PROBE_TIMEOUT": "3",
    }
    if site is not None:
        values["AILEX_SITE_URL"] = site.url
    values.update(extra)
    return values


def _promotes(vercel: FakeVercel) -> list:
    return [r for r in vercel.requests if r.method == "POST" and "/promote/" in r.path]
