"""The timeline's hash chain, as SPEC 9 defines it: what one event's hash is made of.

It lives in storage because the one write path (`timeline.append`) and the migration that
chains the events stored before it both compute it; `bot.evidence.chain` verifies with it.
docs/timeline-hash.md gives the same definition for anyone to recompute without our code.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

import rfc8785

GENESIS = "0" * 64
"""The `prev` of an incident's first event (seq 1)."""

# RFC 8785 (I-JSON) numbers are IEEE doubles: integers beyond this lose digits, and a float this
# large comes back from PostgreSQL's jsonb as an integer beyond it.
_SAFE = 2**53 - 1

CanonicalizationError = rfc8785.CanonicalizationError


def json_safe(value: Any) -> Any:
    """`value` as JSON that canonicalises and reads back the same from every store.

    Applied to an event's data before it is stored and hashed, so that what is hashed is
    exactly what is stored: a number RFC 8785 cannot carry (an integer beyond ±(2^53-1), a
    float that large, NaN or infinity) is kept as its decimal string, a key that is not a string
    as its JSON text, a tuple as a list, anything else as its str()."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value) if -_SAFE <= value <= _SAFE else str(int(value))
    if isinstance(value, float):
        return value if math.isfinite(value) and abs(value) <= _SAFE else repr(value)
    if isinstance(value, dict):
        return {_key(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return str(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    return str(key)


def utc_text(at: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, in UTC."""
    at = at.astimezone(UTC)
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
        f"{at.second:02d}.{at.microsecond:06d}Z"
    )


def canonical(
    *,
    incident_id: int,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    text: str | None,
    data: Any,
) -> bytes:
    """The RFC 8785 bytes an event's hash covers; CanonicalizationError when its data holds
    what JCS cannot carry (only data stored before `json_safe` existed can)."""
    if not isinstance(data, dict):
        raise CanonicalizationError(f"data is {type(data).__name__}, not an object")
    return jcs(
        {
            "incident": incident_id,
            "seq": seq,
            "at": utc_text(at),
            "actor": actor,
            "kind": kind,
            "text": text,
            "data": data,
        }
    )


def jcs(value: Any) -> bytes:
    """RFC 8785 bytes of `value`. JSON without floats, whose keys sort the same by code point
    as by UTF-16 unit (none at U+E000 or above), is what json.dumps writes with sorted keys
    and no spaces (its string escapes are JCS's): the appends' common case, done in C, ten
    times faster than the rfc8785 package, which does the rest (tests/evidence hold the two
    equal)."""
    if _plain(value):
        try:
            return json.dumps(
                value, ensure_ascii=False, separators=(",", ":"), sort_keys=True
            ).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 says what is wrong
            pass
    return rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    if value is None or type(value) is str or type(value) is bool:
        return True
    if type(value) is int:
        return -_SAFE <= value <= _SAFE
    if type(value) is dict:
        return all(
            type(key) is str and (not key or max(key) < "\ue000") and _plain(item)
            for key, item in value.items()
        )
    if type(value) is list:
        return all(_plain(item) for item in value)
    return False


def link(prev: str, canonical_bytes: bytes) -> str:
    """hex SHA-256 of `prev || canonical`, `prev` the previous event's hash in ASCII."""
    return hashlib.sha256(prev.encode("ascii") + canonical_bytes).hexdigest()
