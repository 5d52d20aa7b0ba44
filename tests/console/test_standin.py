"""The console's stand-in for Slack, driven by the bot's real WebClient over loopback HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.console.standin import BOT_USER_ID, EventType, SlackStandIn, StandInEvent
from bot.slack.blocks import actions, button, section
from bot.slack.client import build_slack_client

TOKEN = "xoxb-console-test"


@pytest.fixture
def events() -> list[StandInEvent]:
    return []


@pytest.fixture
def standin(events: list[StandInEvent]) -> Iterator[SlackStandIn]:
    with SlackStandIn(token=TOKEN, listener=events.append) as running:
        running.add_user("UALICE", "alice")
        running.add_channel("general", channel_id="CGENERAL", members=["UALICE"])
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return build_slack_client(token=TOKEN, base_url=standin.api_url)


def error_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call(**kwargs)
    return str(raised.value.response["error"])


def test_a_wrong_token_is_refused(standin: SlackStandIn):
    other = build_slack_client(token="xoxb-someone-else", base_url=standin.api_url)
    assert error_of(other.auth_test) == "invalid_auth"


def test_channel_names_follow_slacks_rules(client: WebClient):
    created = client.conversations_create(name="inc-20261126-db-daun")["channel"]
    assert created["name"] == "inc-20261126-db-daun" and created["id"].startswith("C")
    assert error_of(client.conversations_create, name="inc-20261126-db-daun") == "name_taken"
    assert error_of(client.conversations_create, name="Inc DB") == "invalid_name_specials"
    assert error_of(client.conversations_create, name="x" * 81) == "invalid_name_maxlength"
    # Like Slack, lowercase letters of any script: a Korean reader's channel name.
    korean = client.conversations_create(name="inc-20261126-결제-api-다운")["channel"]
    assert korean["name"] == "inc-20261126-결제-api-다운"
    for bad in ("inc-결제.api", "inc-결제 다운", "inc-다운!", "inc-API"):
        assert error_of(client.conversations_create, name=bad) == "invalid_name_specials"
    # The bot finds a channel it made by its name (after a create answered too late).
    listed = client.conversations_list(types="public_channel", exclude_archived=True)
    found = [c for c in listed["channels"] if c["name"] == "inc-20261126-결제-api-다운"]
    assert found and found[0]["id"] == korean["id"] and found[0]["creator"] == "UAILEXBOT"


def test_inviting_twice_is_already_in_channel_and_the_first_invite_is_told(
    client: WebClient, events: list[StandInEvent]
):
    channel = client.conversations_create(name="inc-1")["channel"]["id"]
    client.conversations_invite(channel=channel, users="UALICE")
    assert error_of(client.conversations_invite, channel=channel, users="UALICE") == (
        "already_in_channel"
    )
    assert error_of(client.conversations_invite, channel=channel, users="UNOBODY") == (
        "user_not_found"
    )
    joined = [e for e in events if e.type == EventType.JOINED]
    assert len(joined) == 1
    assert (joined[0].channel, joined[0].user, joined[0].new_channel) == (channel, "UALICE", True)


def test_messages_are_posted_updated_and_pinned(
    client: WebClient, standin: SlackStandIn, events: list[StandInEvent]
):
    blocks = [section("*hi*"), actions(button("해결", "ailex.resolve", "1"))]
    posted = client.chat_postMessage(channel="CGENERAL", text="hi", blocks=blocks)
    ts = posted["ts"]
    client.chat_update(channel="CGENERAL", ts=ts, text="bye", blocks=[section("bye")])
    client.pins_add(channel="CGENERAL", timestamp=ts)
    assert error_of(client.pins_add, channel="CGENERAL", timestamp=ts) == "already_pinned"
    assert error_of(client.chat_update, channel="CGENERAL", ts="1.0", text="x") == (
        "message_not_found"
    )
    assert error_of(client.chat_postMessage, channel="CNOWHERE", text="x") == ("channel_not_found")

    kinds = [e.type for e in events]
    assert kinds == [EventType.POSTED, EventType.UPDATED, EventType.PINNED]
    # What was shown is a snapshot: the post still carries its first blocks.
    assert events[0].message is not None and events[0].message.blocks == blocks
    now = standin.message("CGENERAL", ts)
    assert now is not None and now.edited and now.text == "bye"


def test_only_the_methods_the_bot_calls_are_served(
    client: WebClient, standin: SlackStandIn, events: list[StandInEvent]
):
    # The bot answers a person through response_urls, never chat.postEphemeral: the one
    # model of Slack serves what the bot calls, and a method it started to call without the
    # model knowing it shows at once.
    for method in ("chat.postEphemeral", "conversations.info", "views.update", "chat.delete"):
        assert error_of(client.api_call, api_method=method, json={"channel": "CGENERAL"}) == (
            "unknown_method"
        )
    url = standin.new_response_url(channel="CGENERAL", user="UALICE")
    assert WebhookClient(url).send_dict({"text": "only you"}).status_code == 200
    assert events[-1].type == EventType.EPHEMERAL and events[-1].user == "UALICE"


def test_a_trigger_opens_one_view(
    client: WebClient, standin: SlackStandIn, events: list[StandInEvent]
):
    view = {
        "type": "modal",
        "callback_id": "c",
        "title": {"type": "plain_text", "text": "장애 해결"},
        "blocks": [],
    }
    trigger = standin.new_trigger("UALICE")
    opened = client.views_open(trigger_id=trigger, view=view)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "c"
    assert error_of(client.views_open, trigger_id=trigger, view=view) == "exchanged_trigger_id"
    assert error_of(client.views_open, trigger_id="made-up", view=view) == "invalid_trigger_id"
    too_long = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    other = standin.new_trigger("UALICE")
    assert error_of(client.views_open, trigger_id=other, view=too_long) == "invalid_arguments"

    top = standin.open_view("UALICE")
    assert top is not None and top.id == opened["id"]
    assert events[-1].type == EventType.VIEW_OPENED
    standin.close_views("UALICE")
    assert standin.open_view("UALICE") is None


def test_files_upload_v2_shares_the_file_in_the_channel(
    client: WebClient, events: list[StandInEvent]
):
    content = "## 장애 보고서\n\n- 원인: 풀 고갈\n"
    answer = client.files_upload_v2(
        channel="CGENERAL", content=content, filename="incident-1.md", title="보고서 #1"
    )
    assert answer["files"][0]["name"] == "incident-1.md"
    shared = [e for e in events if e.type == EventType.FILE_SHARED]
    assert len(shared) == 1 and shared[0].file is not None
    assert shared[0].file.content == content.encode()
    assert shared[0].file.title == "보고서 #1" and shared[0].channel == "CGENERAL"


def test_response_urls_answer_in_channel_ephemerally_or_in_place(
    client: WebClient, standin: SlackStandIn, events: list[StandInEvent]
):
    command_url = standin.new_response_url(channel="CGENERAL", user="UALICE")
    WebhookClient(command_url).send_dict({"text": "just you"})
    WebhookClient(command_url).send_dict({"text": "everyone", "response_type": "in_channel"})
    assert [e.type for e in events] == [EventType.EPHEMERAL, EventType.POSTED]

    ts = client.chat_postMessage(channel="CGENERAL", text="card")["ts"]
    click_url = standin.new_response_url(channel="CGENERAL", user="UALICE", message_ts=ts)
    WebhookClient(click_url).send_dict({"text": "replaced", "replace_original": True})
    assert events[-1].type == EventType.UPDATED
    assert events[-1].message is not None and events[-1].message.text == "replaced"


def test_a_response_url_takes_five_uses(standin: SlackStandIn):
    url = standin.new_response_url(channel="CGENERAL", user="UALICE")
    statuses = [WebhookClient(url).send_dict({"text": "x"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [404]


def test_form_and_json_bodies_are_both_understood(standin: SlackStandIn):
    def post(method: str, body: bytes, content_type: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{standin.api_url}{method}",
            data=body,
            headers={"Content-Type": content_type, "Authorization": f"Bearer {TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return dict(json.loads(response.read()))

    blocks = json.dumps([section("form")])
    form = f"channel=CGENERAL&text=form&blocks={urllib.request.quote(blocks)}".encode()
    assert post("chat.postMessage", form, "application/x-www-form-urlencoded")["ok"]
    body = json.dumps({"channel": "CGENERAL", "text": "json", "blocks": [section("json")]})
    assert post("chat.postMessage", body.encode(), "application/json")["ok"]
    assert post("no.such.method", b"{}", "application/json")["error"] == "unknown_method"


def test_unknown_paths_are_not_found(standin: SlackStandIn):
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{standin.url}/nowhere", timeout=5)
    assert raised.value.code == 404


def test_the_bot_is_a_member_of_the_channels_it_makes(client: WebClient):
    created = client.conversations_create(name="inc-3")["channel"]
    listed = client.conversations_list(types="public_channel", limit=1000)["channels"]
    assert next(c for c in listed if c["id"] == created["id"])["is_member"]
    assert client.users_info(user=BOT_USER_ID)["user"]["is_bot"]


def test_the_console_and_the_tests_sign_requests_with_one_builder():
    # One builder, computed by slack_sdk's verifier: what it signs, Bolt's check accepts,
    # and the harness's sign() is that builder with the tests' secret.
    from slack_sdk.signature import SignatureVerifier

    from bot.slack.signing import signed_headers
    from tests.harness import SIGNING_SECRET, sign

    body = "command=%2Failex&text=%EA%B2%B0%EC%A0%9C"
    headers = signed_headers("s3cret", body, timestamp=1_800_000_000)
    assert headers["X-Slack-Request-Timestamp"] == "1800000000"
    verifier = SignatureVerifier("s3cret", clock=type("C", (), {"now": lambda self: 1.8e9})())
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"],
                             headers["X-Slack-Signature"])  # fmt: skip
    assert not SignatureVerifier("other", clock=verifier.clock).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert sign(body.encode(), timestamp=1_800_000_000) == signed_headers(
        SIGNING_SECRET, body.encode(), timestamp=1_800_000_000
    )
