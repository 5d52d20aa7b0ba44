"""Every sentence the remediations produce exists in Korean and English with the same slots."""

from __future__ import annotations

import ast
import re

from bot.messages import remediations as catalogue
from tests.remediations.helpers import REMEDIATIONS, placeholders

MODULES = sorted(REMEDIATIONS.glob("*.py"))
KEY_SHAPE = re.compile(r"^(remediation|kill_idle|purge|backup)\.[a-z_]+(\.[a-z_]+)*$")


def _msg_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "msg":
                calls.append((module.name, node))
    return calls


def _key_literals() -> set[str]:
    keys = set()
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and KEY_SHAPE.match(value):
                keys.add(value)
    return keys


def test_both_locales_have_the_same_keys() -> None:
    assert set(catalogue.KO) == set(catalogue.EN)


def test_both_locales_have_the_same_placeholders() -> None:
    assert len(catalogue.KO) > 30  # the remediations' sentences, not an empty table
    differ = [
        f"{key}: ko {sorted(placeholders(korean))} en "
        + (f"{sorted(placeholders(catalogue.EN[key]))}" if key in catalogue.EN else "(missing)")
        for key, korean in sorted(catalogue.KO.items())
        if key not in catalogue.EN or placeholders(korean) != placeholders(catalogue.EN[key])
    ]
    assert not differ, "placeholders differ between the languages:\n" + "\n".join(differ)


def test_every_key_in_the_modules_is_in_the_catalogue() -> None:
    keys = _key_literals()
    assert len(keys) > 30  # the scan found the modules' keys, not nothing
    assert sorted(keys - set(catalogue.KO)) == []
    assert sorted(keys - set(catalogue.EN)) == []


def test_every_msg_call_uses_a_literal_key_with_exactly_its_placeholders() -> None:
    calls = _msg_calls()
    assert calls
    for module, call in calls:
        assert call.args and isinstance(call.args[0], ast.Constant), (module, call.lineno)
        key = call.args[0].value
        assert key in catalogue.KO, (module, key)
        assert all(kw.arg is not None for kw in call.keywords), (module, key)
        given = {kw.arg for kw in call.keywords}
        assert given == placeholders(catalogue.KO[key]), (module, key)


def test_catalogue_has_no_remediation_key_that_no_module_uses() -> None:
    # Only the actions' own prefixes: the approval flow's sentences share this file.
    ours = {key for key in catalogue.KO if key.startswith(("kill_idle.", "purge.", "backup."))}
    assert sorted(ours - _key_literals()) == []
