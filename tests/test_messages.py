"""The message catalogue: both languages say everything, with the same placeholders."""

from __future__ import annotations

import string

from bot.domain import EventKind, Phase, Severity, Status
from bot.messages import Catalogue, tables


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_korean_and_english_have_the_same_keys_and_placeholders():
    merged = tables()
    assert merged["ko"].keys() == merged["en"].keys()
    for key, korean in merged["ko"].items():
        assert _placeholders(korean) == _placeholders(merged["en"][key]), key


def test_every_vocabulary_word_has_a_sentence():
    for locale in ("ko", "en"):
        t = Catalogue(locale)
        for severity in Severity:
            assert t.has(f"severity.{severity}")
        for status in Status:
            assert t.has(f"status.{status}")
        for phase in Phase:
            assert t.has(f"phase.{phase}") and t.has(f"phase.{phase}.window")
        for kind in EventKind:
            assert t.has(f"event.{kind}"), kind


def test_korean_is_the_default():
    assert Catalogue()("status.resolved") == "해결됨"
    assert Catalogue("en")("status.resolved") == "Resolved"


def test_a_missing_key_does_not_break_a_message():
    assert Catalogue("ko")("no.such.key") == "no.such.key"
