"""A person named in a command: `<@U…>`, `<@U…|name>` (the manifest's should_escape) or
`@name`, checked against Slack (users.info, users.list), never guessed."""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import UserError
from bot.slack.client import slack_error

log = logging.getLogger(__name__)

MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")
HANDLE = re.compile(r"^@([^\s@<>]{1,80})$")
_LIST_PAGES = 20


def is_person(word: str) -> bool:
    """Whether a word of a command names a person (its check against Slack comes later)."""
    return bool(MENTION.match(word) or HANDLE.match(word))


def resolve_person(client: WebClient, word: str, *, usage: str) -> str:
    """The user id a word names; UserError (with `usage`, a help key) when it names nobody
    Slack knows, or several people."""
    found = MENTION.match(word)
    if found:
        user_id = found.group(1)
        try:
            client.users_info(user=user_id)
        except SlackApiError as exc:
            if slack_error(exc) == "user_not_visible":
                return user_id  # a member whose profile the bot may not read
            if slack_error(exc) == "user_not_found":
                raise UserError("person.unknown", person=word[:40], usage=usage) from None
            raise UserError("person.unchecked", person=word[:40]) from None
        except Exception:  # Slack unreachable: say so rather than accept an unchecked name
            raise UserError("person.unchecked", person=word[:40]) from None
        return user_id
    handle = HANDLE.match(word)
    if handle is None:
        raise UserError("person.bad", person=word[:40], usage=usage)
    wanted = handle.group(1).casefold()
    matches = [uid for uid, names in _members(client, word) if wanted in names]
    if len(matches) != 1:
        key = "person.unknown" if not matches else "person.ambiguous"
        raise UserError(key, person=word[:40], usage=usage)
    return matches[0]


def _members(client: WebClient, word: str) -> list[tuple[str, set[str]]]:
    """Every member's id and the names `@name` may mean (handle, display and real name)."""
    out: list[tuple[str, set[str]]] = []
    cursor = ""
    try:
        for _ in range(_LIST_PAGES):
            answer = client.users_list(cursor=cursor or None, limit=200)
            for user in answer.get("members") or []:
                if user.get("deleted") or user.get("is_bot"):
                    continue
                profile = user.get("profile") or {}
                names = {
                    str(v).casefold()
                    for v in (
                        user.get("name"),
                        profile.get("display_name"),
                        profile.get("real_name"),
                        user.get("real_name"),
                    )
                    if isinstance(v, str) and v.strip()
                }
                out.append((str(user.get("id")), names))
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                break
    except Exception:
        log.warning("users.list failed; cannot resolve a handle")
        raise UserError("person.unchecked", person=word[:40]) from None
    return out
