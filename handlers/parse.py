"""`/ailex` command text -> a Command, or a ParseError naming the usage to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain import Severity, Status


class Name(StrEnum):
    HELP = "help"
    INCIDENT_START = "incident_start"
    INCIDENT_LIST = "incident_list"
    STATUS = "status"
    NOTE = "note"
    SEVERITY = "severity"
    DIAGNOSE = "diagnose"
    REMEDIATE = "remediate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    REPORT = "report"
    CONTACTS = "contacts"


@dataclass(frozen=True)
class Command:
    name: Name
    text: str = ""
    severity: Severity | None = None
    status: Status | None = None
    args: tuple[str, ...] = field(default_factory=tuple)


class ParseError(Exception):
    """The text is not a command; show `usage` (a help entry key) with `reason`."""

    def __init__(self, reason: str, usage: str | None = None, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage
        self.params = params


# Words that start each subcommand (English first, then Korean aliases).
_WORDS: dict[str, str] = {
    "help": "help", "도움말": "help", "도움": "help", "?": "help",
    "incident": "incident", "장애": "incident", "인시던트": "incident",
    "status": "status", "상태": "status",
    "note": "note", "메모": "note", "노트": "note",
    "severity": "severity", "심각도": "severity",
    "diagnose": "diagnose", "진단": "diagnose",
    "remediate": "remediate", "조치": "remediate",
    "resolve": "resolve", "해결": "resolve", "복구": "resolve",
    "reopen": "reopen", "재개": "reopen", "다시열기": "reopen",
    "report": "report", "보고서": "report",
    "contacts": "contacts", "연락처": "contacts",
}  # fmt: skip
_INCIDENT_WORDS = {
    "start": "start", "declare": "start", "시작": "start", "선언": "start",
    "list": "list", "목록": "list", "ls": "list",
}  # fmt: skip
_STATUS_WORDS = {
    "investigating": Status.INVESTIGATING, "조사중": Status.INVESTIGATING,
    "조사": Status.INVESTIGATING,
    "identified": Status.IDENTIFIED, "원인파악": Status.IDENTIFIED, "파악": Status.IDENTIFIED,
    "monitoring": Status.MONITORING, "모니터링": Status.MONITORING,
    "복구확인": Status.MONITORING,
}  # fmt: skip

MAX_TEXT = 4000


def unescape_slack(text: str) -> str:
    """Slack sends &, < and > HTML-escaped in command text; take them back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _severity(word: str) -> Severity | None:
    try:
        return Severity(word.upper())
    except ValueError:
        return None


def parse(text: str | None) -> Command:
    """Read one `/ailex ...` text; any text at all gives a Command or a ParseError."""
    text = unescape_slack((text or "").replace("\u00a0", " ")).strip()[:MAX_TEXT]
    if not text:
        return Command(Name.HELP)
    head, _, rest = text.partition(" ")
    rest = rest.strip()
    word = _WORDS.get(head.lower())
    if word is None:
        raise ParseError("unknown_subcommand", None, word=head[:40])

    if word == "help":
        return Command(Name.HELP)
    if word == "incident":
        return _incident(rest)
    if word == "status":
        if not rest:
            return Command(Name.STATUS)
        status = _STATUS_WORDS.get(rest.replace(" ", "").lower())
        if status is None:
            raise ParseError("bad_status", "set_status", value=rest[:40])
        return Command(Name.STATUS, status=status)
    if word == "note":
        if not rest:
            raise ParseError("note_empty", "note")
        return Command(Name.NOTE, text=rest)
    if word == "severity":
        severity = _severity(rest)
        if severity is None:
            raise ParseError("bad_severity", "severity", value=rest[:40])
        return Command(Name.SEVERITY, severity=severity)
    if word == "diagnose":
        if not rest:
            raise ParseError("scenario_missing", "diagnose")
        return Command(Name.DIAGNOSE, args=tuple(rest.split()))
    if word == "remediate":
        if not rest:
            raise ParseError("action_missing", "remediate")
        return Command(Name.REMEDIATE, args=tuple(rest.split()))
    if word == "resolve":
        return Command(Name.RESOLVE, text=rest)
    if word == "reopen":
        return Command(Name.REOPEN)
    if word == "report":
        return Command(Name.REPORT)
    return Command(Name.CONTACTS)


def _incident(rest: str) -> Command:
    verb, _, remainder = rest.partition(" ")
    action = _INCIDENT_WORDS.get(verb.lower())
    if action == "list":
        return Command(Name.INCIDENT_LIST)
    if action != "start":
        raise ParseError("incident_verb", "incident_start")
    remainder = remainder.strip()
    first, _, title = remainder.partition(" ")
    severity = _severity(first)
    if severity is None:
        severity, title = Severity.P2, remainder
    title = title.strip()
    if not title:
        raise ParseError("title_required", "incident_start")
    return Command(Name.INCIDENT_START, text=title, severity=severity)
