"""Input that must not break, leak or page everyone (issue 7, items 15, 16, 18, 19, 20).

Everything goes over real HTTP to the real app, signed as Slack signs (tests/harness.py).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.messages import Catalogue
from storage import incidents, timeline
from tests.harness import ack, declare

# A mention that would notify a whole channel, workspace or group if Slack rendered it.
LIVE_BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam\^)[^>]*>")


def _events(bot, incident_id: int = 1) -> list:
    with bot.store.read() as session:
        return list(timeline.for_incident(session, incident_id=incident_id))


def _incidents(bot) -> list:
    with bot.store.read() as session:
        return list(incidents.list_all(session))


# The start of the answer to a failure nobody foresaw ("처리하지 못했습니다 ... 오류 ID").
INTERNAL = Catalogue("ko")("error.internal", id="@").split("@")[0][:12]


def _answered_clearly(response) -> None:
    """The answer is not the one to an unforeseen failure (whatever its encoding)."""
    try:
        text = json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        text = response.text
    assert INTERNAL not in text, text


def _no_tracebacks(caplog) -> None:
    for record in caplog.records:
        assert record.exc_info is None, f"a traceback in the log: {record.getMessage()}"
        assert "Traceback" not in record.getMessage()
        assert "\n" not in record.getMessage(), f"more than one line: {record.getMessage()!r}"


# -- 15: a command mentioning "payload" ---------------------------------------------------------
def test_a_note_mentioning_payload_is_recorded_not_lost(bot):
    channel = declare(bot)
    answer = ack(bot.command("note webhook payload 413", channel=channel))
    assert "기록했습니다" in answer
    notes = [e for e in _events(bot) if e.kind == "note"]
    assert [e.text for e in notes] == ["webhook payload 413"]


def test_a_command_from_a_channel_named_payload_is_answered(bot):
    # Slack sends the channel's name in the form; a channel called "payload-team" is a channel.
    form = {
        "token": "legacy",
        "team_id": "T1",
        "channel_id": "C_PAYLOAD",
        "channel_name": "payload-team",
        "user_id": "U_ALICE",
        "command": "/ailex",
        "text": "incident start P2 결제 지연",
        "response_url": bot.slack.response_url("payload"),
        "trigger_id": "trigger-payload",
    }
    response = bot.post(urlencode(form).encode(), "application/x-www-form-urlencoded")
    assert "#1" in ack(response)
    assert [i.title for i in _incidents(bot)] == ["결제 지연"]


# -- 16: no broadcast mention from what a user typed ---------------------------------------------
def _everything_sent(bot) -> list[str]:
    """Every text the fake Slack received: API calls' arguments and response_url bodies."""
    sent = []
    for request in bot.slack.requests:
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            sent.append(json.dumps(request.json(), ensure_ascii=False))
        elif "form" in content_type:
            fields = parse_qs(request.body.decode(), keep_blank_values=True)
            sent.append(json.dumps(fields, ensure_ascii=False))
        elif request.body and "multipart" not in content_type:
            sent.append(request.body.decode(errors="replace"))
    return sent


@pytest.mark.parametrize(
    "title",
    [
        "<!channel> 결제 API 다운",
        "&lt;!here&gt; 로그인 실패",
        "<!everyone> 전체 장애",
        "<!subteam^S0ONCALL|@oncall> 호출 <!here|here>",
    ],
)
def test_broadcast_mentions_in_a_title_are_never_live(bot, title):
    acks = [ack(bot.command(f"incident start P1 {title}"))]
    bot.settle()
    channel = list(bot.slack.channels)[-1]
    acks.append(ack(bot.command("status", channel=channel)))
    acks.append(ack(bot.command("incident list", channel=channel)))
    acks.append(ack(bot.command("note <!channel> 확인 중 <!here>", channel=channel)))
    acks.append(ack(bot.command("resolve <!everyone> 원인은 <!channel>", channel=channel)))
    bot.settle()
    acks.append(ack(bot.command("report", channel=channel)))
    acks.append(ack(bot.command("x`<!channel>`")))  # echoed back as an unknown subcommand
    bot.settle()

    sent = _everything_sent(bot)
    assert len(sent) >= 5  # the announcement, the card, the notes, the report...
    for text in sent + acks:
        assert not LIVE_BROADCAST.search(text), text
    # The title is shown as typed (escaped, so Slack shows it literally), not dropped.
    card = bot.slack.posts(channel)[0]
    assert "&lt;!" in card["text"] and "&lt;!" in json.dumps(card["blocks"])


def test_broadcast_mentions_echoed_from_arguments_are_never_live(make_bot):
    bot = make_bot(VERCEL_TOKEN="vercel-token", VERCEL_PROJECT_ID="prj_1")
    channel = declare(bot)
    acks = [
        ack(bot.command("diagnose <!channel>", channel=channel)),
        ack(bot.command("remediate <!here>", channel=channel)),
        ack(bot.command("remediate rollback <!channel>", channel=channel)),
    ]
    bot.settle()
    answers = [json.dumps(r, ensure_ascii=False) for r in bot.slack.responses]
    # Each is echoed back literally: the scenario, the action, the rollback's argument.
    assert "&lt;!channel&gt;" in acks[0] and "&lt;!here&gt;" in acks[1]
    assert any("&lt;!channel&gt;" in a and "dpl_" in a for a in answers)
    for text in _everything_sent(bot) + acks:
        assert not LIVE_BROADCAST.search(text), text


def test_a_resolve_form_with_broadcast_mentions_posts_none(bot):
    channel = declare(bot)
    bot.click("ailex.resolve", "1", channel=channel)
    bot.settle()
    (view,) = [v["view"] for v in bot.slack.views]
    response = bot.submit_view(
        view,
        {
            "cause": "<!channel> 배포 실수",
            "impact": "<!here> 전체 사용자",
            "actions": "<!everyone> 롤백",
            "prevention_short": "<!subteam^S1> 검토",
            "prevention_long": "&lt;!channel&gt; 자동화",
        },
    )
    assert response.status_code == 200
    bot.settle()
    for text in _everything_sent(bot):
        assert not LIVE_BROADCAST.search(text), text


# -- 18: a timestamp that is not a number --------------------------------------------------------
@pytest.mark.parametrize("timestamp", ["abc", "", "12.5", "12 34", "-1", "1e9", "0x10"])
def test_a_timestamp_that_is_not_a_number_is_unauthorised(bot, caplog, timestamp):
    caplog.set_level(logging.INFO)
    response = bot.command(
        "incident start P1 위조", headers={"X-Slack-Request-Timestamp": timestamp}
    )
    assert response.status_code == 401
    assert _incidents(bot) == []
    _no_tracebacks(caplog)


# -- 19: malformed signed payloads ---------------------------------------------------------------
def _click_payload(bot, **changes) -> dict:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "ailex"},
        "user": {"id": "U_ALICE", "username": "alice", "team_id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C_OPS"},
        "trigger_id": "trigger-malformed",
        "channel": {"id": "C_OPS", "name": "ops"},
        "message": {"ts": "1.000001", "type": "message", "text": "", "blocks": []},
        "response_url": bot.slack.response_url("malformed"),
        "actions": [
            {"action_id": "ailex.approve", "block_id": "b1", "type": "button", "value": "1"}
        ],
    }
    payload.update(changes)
    return payload


def _form(payload_text: str) -> bytes:
    return urlencode({"payload": payload_text}).encode()


MALFORMED_BODIES = {
    "not json": _form("{not json"),
    "json null": _form("null"),
    "json list": _form('[{"type": "block_actions"}]'),
    "json string": _form('"block_actions"'),
    "no actions": None,  # filled in per bot (needs the fake's response_url)
    "actions not a list": None,
    "action without id": None,
    "value of the wrong type": None,
    "user a string": None,
    "view without callback": _form(json.dumps({"type": "view_submission", "view": {"id": "V1"}})),
    "view a list": _form(json.dumps({"type": "view_submission", "view": []})),
    "state values a list": _form(
        json.dumps(
            {
                "type": "view_submission",
                "user": {"id": "U_ALICE"},
                "view": {"id": "V1", "callback_id": "ailex.resolve_modal", "state": {"values": []}},
            }
        )
    ),
    "team a number": _form(json.dumps({"type": "block_actions", "team": 5, "actions": []})),
    "deeply nested": _form("[" * 5000 + "]" * 5000),
    "json body null": b"null",
}


def _malformed(bot, name: str) -> bytes:
    body = MALFORMED_BODIES[name]
    if body is not None:
        return body
    changes = {
        "no actions": {"actions": []},
        "actions not a list": {"actions": {"action_id": "ailex.approve"}},
        "action without id": {"actions": [{"value": "1"}]},
        "value of the wrong type": {"actions": [{"action_id": "ailex.approve", "value": 1.5}]},
        "user a string": {"user": "U_ALICE"},
    }[name]
    return _form(json.dumps(_click_payload(bot, **changes)))


@pytest.mark.parametrize("name", list(MALFORMED_BODIES))
def test_a_malformed_signed_payload_gets_400_and_one_log_line(bot, caplog, name):
    caplog.set_level(logging.INFO)
    body = _malformed(bot, name)
    content_type = "application/json" if name == "json body null" else None
    response = bot.post(body, content_type or "application/x-www-form-urlencoded")
    assert response.status_code == 400, response.text
    bot.settle()
    _no_tracebacks(caplog)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "malformed" in warnings[0].getMessage()
    assert not bot.slack.requests  # nothing was done on its behalf


def test_a_malformed_payload_without_signature_is_still_401(bot):
    response = bot.post(_form("{not json"), "application/x-www-form-urlencoded", signed=False)
    assert response.status_code == 401


@pytest.mark.parametrize("value", ["1" * 30, "0", "-1", "+1", "1_0", " 1", "١"])
def test_a_button_id_no_row_can_have_gets_a_clear_answer(bot, caplog, value):
    caplog.set_level(logging.INFO)
    response = bot.click("ailex.approve", value)
    assert response.status_code == 200
    bot.settle()
    (answer,) = bot.slack.responses
    assert answer["response_type"] == "ephemeral"
    assert "버튼" in answer["text"] and INTERNAL not in answer["text"]
    _no_tracebacks(caplog)


def test_a_form_with_a_30_digit_incident_id_gets_a_clear_answer(bot, caplog):
    caplog.set_level(logging.INFO)
    view = {
        "type": "modal",
        "callback_id": "ailex.resolve_modal",
        "private_metadata": json.dumps({"incident_id": 10**29, "channel_id": "C_OPS"}),
    }
    response = bot.submit_view(view, {"cause": "원인"})
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "update"
    _answered_clearly(response)
    _no_tracebacks(caplog)


# The fuzz: signed interactive payloads and command forms of any shape, against the real app.
_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["ailex.approve", "ailex.deny", "ailex.resolve", "ailex.remediate", "1"]),
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "type",
        "user",
        "channel",
        "container",
        "actions",
        "view",
        "trigger_id",
        "team",
        "response_url",
        "message",
        "state",
        "value",
        "action_id",
        "callback_id",
        "id",
        "private_metadata",
        "values",
        "selected_option",
        "enterprise",
        "authorizations",
    ]
)
_shaped = st.recursive(
    _leaf | st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=6),
    max_leaves=25,
)


def _or_junk(value) -> st.SearchStrategy:
    return st.just(value) | _json


_values = st.sampled_from(["1", "2", "999", "triage", "rollback", "maintenance on", "x"]) | _json
_action = st.fixed_dictionaries(
    {
        "action_id": st.sampled_from(
            [
                "ailex.approve",
                "ailex.deny",
                "ailex.resolve",
                "ailex.remediate",
                "ailex.diagnose",
                "ailex.diagnose.select",
                "ailex.jwt",
                "other",
            ]
        ),
        "block_id": _or_junk("b1"),
        "type": _or_junk("button"),
        "value": _values,
    },
    optional={"selected_option": st.fixed_dictionaries({"value": _values})},
)
_nearly_a_click = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "user": _or_junk({"id": "U_ALICE", "team_id": "T1"}),
        "team": _or_junk({"id": "T1"}),
        "trigger_id": _or_junk("trigger-fuzz"),
        "channel": _or_junk({"id": "C_OPS"}),
        "container": _or_junk({"type": "message", "channel_id": "C_OPS"}),
        "response_url": _or_junk("RESPONSE_URL"),
        "actions": st.lists(_action, min_size=1, max_size=2) | _json,
    }
)
_nearly_a_form = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["view_submission", "view_closed"]),
        "user": _or_junk({"id": "U_ALICE"}),
        "view": st.fixed_dictionaries(
            {
                "id": _or_junk("V1"),
                "type": _or_junk("modal"),
                "callback_id": st.sampled_from(
                    [
                        "ailex.resolve_modal",
                        "ailex.rotate_key_modal",
                        "ailex.jwt_modal",
                        "ailex.emergency_deploy_modal",
                    ]
                ),
                "private_metadata": st.sampled_from(
                    [
                        '{"incident_id": 1, "channel_id": "C_OPS"}',
                        '{"request_id": 1}',
                        "[]",
                        '{"incident_id": 100000000000000000000}',
                        "{",
                        "",
                    ]
                )
                | _json,
                "state": st.fixed_dictionaries(
                    {
                        "values": st.dictionaries(
                            st.sampled_from(["cause", "impact", "secret", "reason", "x"]),
                            st.dictionaries(
                                st.just("value"),
                                st.dictionaries(
                                    st.sampled_from(["type", "value"]), _json, max_size=2
                                ),
                                max_size=1,
                            ),
                            max_size=3,
                        )
                    }
                )
                | _json,
            }
        ),
    }
)
_command_fields = st.dictionaries(
    st.sampled_from(
        [
            "command",
            "text",
            "user_id",
            "channel_id",
            "trigger_id",
            "response_url",
            "team_id",
            "channel_name",
            "payload",
            "token",
        ]
    ),
    st.text(max_size=40) | st.sampled_from(["/ailex", "payload", "note payload", "{"]),
    max_size=8,
)

_FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ALLOWED = {200, 400, 401, 404}


@_FUZZ
@given(payload=st.one_of(_json, _shaped, _nearly_a_click, _nearly_a_form))
def test_fuzzed_signed_payloads_never_fail_inside(bot, caplog, payload):
    caplog.clear()
    caplog.set_level(logging.INFO)
    body = json.dumps(payload).replace("RESPONSE_URL", bot.slack.response_url("fuzz"))
    response = bot.post(_form(body), "application/x-www-form-urlencoded")
    assert response.status_code in _ALLOWED, (response.status_code, response.text)
    _answered_clearly(response)
    bot.settle()  # what was left to do after the answer fails no more loudly
    _no_tracebacks(caplog)


_subcommand = st.sampled_from(
    [
        "incident start P1 ",
        "incident list",
        "note ",
        "resolve ",
        "status ",
        "severity ",
        "diagnose ",
        "remediate ",
        "remediate rollback ",
        "report",
        "contacts",
        "help",
        "",
    ]
)
_command_text = st.builds(lambda head, tail: head + tail, _subcommand, st.text(max_size=30))
_real_commands = st.fixed_dictionaries(
    {
        "command": st.just("/ailex"),
        "text": _command_text,
        "user_id": _or_junk("U_ALICE") | st.text(max_size=40),
        "channel_id": st.sampled_from(["C_OPS", "CINC0001", ""]) | st.text(max_size=40),
        "trigger_id": st.text(min_size=1, max_size=20) | st.text(min_size=140, max_size=200),
        "response_url": st.just("RESPONSE_URL") | st.text(max_size=20),
    }
)


@_FUZZ
@given(fields=_command_fields | _real_commands)
def test_fuzzed_command_forms_never_fail_inside(bot, caplog, fields):
    caplog.clear()
    caplog.set_level(logging.INFO)
    body = urlencode(fields).replace("RESPONSE_URL", quote(bot.slack.response_url("fuzz"), safe=""))
    response = bot.post(body.encode(), "application/x-www-form-urlencoded")
    assert response.status_code in _ALLOWED, (response.status_code, response.text)
    _answered_clearly(response)
    bot.settle(timeout=30)
    _no_tracebacks(caplog)


# -- 20: NUL and other control characters, alike on every store -----------------------------------
def test_nul_and_control_characters_are_stored_alike_on_every_store(make_bot, store_url):
    bot = make_bot(store_url)
    answer = ack(bot.command("incident start P1 결제\x00API\x07 다운\r\n"))
    assert "#1" in answer
    bot.settle()
    channel = list(bot.slack.channels)[-1]
    assert "기록" in ack(bot.command("note 로그에\x00 NUL\x1b[31m 있음\t탭", channel=channel))
    bot.click("ailex.resolve", "1", channel=channel)
    bot.settle()
    (view,) = [v["view"] for v in bot.slack.views]
    assert bot.submit_view(view, {"cause": "원인\x00은 \ud800 여기"}).status_code == 200
    bot.settle()

    (incident,) = _incidents(bot)
    assert incident.title == "결제\ufffdAPI\ufffd 다운"
    (note,) = [e for e in _events(bot) if e.kind == "note"]
    assert note.text == "로그에\ufffd NUL\ufffd[31m 있음\t탭"
    assert incident.cause == "원인\ufffd은 \ufffd 여기"
    assert incident.resolved_at is not None


def test_an_emergency_deploy_reason_with_broadcast_mentions_is_posted_literally(make_bot):
    from tests.fakes.vercel import TOKEN, FakeVercel

    with FakeVercel() as vercel:
        vercel.add_deployment(minutes_ago=60, commit_message="<!here> Release 1.4")
        bot = make_bot(
            VERCEL_TOKEN=TOKEN, VERCEL_PROJECT_ID=vercel.project_id, VERCEL_API_URL=vercel.url
        )
        channel = declare(bot)
        ack(bot.command("remediate emergency-deploy <!channel> 로그인 핫픽스", channel=channel))
        bot.settle(timeout=30)
        request = [p for p in bot.slack.posts(channel) if "ailex.approve" in json.dumps(p)]
        assert request, bot.slack.posts(channel)
        assert "&lt;!channel&gt; 로그인 핫픽스" in json.dumps(request[0], ensure_ascii=False)
        for text in _everything_sent(bot):
            assert not LIVE_BROADCAST.search(text), text


@pytest.fixture
def store_bot(make_bot, store_url):
    """One bot on each store, its incidents living where they are declared."""
    return make_bot(store_url, AILEX_INCIDENT_CHANNELS="false")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.text(
        st.characters(codec="utf-8") | st.sampled_from("\x00\x01\r\x1b\x7f\ufffe"),
        min_size=1,
        max_size=60,
    )
)
def test_fuzzed_titles_and_notes_are_taken_alike_on_every_store(store_bot, text):
    bot = store_bot
    response = bot.command(f"incident start P2 x{text}", channel="C_FUZZ")
    assert response.status_code == 200
    _answered_clearly(response)
    (incident, *_) = sorted(_incidents(bot), key=lambda i: -i.id)
    assert "\x00" not in incident.title and incident.title.startswith("x")
    response = bot.command(f"note {text}", channel="C_FUZZ")
    assert response.status_code == 200
    _answered_clearly(response)


def test_a_pasted_jwt_whose_claims_carry_markup_is_shown_literally(bot):
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"iss": "<https://evil.example|supabase>", "role": "<!channel>", "exp": 1}
    token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"
    channel = declare(bot)
    bot.click("ailex.jwt", "1", channel=channel, trigger_id="t-jwt")
    bot.settle()
    (opened,) = bot.slack.views
    shown = json.dumps(bot.submit_view(opened["view"], {"secret": token}).json())
    assert "&lt;!channel&gt;" in shown and "&lt;https://evil.example|supabase&gt;" in shown
    assert not LIVE_BROADCAST.search(shown) and "<https://evil" not in shown
