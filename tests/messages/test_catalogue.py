"""The message catalogue: both languages say everything, with the same placeholders."""

from __future__ import annotations

import re
import string

from bot.incidents.vocabulary import EventKind, Phase, Severity, Status
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


# Words that may stand in a Korean sentence as they are: product and service names,
# abbreviations every engineer reads as such, and the runbook's own terms.
_KO_ALLOWED = {
    "AILEX",
    "ailex",
    "Vercel",
    "Supabase",
    "OpenAI",
    "GitHub",
    "Slack",
    "Sentry",
    "UptimeRobot",
    "Google",
    "Cloud",
    "Console",
    "Cloudflare",
    "Git",
    "R2",
    "DNS",
    "API",
    "JWT",
    "SQL",
    "URL",
    "CI",
    "HTTP",
    "HTTPS",
    "P1",
    "P2",
    "P3",
    "TTFB",
    "OAuth",
    "Edge",
    "Config",
    "DB",
    "Auth",
    "Storage",
    "Markdown",
    "JSON",
    "PostgreSQL",
    "SQLite",
    "TLS",
    "SSL",
    "IP",
    "ID",
    "KST",
    "Actions",
    "GPT",
    "CPU",
    "MB",
    "GB",
    "ms",
    "pid",
    "Enter",
    "Ctrl",
    "Tab",
    "A",
    "B",
    "C",
    "D",
    "E",
    "URI",
    "IANA",
    "UTC",
    "PITR",
    "PR",
    "CLI",
    "HTML",
    "Socket",
    "Mode",
    "SMTP",
    "SDK",
    "RPC",
    "CDN",
    "Postgres",
    "Realtime",
    "Redirect",
    "SLA",
    "OK",
    "LLM",
    "s",
    "Pooler",
    "Supavisor",
    "PgBouncer",
    "Dashboard",
    "Settings",
    "Usage",
    "Billing",
    "Deployments",
    "Promote",
    "Instant",
    "Rollback",
    "Logs",
    "Limits",
    "Hard",
    "Soft",
    "Preview",
    "Production",
    "Connection",
    "Provider",
    "Secret",
    "Functions",
    "Limit",
    "sk",  # the prefix of an OpenAI key, in a plain-text hint
}


def _prose(template: str) -> str:
    """The template without its code spans, placeholders, links and Slack mentions."""
    text = re.sub(r"```.*?```", " ", template, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"<[^<>]*>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\b[\w.-]+\.(?:com|app|io|dev|ai|org|yml|md|db|json|txt)\b", " ", text)
    text = re.sub(r"/?\bailex(?: [a-z]+)?", " ", text)  # a command line: `ailex console`
    text = re.sub(r"(?<![\w/])/[a-z]+\b", " ", text)  # the console's own /commands
    # Identifier-shaped words are names, not English: AILEX_LOCALE, pg_dump, READY, NXDOMAIN.
    text = re.sub(r"[A-Za-z0-9]*_[A-Za-z0-9_]*", " ", text)
    return re.sub(r"(?<![A-Za-z])[A-Z][A-Z0-9]+(?![a-z])", " ", text)


def test_korean_sentences_have_no_english_words():
    offenders = {}
    for key, template in tables()["ko"].items():
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", _prose(template)))
        foreign = sorted(words - _KO_ALLOWED)
        if foreign:
            offenders[key] = foreign
    assert offenders == {}


def test_english_sentences_do_not_hedge_plurals():
    hedged = [key for key, text in tables()["en"].items() if re.search(r"\w\(s\)", text)]
    assert hedged == []


def test_english_sentences_have_no_korean():
    hangul = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
    offenders = [key for key, text in tables()["en"].items() if hangul.search(_prose(text))]
    assert offenders == []


def test_no_particle_hangs_off_a_code_span():
    """A particle cannot be chosen for a code span whose text is only known at run time
    (`{table}`은(는)); a fixed span may carry one (`/ailex status`로) if it is not hedged."""
    particle = r"(?:은|는|이|가|을|를|과|와|으로|로|의|에|에서|도|만|이라|라)(?:\(|\s|[.,]|$)"
    hanging = [
        key
        for key, text in tables()["ko"].items()
        if re.search(r"`[^`]*\{[^`]*`" + particle, text)
        or re.search(r"`(?:은\(는\)|이\(가\)|을\(를\)|와\(과\))", text)
    ]
    assert hanging == []
