"""What an approval test reads back: the timeline's kinds, a request, its Slack message and
the refusals a person was shown."""

from __future__ import annotations

from storage import approvals, timeline


def _kinds(bot, incident_id: int = 1) -> list[str]:
    with bot.store.read() as session:
        return [e.kind for e in timeline.for_incident(session, incident_id=incident_id)]


def _request(bot, request_id: int = 1):
    with bot.store.read() as session:
        return approvals.get(session, request_id=request_id)


def _request_message(bot, channel: str) -> dict:
    posts = [p for p in bot.slack.posts(channel) if "조치" in (p["text"] or "")]
    assert posts, [p["text"] for p in bot.slack.posts(channel)]
    return posts[-1]


def _refusals(bot) -> list[str]:
    return [r.get("text", "") for r in bot.slack.responses if r.get("response_type") == "ephemeral"]
