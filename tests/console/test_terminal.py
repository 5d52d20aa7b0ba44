"""The console's text rendering of Slack messages: mrkdwn, dates, blocks, buttons, forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from bot.console.session import user_id_for
from bot.console.standin import Message, UploadedFile
from bot.console.terminal import (
    ButtonBook,
    RenderContext,
    Style,
    find_button,
    input_fields,
    mrkdwn_text,
    relative_time,
    render_blocks,
    render_file,
    render_message,
)
from bot.incidents.blocks import Renderer
from bot.messages import Catalogue
from bot.slack.blocks import actions, button, context, header, section, slack_date
from bot.slack.ids import ActionId, BlockId
from storage.models import Incident

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 14:00 KST
SEOUL = ZoneInfo("Asia/Seoul")


class Names:
    """A directory of a few users and channels."""

    users: ClassVar = {"UALICE": "alice", "UBOB": "bob"}
    channels: ClassVar = {"CGENERAL": "general", "C1": "inc-20261126-db"}

    def user_name(self, user_id: str) -> str | None:
        return self.users.get(user_id)

    def channel_name(self, channel_id: str) -> str | None:
        return self.channels.get(channel_id)


def ctx(locale: str = "ko", *, color: bool = False, viewer: str = "UALICE") -> RenderContext:
    return RenderContext(
        directory=Names(),
        t=Catalogue(locale),
        zone=SEOUL,
        now=NOW,
        style=Style(color=color),
        viewer=viewer,
    )


# -- mrkdwn ------------------------------------------------------------------------------------
def test_mentions_become_names_and_unknown_ids_stay_readable():
    assert mrkdwn_text("<@UALICE> and <@UZED>", ctx()) == "@alice and @UZED"
    assert mrkdwn_text("<@UZED|zed>", ctx()) == "@zed"


def test_channel_links_become_channel_names():
    assert mrkdwn_text("go to <#C1>", ctx()) == "go to #inc-20261126-db"
    assert mrkdwn_text("<#C9|ops>", ctx()) == "#ops"


def test_links_show_their_text_and_address():
    assert mrkdwn_text("<https://ailex.app/x?a=1&amp;b=2|the site>", ctx()) == (
        "the site (https://ailex.app/x?a=1&b=2)"
    )
    assert mrkdwn_text("<https://ailex.app>", ctx()) == "https://ailex.app"
    assert mrkdwn_text("<mailto:oncall@ailex.app|oncall@ailex.app>", ctx()) == "oncall@ailex.app"


def test_special_mentions_read_as_mentions():
    assert mrkdwn_text("<!here> <!channel>", ctx()) == "@here @channel"


def test_escaped_user_text_is_unescaped_once():
    assert mrkdwn_text("a &lt;b&gt; &amp;lt;", ctx()) == "a <b> &lt;"


def test_bold_drops_its_stars_without_colour_and_is_bold_with_it():
    assert mrkdwn_text("*상태* 조사 중", ctx()) == "상태 조사 중"
    assert mrkdwn_text("*상태*", ctx(color=True)) == "\x1b[1m상태\x1b[0m"


def test_stars_that_are_not_emphasis_stay():
    assert mrkdwn_text("2*3*4 and * loose *", ctx()) == "2*3*4 and * loose *"


def test_code_keeps_its_backticks_and_its_content_verbatim():
    assert mrkdwn_text("`/ailex note <text>` *now*", ctx()) == "`/ailex note <text>` now"


def test_no_escape_codes_without_colour():
    rendered = mrkdwn_text("*a* _b_ ~c~ `d`", ctx())
    assert "\x1b" not in rendered


# -- dates -----------------------------------------------------------------------------------
def test_ago_is_computed_like_slack_does():
    token = slack_date(NOW - timedelta(minutes=12), "{ago}", "fallback")
    assert mrkdwn_text(token, ctx()) == "12분 전"
    assert mrkdwn_text(token, ctx("en")) == "12 minutes ago"
    one = slack_date(NOW - timedelta(minutes=1, seconds=5), "{ago}", "fallback")
    assert mrkdwn_text(one, ctx()) == "1분 전"
    assert mrkdwn_text(one, ctx("en")) == "1 minute ago"


def test_ago_under_a_minute_and_in_hours_days_and_ahead():
    t = Catalogue("ko")
    assert relative_time(NOW - timedelta(seconds=20), NOW, t) == "방금"
    assert relative_time(NOW - timedelta(hours=3, minutes=5), NOW, t) == "3시간 전"
    assert relative_time(NOW - timedelta(days=2), NOW, t) == "2일 전"
    assert relative_time(NOW + timedelta(hours=2), NOW, Catalogue("en")) == "in 2 hours"


def test_date_and_time_tokens_use_the_team_zone():
    token = slack_date(NOW, "{date_num} {time}", "fallback")
    assert mrkdwn_text(token, ctx()) == "2026-11-26 14:00"


def test_unknown_date_formats_and_broken_tokens_use_the_fallback():
    assert mrkdwn_text(slack_date(NOW, "{date_long_pretty}", "어제 14:00"), ctx()) == "어제 14:00"
    assert mrkdwn_text("<!date^notanumber^{ago}|그때>", ctx()) == "그때"


# -- blocks and messages -------------------------------------------------------------------------
def test_card_fields_read_as_label_and_value():
    blocks = [
        header("🔴 P1 · 장애 #1"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*상태*\n조사 중"}]},
        context("*단계:* 장애 인지"),
    ]
    lines = render_blocks(blocks, ctx())
    assert lines == ["🔴 P1 · 장애 #1", "상태: 조사 중", "  단계: 장애 인지"]


def test_buttons_are_numbered_for_the_session_and_keep_their_numbers_when_redrawn():
    book = ButtonBook()
    card = [actions(button("해결", ActionId.RESOLVE, "1"))]
    other = [actions(button("승인", ActionId.APPROVE, "7"), button("거부", ActionId.DENY, "7"))]
    assert render_blocks(card, ctx(), buttons=book, channel="C1", ts="1.1") == ["[1] 해결"]
    assert render_blocks(other, ctx(), buttons=book, channel="C1", ts="1.2") == [
        "[2] 승인  [3] 거부"
    ]
    # The same card redrawn (chat.update) keeps [1]; a new message gets new numbers.
    assert render_blocks(card, ctx(), buttons=book, channel="C1", ts="1.1") == ["[1] 해결"]
    assert render_blocks(card, ctx(), buttons=book, channel="C1", ts="1.3") == ["[4] 해결"]
    pressed = book.get(3)
    assert pressed is not None
    assert (pressed.ts, pressed.action_id, pressed.value) == ("1.2", ActionId.DENY, "7")
    assert book.get(99) is None


def test_find_button_finds_the_button_only_while_the_message_has_it():
    blocks = [section("x"), actions(button("해결", ActionId.RESOLVE, "1"), block_id="card.1")]
    found = find_button(blocks, ActionId.RESOLVE, "1")
    assert found is not None and found[0]["block_id"] == "card.1"
    assert find_button([section("resolved")], ActionId.RESOLVE, "1") is None


def test_message_says_where_it_appeared_and_marks_ephemeral_and_edited():
    message = Message(channel="C1", ts="1.1", text="fallback", blocks=[section("hello")])
    assert render_message(message, ctx()) == ["#inc-20261126-db · AILEX", "  hello"]

    mine = Message(channel="CGENERAL", ts="1.2", text="only you", blocks=[], visible_to="UALICE")
    assert render_message(mine, ctx())[0] == "#general · AILEX (나만 보임)"
    assert render_message(mine, ctx(viewer="UBOB"))[0] == "#general · AILEX (@alice에게만 보임)"

    edited = Message(channel="C1", ts="1.1", text="x", blocks=[], edited=True)
    assert render_message(edited, ctx("en"))[0] == "#inc-20261126-db · AILEX (edited)"


def test_message_without_blocks_shows_its_text():
    message = Message(channel="C1", ts="1.1", text="<@UBOB> *joined*", blocks=[])
    assert render_message(message, ctx())[1] == "  @bob joined"


def test_colour_only_when_asked():
    message = Message(channel="C1", ts="1.1", text="x", blocks=[header("H")])
    assert not any("\x1b" in line for line in render_message(message, ctx()))
    assert any("\x1b[1m" in line for line in render_message(message, ctx(color=True)))


def test_file_shows_name_size_and_its_first_lines():
    content = "\n".join(f"line {n}" for n in range(30)).encode()
    file = UploadedFile(
        id="F1", filename="incident-1.md", title="장애 보고서 #1", content=content, channel="C1"
    )
    lines = render_file(file, ctx())
    assert lines[0] == "#inc-20261126-db · AILEX"
    assert "장애 보고서 #1 · incident-1.md (" in lines[1] and "B)" in lines[1]
    assert any(line.endswith("line 0") for line in lines)
    assert not any(line.endswith("line 29") for line in lines)
    assert "18" in lines[-1]  # how many lines were left out


# -- forms -----------------------------------------------------------------------------------
def test_resolve_modal_fields_are_asked_in_order_with_the_cause_required():
    t = Catalogue("ko")
    renderer = Renderer(t=t, zone=SEOUL, clock=lambda: NOW)
    incident = Incident(id=1, title="결제 API 다운", severity="P1", started_at=NOW)
    view = renderer.resolve_modal(incident, channel_id="C1")
    fields = input_fields(view, ctx())
    assert [f.block_id for f in fields] == [
        BlockId.CAUSE,
        BlockId.IMPACT,
        BlockId.ACTIONS,
        BlockId.PREVENTION_SHORT,
        BlockId.PREVENTION_LONG,
        BlockId.STARTED,
    ]
    assert fields[0].label == t("report.cause") and not fields[0].optional
    assert all(f.optional for f in fields[1:])
    assert fields[0].state("풀 고갈") == {"type": "plain_text_input", "value": "풀 고갈"}
    assert fields[1].state(None) == {"type": "plain_text_input", "value": None}


def test_select_fields_answer_with_the_chosen_option():
    option = {"text": {"type": "plain_text", "text": "prod"}, "value": "production"}
    view = {
        "blocks": [
            {
                "type": "input",
                "block_id": "target",
                "label": {"type": "plain_text", "text": "Target"},
                "element": {"type": "static_select", "action_id": "pick", "options": [option]},
            }
        ]
    }
    (field,) = input_fields(view, ctx())
    assert field.supported
    assert field.state(0) == {"type": "static_select", "selected_option": option}


# -- who is typing -----------------------------------------------------------------------------
def test_user_ids_are_slack_shaped_and_stable():
    assert user_id_for("bob") == "UBOB"
    assert user_id_for("김철수") == "UGIMCHEOLSU"
    assert user_id_for("a") == user_id_for("a")
    for name in ("a", "on-call", "🙂", "Jiwoo Kim"):
        assert re.fullmatch(r"U[A-Z0-9]{2,}", user_id_for(name)), name
