"""People's names for text a customer reads: Slack's `users.info`, cached in memory.

Slack renders `<@U…>` in messages, but a Markdown file or a printed report shows the raw id;
there the person's display name is used, and the raw id (`@U…`) when Slack does not know it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock, utc_now
from bot.slack.client import slack_error

log = logging.getLogger(__name__)

CACHE_SIZE = 1000
KNOWN_TTL = timedelta(hours=1)
UNKNOWN_TTL = timedelta(minutes=10)


def fallback(user_id: str) -> str:
    """How someone Slack cannot name is shown: their raw id."""
    return f"@{user_id}"


def display_name(user: dict[str, Any]) -> str | None:
    """The name Slack shows for this user: display name, else real name, else handle."""
    profile = user.get("profile") or {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


class People:
    """Display names by user id, cached (bounded in size, each entry for a while)."""

    def __init__(
        self,
        client: WebClient,
        *,
        clock: Clock = utc_now,
        size: int = CACHE_SIZE,
    ) -> None:
        self._client = client
        self._clock = clock
        self._size = size
        self._lock = threading.Lock()
        # user id -> (name or None for a user Slack does not know, expiry)
        self._cache: OrderedDict[str, tuple[str | None, datetime]] = OrderedDict()

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Each id's display name, or its fallback. After one lookup fails for a reason other
        than an unknown user (Slack down, a missing scope), the others are not tried: a
        report is never held up by a Slack that does not answer."""
        out: dict[str, str] = {}
        reachable = True
        for user_id in dict.fromkeys(user_ids):
            name = self._cached(user_id)
            if name is _MISS and reachable:
                name, reachable = self._lookup(user_id)
            out[user_id] = name if isinstance(name, str) else fallback(user_id)
        return out

    def name(self, user_id: str) -> str:
        return self.names([user_id])[user_id]

    def _cached(self, user_id: str) -> str | object | None:
        now = self._clock()
        with self._lock:
            entry = self._cache.get(user_id)
            if entry is None:
                return _MISS
            if entry[1] <= now:
                del self._cache[user_id]
                return _MISS
            self._cache.move_to_end(user_id)
            return entry[0]

    def _store(self, user_id: str, name: str | None) -> None:
        ttl = KNOWN_TTL if name is not None else UNKNOWN_TTL
        with self._lock:
            self._cache[user_id] = (name, self._clock() + ttl)
            self._cache.move_to_end(user_id)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def _lookup(self, user_id: str) -> tuple[str | None, bool]:
        """(name or None, whether Slack answered)."""
        try:
            answer = self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in ("user_not_found", "user_not_visible"):
                self._store(user_id, None)
                return None, True
            log.warning("users.info answered %s; showing user ids", error or "an error")
            return None, False
        except Exception as exc:  # a timeout, a refused connection: ids it is
            log.warning("users.info failed (%s); showing user ids", type(exc).__name__)
            return None, False
        user = answer.get("user") if isinstance(answer.data, dict) else None
        name = display_name(user) if isinstance(user, dict) else None
        self._store(user_id, name)
        return name, True


_MISS = object()
