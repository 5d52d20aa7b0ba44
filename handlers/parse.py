"""`/ailex` command text -> a Command, or a ParseError naming the usage to show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.incidents.vocabulary import Severity, Status
from bot.text import closest


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
    REPORT_EDIT = "report_edit"
    STARTED = "started"
    CONTACTS = "contacts"
    ACK = "ack"
    STATS = "stats"
    COMMANDER = "commander"
    FOLLOWUP_ADD = "followup_add"
    FOLLOWUP_DONE = "followup_done"
    FOLLOWUP_LIST = "followup_list"
    NOTIFY = "notify"
    REPORT_SEND = "report_send"


@dataclass(frozen=True)
class Command:
    name: Name
    text: str = ""
    severity: Severity | None = None
    status: Status | None = None
    args: tuple[str, ...] = field(default_factory=tuple)


class ParseError(Exception):
    """The text is not a command; show `usage` (a help entry key) with `reason`."""

    def __init__(
        self, reason: str, usage: str | None = None, *, suggestion: str | None = None, **params: Any
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage
        # A known word close to what was typed ("혹시 `database`?"), when there is one.
        self.suggestion = suggestion
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
    "started": "started", "발생": "started", "발생일시": "started", "발생시각": "started",
    "contacts": "contacts", "연락처": "contacts",
    "ack": "ack", "acknowledge": "ack", "인지": "ack",
    "stats": "stats", "통계": "stats",
    "commander": "commander", "지휘자": "commander", "인계": "commander",
    "followup": "followup", "후속": "followup", "후속조치": "followup",
    "notify": "notify", "공지": "notify", "고객공지": "notify",
}  # fmt: skip
_FOLLOWUP_DONE_WORDS = {"done", "완료"}
_FOLLOWUP_LIST_WORDS = {"list", "목록", "ls"}
# A person: `<@U…>`, `<@U…|name>` (should_escape) or `@name`; checked against Slack later.
_PERSON = re.compile(r"^(?:<@[UW][A-Z0-9_]+(?:\|[^>]*)?>|@[^\s@<>]{1,80})$")
# Something typed as a date (its value is checked when applied): digits and dashes.
_DATE_LIKE = re.compile(r"^\d{2,4}-\d{1,2}-\d{1,2}$|^\d{4}[-/.]\S*$")
_INCIDENT_WORDS = {
    "start": "start", "declare": "start", "시작": "start", "선언": "start",
    "list": "list", "목록": "list", "ls": "list",
}  # fmt: skip
_REPORT_EDIT_WORDS = {"edit", "수정", "고치기", "편집"}
_REPORT_SEND_WORDS = {"send", "발송", "보내기"}
_STATUS_WORDS = {
    "investigating": Status.INVESTIGATING, "조사중": Status.INVESTIGATING,
    "조사": Status.INVESTIGATING,
    "identified": Status.IDENTIFIED, "원인파악": Status.IDENTIFIED, "파악": Status.IDENTIFIED,
    "monitoring": Status.MONITORING, "모니터링": Status.MONITORING,
    "복구확인": Status.MONITORING,
}  # fmt: skip

# Slack sends at most this much command text; anything longer is refused, never cut.
MAX_TEXT = 4000
# Words that look like a severity and are not one (P0, P4, p9, SEV1): a typo, not a title.
# P95 and P99 are latency percentiles and make fine titles.
_SEVERITY_LIKE = re.compile(r"^(?:[Pp]\d|(?:sev|SEV|Sev)[-_]?\d)$")
# `started HH:MM` or `started YYYY-MM-DD HH:MM` (the values are checked when applied).
_STARTED_TEXT = re.compile(r"^(?:\d{4}-\d{1,2}-\d{1,2}\s+)?\d{1,2}:\d{2}$")


def unescape_slack(text: str) -> str:
    """Slack sends &, < and > HTML-escaped in command text; take them back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _severity(word: str) -> Severity | None:
    try:
        return Severity(word.upper())
    except ValueError:
        return None


def _no_more(rest: str, usage: str) -> None:
    """Refuse words after a command that takes none (`report foo`, `severity P1 now`)."""
    if rest:
        raise ParseError("extra_arguments", usage, extra=rest[:80])


def parse(text: str | None) -> Command:
    """Read one `/ailex ...` text; any text at all gives a Command or a ParseError."""
    text = unescape_slack((text or "").replace("\u00a0", " ")).strip()
    if len(text) > MAX_TEXT:
        raise ParseError("text_too_long", None, limit=f"{MAX_TEXT:,}", length=f"{len(text):,}")
    if not text:
        return Command(Name.HELP)
    head, _, rest = text.partition(" ")
    rest = rest.strip()
    word = _WORDS.get(head.lower())
    if word is None:
        candidates = [known for known in _WORDS if known.isalnum()]
        raise ParseError(
            "unknown_subcommand", None, suggestion=closest(head, candidates), word=head[:40]
        )

    if word == "help":
        return Command(Name.HELP)
    if word == "incident":
        return _incident(rest)
    if word == "status":
        return _status(rest)
    if word == "note":
        if not rest:
            raise ParseError("note_empty", "note")
        return Command(Name.NOTE, text=rest)
    if word == "severity":
        first, _, extra = rest.partition(" ")
        severity = _severity(first)
        if severity is None:
            raise ParseError("bad_severity", "severity", value=first[:40])
        _no_more(extra.strip(), "severity")
        return Command(Name.SEVERITY, severity=severity)
    if word == "diagnose":
        if not rest:
            raise ParseError("scenario_missing", "diagnose")
        scenario, _, extra = rest.partition(" ")
        _no_more(extra.strip(), "diagnose")
        return Command(Name.DIAGNOSE, args=(scenario,))
    if word == "remediate":
        if not rest:
            raise ParseError("action_missing", "remediate")
        return Command(Name.REMEDIATE, args=tuple(rest.split()))
    if word == "resolve":
        return Command(Name.RESOLVE, text=rest)
    if word == "reopen":
        return Command(Name.REOPEN)
    if word == "report":
        if rest.lower() in _REPORT_EDIT_WORDS:
            return Command(Name.REPORT_EDIT)
        if rest.lower() in _REPORT_SEND_WORDS:
            return Command(Name.REPORT_SEND)
        if rest:
            suggestion = closest(rest.split()[0], [*_REPORT_EDIT_WORDS, *_REPORT_SEND_WORDS])
            raise ParseError("report_verb", "report_edit", suggestion=suggestion, value=rest[:40])
        return Command(Name.REPORT)
    if word == "started":
        if not rest:
            raise ParseError("started_missing", "started")
        if not _STARTED_TEXT.match(rest):
            raise ParseError("started_format", "started", value=rest[:40])
        return Command(Name.STARTED, text=rest)
    if word == "ack":
        _no_more(rest, "ack")
        return Command(Name.ACK)
    if word == "stats":
        return _stats(rest)
    if word == "commander":
        person, _, extra = rest.partition(" ")
        if not person:
            raise ParseError("commander_missing", "commander")
        if not _PERSON.match(person):
            raise ParseError("commander_missing", "commander")
        _no_more(extra.strip(), "commander")
        return Command(Name.COMMANDER, args=(person,))
    if word == "followup":
        return _followup(rest)
    if word == "notify":
        return Command(Name.NOTIFY, text=rest)
    _no_more(rest, "contacts")
    return Command(Name.CONTACTS)


# `/ailex stats` periods (SPEC 3.3): the words and the days they mean.
STATS_PERIODS = {"7d": 7, "30d": 30, "90d": 90, "7일": 7, "30일": 30, "90일": 90}
DEFAULT_STATS_DAYS = 30


def _stats(rest: str) -> Command:
    """`stats`, or `stats 7d|30d|90d`."""
    if not rest:
        return Command(Name.STATS, args=(str(DEFAULT_STATS_DAYS),))
    days = STATS_PERIODS.get(rest.lower())
    if days is None:
        raise ParseError("stats_period", "stats", value=rest[:40])
    return Command(Name.STATS, args=(str(days),))


def _followup(rest: str) -> Command:
    """`followup <text> [@owner] [YYYY-MM-DD]`, `followup done N`, `followup list`."""
    verb, _, remainder = rest.partition(" ")
    remainder = remainder.strip()
    if verb.lower() in _FOLLOWUP_LIST_WORDS and not remainder:
        return Command(Name.FOLLOWUP_LIST)
    if verb.lower() in _FOLLOWUP_DONE_WORDS and (remainder or not rest):
        number, _, extra = remainder.partition(" ")
        if not number.isdigit() or int(number) < 1:
            raise ParseError("followup_number", "followup", value=number[:20] or "-")
        _no_more(extra.strip(), "followup")
        return Command(Name.FOLLOWUP_DONE, args=(number,))
    words = rest.split()
    owner = due = ""
    # The owner and the due date are the last words, in either order.
    for _ in range(2):
        if words and not due and _DATE_LIKE.match(words[-1]):
            due = words.pop()
        elif words and not owner and _PERSON.match(words[-1]):
            owner = words.pop()
    if not words:
        raise ParseError("followup_missing", "followup")
    return Command(Name.FOLLOWUP_ADD, text=" ".join(words), args=(owner, due))


def _status(rest: str) -> Command:
    """`status`, or `status <status>` (a Korean status may be two words: 원인 파악)."""
    if not rest:
        return Command(Name.STATUS)
    words = rest.split()
    for count in range(len(words), 0, -1):
        status = _STATUS_WORDS.get("".join(words[:count]).lower())
        if status is not None:
            _no_more(" ".join(words[count:]), "set_status")
            return Command(Name.STATUS, status=status)
    raise ParseError(
        "bad_status",
        "set_status",
        suggestion=closest(words[0], list(_STATUS_WORDS)),
        value=rest[:40],
    )


def _incident(rest: str) -> Command:
    verb, _, remainder = rest.partition(" ")
    action = _INCIDENT_WORDS.get(verb.lower())
    remainder = remainder.strip()
    if action == "list":
        _no_more(remainder, "incident_list")
        return Command(Name.INCIDENT_LIST)
    if action != "start":
        suggestion = closest(verb, list(_INCIDENT_WORDS)) if verb else None
        raise ParseError("incident_verb", "incident_start", suggestion=suggestion)
    first, _, title = remainder.partition(" ")
    severity = _severity(first)
    if severity is None:
        if _SEVERITY_LIKE.match(first):
            raise ParseError("bad_severity", "incident_start", value=first)
        severity, title = Severity.P2, remainder
    title = title.strip()
    if not title:
        raise ParseError("title_required", "incident_start")
    return Command(Name.INCIDENT_START, text=title, severity=severity)
