"""Incident channel names: inc-YYYYMMDD-<slug>, within Slack's rules.

The slug is the title's first words as they are written (결제-api-다운), so a Korean reader can
read it; Slack allows lowercase letters of any script, digits, hyphens and underscores. Where a
workspace refuses such a name (`invalid_name_specials`), the same words romanised
(gyeolje-api-daun) are tried instead.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

MAX_LENGTH = 80  # Slack's limit for channel names
MAX_WORDS = 4  # a channel name is the title's first words, not the whole title

# Letters and digits of any script, underscores; everything else separates words.
_WORD = re.compile(r"[^\W_]+(?:_[^\W_]+)*")
_VALID = re.compile(r"^[\w-]+$")


def name_problem(name: str) -> str | None:
    """Slack's error for a channel name it would refuse (None: a valid name)."""
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_LENGTH:
        return "invalid_name_maxlength"
    if not _VALID.match(name) or name != name.lower():
        return "invalid_name_specials"
    if not name.strip("-_"):
        return "invalid_name_punctuation"
    return None


def title_words(title: str) -> list[str]:
    """The title's words, lowercased, without punctuation or emoji."""
    text = unicodedata.normalize("NFKC", title).lower()
    return _WORD.findall(text)


def readable_slug(title: str) -> str:
    """결제 API 다운! -> 결제-api-다운 (the first MAX_WORDS words)."""
    return "-".join(title_words(title)[:MAX_WORDS])


def slugify(title: str) -> str:
    """Lowercase ASCII letters, digits and hyphens; Korean romanised (서버 다운: seobeo-daun)."""
    words = " ".join(title_words(title)[:MAX_WORDS])
    ascii_title = anyascii(words).lower()
    # anyascii spells some symbols as :name:; they carry no meaning in a channel name.
    ascii_title = re.sub(r":[a-z0-9_+-]+:", " ", ascii_title)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    return re.sub(r"-{2,}", "-", slug)


def _fit(slug: str, room: int) -> str:
    """The slug within `room` characters, cut between words where it can be."""
    if len(slug) <= room:
        return slug
    cut = slug.rfind("-", 0, room + 1)
    return (slug[:cut] if cut > 0 else slug[:room]).rstrip("-_")


def channel_name(
    *, title: str, date: str, incident_id: int, attempt: int = 1, ascii_only: bool = False
) -> str:
    """The name to try for an incident's channel; `attempt` > 1 after a name collision,
    `ascii_only` after Slack refused a name of non-Latin letters."""
    prefix = f"inc-{date}-"
    suffix = "" if attempt == 1 else f"-{attempt}"
    slug = (slugify(title) if ascii_only else readable_slug(title)) or f"incident-{incident_id}"
    room = MAX_LENGTH - len(prefix) - len(suffix)
    slug = _fit(slug, room) or str(incident_id)
    return f"{prefix}{slug}{suffix}"
