"""Every sentence a probe can say exists in Korean and English with the same placeholders, and
every placeholder a template needs is passed where the probe builds it."""

from __future__ import annotations

import ast
from pathlib import Path

import probes
from bot.messages import checks
from tests.fakes.findings import placeholders

PROBES = Path(probes.__file__).resolve().parent
# Areas whose sentences belong to the probes: each such key must be used by one.
PROBE_AREAS = (
    "check.http.",
    "check.site.",
    "check.dns.",
    "check.vercel.",
    "check.statuspage.",
    "check.db.",
    "check.openai.",
    "check.auth.",
    "check.jwt.",
    "check.perf.",
    "check.github.",
    "check.data.",
    "check.backup.",
)


def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.name, ast.parse(path.read_text())) for path in sorted(PROBES.glob("*.py"))]


def _keys_in_probes() -> set[str]:
    """Every 'check.…' string constant in probes/: literal msg() keys and key tables alike."""
    return {
        node.value
        for _, module in _modules()
        for node in ast.walk(module)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("check.")
        and " " not in node.value
    }


def _literal_msg_calls() -> list[tuple[str, str, set[str], bool]]:
    """(module, key, keyword names, has **kwargs) of each msg("literal", ...) call."""
    calls = []
    for name, module in _modules():
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "msg"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keywords = {kw.arg for kw in node.keywords if kw.arg}
                spread = any(kw.arg is None for kw in node.keywords)
                calls.append((name, node.args[0].value, keywords, spread))
    return calls


def test_probes_use_some_sentences() -> None:
    assert len(_keys_in_probes()) > 50


def test_every_probe_sentence_exists_in_both_languages() -> None:
    keys = sorted(_keys_in_probes())
    assert len(keys) > 50  # the scan found the probes' sentences, not nothing
    missing = [
        f"{key} missing in {language}"
        for key in keys
        for language, table in (("Korean", checks.KO), ("English", checks.EN))
        if key not in table
    ]
    assert not missing, "\n".join(missing)


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert set(checks.KO) == set(checks.EN)
    for key, korean in checks.KO.items():
        assert placeholders(korean) == placeholders(checks.EN[key]), key


def test_literal_msg_calls_pass_every_placeholder() -> None:
    for module, key, keywords, spread in _literal_msg_calls():
        if spread:  # parameters passed as **params: checked at run time by the tests' check()
            continue
        missing = placeholders(checks.KO[key]) - keywords
        assert not missing, f"{module}: msg({key!r}) lacks {missing}"


def test_no_probe_sentence_is_left_unused() -> None:
    used = _keys_in_probes()
    unused = [k for k in checks.KO if k.startswith(PROBE_AREAS) and k not in used]
    assert not unused, unused


def test_sentences_are_one_line() -> None:
    for table in (checks.KO, checks.EN):
        for key, template in table.items():
            assert "\n" not in template, key
