"""Issue 7, items 9 and 10: what was meant is done, or the user hears no (and why)."""

from __future__ import annotations

import json

from storage import incidents, timeline
from tests.harness import ack, declare


def _open_incidents(bot) -> list:
    with bot.store.read() as session:
        return list(incidents.list_open(session))


def test_a_severity_that_is_not_one_is_refused_with_usage(bot):
    answer = ack(bot.command("incident start P4 test"))
    assert "`P4`" in answer and "P1, P2, P3" in answer
    assert "/ailex incident start [P1|P2|P3]" in answer
    assert _open_incidents(bot) == []


def test_a_second_incident_with_the_same_title_points_at_the_open_one(bot):
    channel = declare(bot, "incident start P1 결제 API 다운")
    response = bot.command("incident start P2 결제  api 다운", channel="C_OTHER")
    answer = ack(response)
    assert "#1" in answer and f"<#{channel}>" in answer
    assert len(_open_incidents(bot)) == 1
    (button,) = [
        element
        for block in response.json()["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert button["action_id"] == "ailex.declare.confirm"
    # Declaring anyway, on purpose: a second incident with its own channel.
    assert bot.click(button["action_id"], button["value"], channel="C_OTHER").status_code == 200
    bot.settle()
    opened = _open_incidents(bot)
    assert sorted(i.id for i in opened) == [1, 2]
    second = next(i for i in opened if i.id == 2)
    assert (second.severity, second.title) == ("P2", "결제 api 다운")
    assert second.channel_id and second.channel_id != channel
    assert any("#2" in (r.get("text") or "") for r in bot.slack.responses)


def test_a_note_over_the_limit_is_refused_with_its_limit(bot):
    channel = declare(bot)
    answer = ack(bot.command("note " + "가" * 3001, channel=channel))
    assert "3,000" in answer and "3,001" in answer
    with bot.store.read() as session:
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=1)]
    assert "note" not in kinds


def test_a_long_note_is_stored_and_reported_whole(bot):
    channel = declare(bot)
    note = " ".join(f"단어{n:04d}" for n in range(500))[:3000]
    ack(bot.command(f"note {note}", channel=channel))
    ack(bot.command("resolve 원인", channel=channel))
    bot.settle()
    with bot.store.read() as session:
        (stored,) = [e for e in timeline.for_incident(session, incident_id=1) if e.kind == "note"]
    assert stored.text == note
    markdown = bot.slack.shared_files()[0]["content"]
    assert note in markdown
    # The report message carries it whole too, over as many sections as Slack needs.
    posts = bot.slack.posts(channel)
    report = next(m for m in posts if "보고서" in json.dumps(m["blocks"], ensure_ascii=False))
    sections = [b["text"]["text"] for b in report["blocks"] if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    words = " ".join(sections).split()
    assert all(word in words for word in note.split())
    # And the note's own message in the channel is not cut either.
    posted = " ".join(
        b["text"]["text"]
        for m in bot.slack.posts(channel)
        for b in m["blocks"] or []
        if b["type"] == "section" and "📝" in json.dumps(m["blocks"], ensure_ascii=False)
    )
    assert note.split()[-1] in posted


def test_the_resolve_form_names_every_wrong_field_and_keeps_the_rest(bot):
    channel = declare(bot)
    bot.command("resolve", channel=channel)
    bot.settle()
    response = bot.submit_view(
        bot.slack.views[0]["view"], {"impact": "가" * 3001, "actions": "롤백"}
    )
    body = response.json()
    # `errors` (not a replaced view): Slack keeps what was typed in every field.
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"cause", "impact"}
    assert "3,000" in body["errors"]["impact"]
    with bot.store.read() as session:
        assert incidents.get(session, incident_id=1).resolved_at is None


def test_resolve_with_a_cause_over_the_limit_is_refused(bot):
    channel = declare(bot)
    answer = ack(bot.command("resolve " + "x" * 3001, channel=channel))
    assert "3,000" in answer
    with bot.store.read() as session:
        assert incidents.get(session, incident_id=1).resolved_at is None


def test_typos_get_the_closest_word(bot):
    assert "혹시 `status`?" in ack(bot.command("sattus"))  # "stauts" is nearer `stats`
    assert "혹시 `database`?" in ack(bot.command("diagnose databse"))
    channel = declare(bot)
    assert "혹시 `rollback`?" in ack(bot.command("remediate rolback", channel=channel))


def test_typos_get_the_closest_word_in_english(make_bot):
    bot = make_bot(AILEX_LOCALE="en")
    assert "Did you mean `database`?" in ack(bot.command("diagnose databse"))


def test_extra_arguments_are_refused_in_slack(bot):
    channel = declare(bot)
    answer = ack(bot.command("severity P1 now", channel=channel))
    assert "`now`" in answer
    answer = ack(bot.command("remediate backup now", channel=channel))
    assert "`now`" in answer
    with bot.store.read() as session:
        kinds = [e.kind for e in timeline.for_incident(session, incident_id=1)]
    assert "severity_changed" not in kinds
