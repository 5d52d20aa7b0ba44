"""The signature Slack puts on every request it sends an app, made the way Slack makes it.

The console signs the requests it sends the Bolt app with this, and so do the tests' harness:
one builder, and it is slack_sdk's own `SignatureVerifier` that computes the signature (the same
code the app verifies it with), not a second hand-written HMAC.
"""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


def signed_headers(
    secret: str, body: str | bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The timestamp and signature headers Slack would send with this body (signed now, or
    at `timestamp`, a Unix time)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # only None without a timestamp
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature}
