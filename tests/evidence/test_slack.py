"""`/ailex stats` in Slack, the chart as a PNG, and the App Home with its declare form,
driven over signed HTTP against the fake Slack."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

from PIL import Image
from slack_sdk.models.views import View

from bot.evidence.chart import HEIGHT_PX, WIDTH_PX, render_png
from bot.evidence.home import MAX_BLOCKS, home_view
from bot.evidence.stats import Figures
from bot.messages import Catalogue
from storage.models import Incident
from tests.harness import FakeClock, ack, declare, flat

ZONE_NAME = "Asia/Seoul"


def _ihdr_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first, right after the signature)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_stats_30d_posts_the_figures_and_uploads_the_chart(bot):
    ack(bot.command("incident start P1 결제 API 다운"))
    bot.settle()
    answer = ack(bot.command("stats 30d"))
    assert "최근 30일" in answer
    bot.settle()
    (posted,) = [p for p in bot.slack.posts("C_OPS") if "장애 통계" in p["text"]]
    shown = flat(posted["blocks"])
    assert "장애 1건" in shown and "P1 1" in shown
    assert "MTTA: 알림이 연 장애의 첫 알림 수신부터 장애 인지까지" in shown
    (chart,) = [f for f in bot.slack.shared_files() if f["filename"].endswith(".png")]
    assert chart["channel"] == "C_OPS"
    assert _ihdr_size(chart["raw"]) == (WIDTH_PX, HEIGHT_PX)
    assert Image.open(BytesIO(chart["raw"])).size == (WIDTH_PX, HEIGHT_PX)


def test_stats_with_another_period_gets_usage_naming_the_accepted_ones(bot):
    for text in ("stats 13d", "stats 30", "stats week"):
        answer = ack(bot.command(text))
        assert "`7d`, `30d`, `90d`" in answer and "/ailex stats [7d|30d|90d]" in answer
    bot.settle()
    assert not bot.slack.calls("chat.postMessage")
    assert "/ailex stats" in ack(bot.command("help"))


def test_the_chart_decodes_to_its_size_with_and_without_a_korean_font(bot):
    now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    figures = Figures(days=30, since=now - timedelta(days=30), until=now)
    weeks = figures.weeks(bot.core.zone)
    assert len(weeks) == 5
    for font in (True, None):  # None: no Korean font here, so the labels are English
        png = render_png(weeks, Catalogue("ko"), days=30, font_path=font)
        image = Image.open(BytesIO(png))
        image.load()
        assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)


# -- the App Home ----------------------------------------------------------------------------
def _home_opened(bot, user: str) -> dict[str, Any]:
    bot.slack.add_user(user, user.lower())
    assert bot.event({"type": "app_home_opened", "user": user, "tab": "home"}).status_code == 200
    bot.settle()
    published = bot.slack.home_view(user)
    assert published is not None, "no home tab published"
    return published.view


def _valid(view: dict[str, Any]) -> View:
    """The view as slack_sdk's Block Kit models read it (they raise on what Slack refuses)."""
    model = View(**view)
    model.validate_json()
    assert len(model.blocks) == len(view["blocks"])
    return model


def test_opening_the_home_tab_publishes_open_incidents_and_figures(make_bot, outage_world):
    from tests.fakes import alert_senders as send

    clock = FakeClock()
    bot = make_bot(
        clock=clock,
        **{**outage_world["settings"], "AILEX_PROBE_TIMEOUT": "1"},
        AILEX_UPTIMEROBOT_SECRET=send.UPTIMEROBOT_SECRET,
    )
    delivery = send.uptimerobot(alert_type="1", at=clock())
    bot.http.post(delivery.url_path, content=delivery.body, headers=delivery.headers)
    bot.settle()
    ack(bot.command("incident start P3 검색 느림", user="U_BOB"))
    bot.settle()
    clock.advance(minutes=12)
    view = _home_opened(bot, "U_VIEWER")
    _valid(view)
    shown = flat(view["blocks"])
    assert "열린 장애 (2건)" in shown
    alerted, declared = sorted(bot.core.incidents.list_open(), key=lambda i: i.severity)
    assert f"P1 #{alerted.id}" in shown and "UptimeRobot: ailex.app 다운" in shown
    assert "인지 대기" in shown  # no commander until someone acknowledges
    assert f"P3 #{declared.id}" in shown and "검색 느림" in shown and "<@U_BOB>" in shown
    assert f"<#{alerted.channel_id}>" in shown and f"<#{declared.channel_id}>" in shown
    assert "경과 12분" in shown and "초기 대응" in shown  # the phase, by the clock
    assert "열린 후속 조치가 없습니다" in shown
    assert "최근 30일" in shown and "장애 2건" in shown
    assert "ailex.home.declare" in shown


def test_the_home_view_keeps_within_slacks_limits_however_many_incidents():
    now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    many = [
        Incident(id=n, title="제목 " * 60, severity="P2", status="investigating",
                 commander_id="U1", channel_id=f"C{n}", started_at=now - timedelta(hours=n),
                 resolved_at=None)
        for n in range(1, 301)
    ]  # fmt: skip
    from zoneinfo import ZoneInfo

    view = home_view(
        incidents=many,
        kinds_of=lambda _: [],
        followups=[],
        figures=Figures(days=30, since=now - timedelta(days=30), until=now),
        t=Catalogue("ko"),
        zone=ZoneInfo(ZONE_NAME),
        now=now,
    )
    _valid(view)
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert len(json.dumps(view, ensure_ascii=False).encode()) < 250_000
    assert "외 275건" in flat(view["blocks"])


def test_home_publish_survives_view_too_large_and_hash_conflict_and_not_enabled(bot):
    bot.slack.fail_method("views.publish", "view_too_large")
    _home_opened(bot, "U_ONE")  # published, shorter, on the second try
    bot.slack.fail_method("views.publish", "hash_conflict")
    _home_opened(bot, "U_TWO")
    bot.slack.fail_method("views.publish", "not_enabled")
    bot.slack.add_user("U_THREE", "three")
    bot.event({"type": "app_home_opened", "user": "U_THREE", "tab": "home"})
    bot.settle()
    assert bot.slack.home_view("U_THREE") is None
    assert not bot.core.publish_home("U_NOBODY")  # Slack: user_not_found, logged


def test_the_messages_tab_publishes_nothing(bot):
    bot.slack.add_user("U_MSG", "msg")
    bot.event({"type": "app_home_opened", "user": "U_MSG", "tab": "messages"})
    bot.settle()
    assert bot.slack.home_view("U_MSG") is None


def _submit_declare(bot, view: dict[str, Any], *, title: str, severity: str, user: str):
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "ailex"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "view": {
            **view,
            "id": "VDECLARE1",
            "hash": "h1",
            "state": {
                "values": {
                    "title": {"value": {"type": "plain_text_input", "value": title}},
                    "severity": {
                        "value": {
                            "type": "static_select",
                            "selected_option": {"value": severity},
                        }
                    },
                }
            },
        },
    }
    return bot.interactive(payload)


def test_the_home_declare_button_opens_a_form_whose_submission_declares(bot):
    _home_opened(bot, "U_ALICE")
    assert bot.click("ailex.home.declare", "home", user="U_ALICE").status_code == 200
    bot.settle()
    form = bot.slack.views[-1]["view"]
    assert form["callback_id"] == "ailex.home.declare_modal"
    _valid(form)
    answer = _submit_declare(bot, form, title="로그인 실패", severity="P1", user="U_ALICE")
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"
    assert "선언" in flat(answer.json()["view"]["blocks"])
    bot.settle()
    (incident,) = bot.core.incidents.list_open()
    assert (incident.title, incident.severity, incident.commander_id) == (
        "로그인 실패",
        "P1",
        "U_ALICE",
    )
    assert incident.channel_id in bot.slack.channels  # its own channel, the declarer in it
    assert "U_ALICE" in bot.slack.members[incident.channel_id]
    # The same submission again (Slack's retry) declares nothing more; the home tab shows it.
    _submit_declare(bot, form, title="로그인 실패", severity="P1", user="U_ALICE")
    bot.settle()
    assert len(bot.core.incidents.list_open()) == 1
    assert "로그인 실패" in flat(bot.slack.home_view("U_ALICE").view["blocks"])
    # An empty title is refused on the field.
    empty = _submit_declare(bot, form, title=" ", severity="P2", user="U_ALICE").json()
    assert empty["response_action"] == "errors" and "title" in empty["errors"]


def test_without_incident_channels_the_home_form_says_why_it_cannot_declare(make_bot):
    bot = make_bot(AILEX_INCIDENT_CHANNELS="false")
    bot.click("ailex.home.declare", "home")
    bot.settle()
    shown = flat(bot.slack.views[-1]["view"]["blocks"])
    assert "AILEX_INCIDENT_CHANNELS" in shown
    answer = _submit_declare(bot, {"callback_id": "ailex.home.declare_modal", "type": "modal"},
                             title="x", severity="P2", user="U_ALICE")  # fmt: skip
    assert "AILEX_INCIDENT_CHANNELS" in flat(answer.json()["view"])
    assert bot.core.incidents.list_open() == []


def test_the_home_tab_lists_the_viewers_open_followups_and_not_others(make_bot):
    bot = make_bot()
    bot.slack.add_user("U_OWNER", "owner")
    channel = declare(bot)
    ack(bot.command("followup 커넥션 풀 상한 올리기 <@U_OWNER> 2099-01-31", channel=channel))
    ack(bot.command("followup 알림 문구 고치기", channel=channel))  # the caller's own
    ack(bot.command("followup 끝낸 일 <@U_OWNER>", channel=channel))
    ack(bot.command("followup done 3", channel=channel))
    bot.settle()
    shown = flat(_valid_home(bot, "U_OWNER"))
    assert "내 후속 조치 (1건)" in shown
    assert "커넥션 풀 상한 올리기" in shown and "2099-01-31" in shown
    assert "알림 문구 고치기" not in shown and "끝낸 일" not in shown


def _valid_home(bot, user: str) -> list[dict[str, Any]]:
    view = _home_opened(bot, user)
    _valid(view)
    return view["blocks"]
