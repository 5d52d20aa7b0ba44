"""One model of Slack: the tests' FakeSlack is the console's stand-in, as strict as Slack, with
recording and fault injection on top."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.console.standin import SlackStandIn
from bot.incidents.channels import name_problem
from bot.slack.blocks import section
from bot.slack.client import build_slack_client
from tests.fakes.slack import TOKEN, FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.arrive("U_ALICE", "C_OPS", "ops")
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    # No retries: a fault injected once is seen as it is.
    return WebClient(token=TOKEN, base_url=f"{slack.url}/api/", retry_handlers=[])


def error_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call(**kwargs)
    return str(raised.value.response["error"])


def _modal(**changes: Any) -> dict[str, Any]:
    view = {
        "type": "modal",
        "callback_id": "ailex.test",
        "title": {"type": "plain_text", "text": "해결"},
        "submit": {"type": "plain_text", "text": "저장"},
        "blocks": [
            {
                "type": "input",
                "block_id": "impact",
                "label": {"type": "plain_text", "text": "영향"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
    }
    view.update(changes)
    return view


def test_the_tests_fake_is_the_console_stand_in():
    assert issubclass(FakeSlack, SlackStandIn)


def test_a_channel_that_does_not_exist_is_channel_not_found(client: WebClient, slack: FakeSlack):
    assert error_of(client.chat_postMessage, channel="C_NOWHERE", text="x") == "channel_not_found"
    assert error_of(client.conversations_invite, channel="C_NOWHERE", users="U_ALICE") == (
        "channel_not_found"
    )
    assert error_of(client.pins_add, channel="C_NOWHERE", timestamp="1.000001") == (
        "channel_not_found"
    )
    assert not slack.all_posts()
    # Where someone typed a command, the channel is there.
    posted = client.chat_postMessage(channel="C_OPS", text="hello")
    assert [p["text"] for p in slack.posts("C_OPS")] == ["hello"]
    assert error_of(client.pins_add, channel="C_OPS", timestamp="9.999999") == ("message_not_found")
    client.pins_add(channel="C_OPS", timestamp=posted["ts"])
    assert error_of(client.pins_add, channel="C_OPS", timestamp=posted["ts"]) == "already_pinned"
    assert slack.pins == [("C_OPS", posted["ts"])]


@pytest.mark.parametrize(
    "name", ["", "a" * 81, "--", "Inc-Upper", "inc 1", "inc-20261126-결제-api-다운", "inc_ok-1"]
)
def test_channel_names_are_judged_by_the_one_rule(client: WebClient, name: str):
    problem = name_problem(name)
    if problem is None:
        assert client.conversations_create(name=name)["channel"]["name"] == name
    else:
        assert error_of(client.conversations_create, name=name) == problem


def test_views_open_takes_a_trigger_slack_gave_out_and_a_view_slack_would_show(
    client: WebClient, slack: FakeSlack
):
    assert error_of(client.views_open, trigger_id="made-up", view=_modal()) == (
        "invalid_trigger_id"
    )
    slack.new_trigger("U_ALICE", trigger_id="t1")
    too_long = {"type": "plain_text", "text": "가" * 25}
    for bad in (
        _modal(title=too_long),
        _modal(submit=too_long),
        _modal(submit=None),  # a form without its submit button
        _modal(type="home"),
        _modal(blocks=[section("x")] * 101),
        _modal(private_metadata="x" * 3001),
        _modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "x"}}]),
    ):
        assert error_of(client.views_open, trigger_id="t1", view=bad) == "invalid_arguments"
    assert not slack.views
    opened = client.views_open(trigger_id="t1", view=_modal())["view"]
    assert [(v["id"], v["trigger_id"]) for v in slack.views] == [(opened["id"], "t1")]
    assert slack.views[0]["view"]["callback_id"] == "ailex.test"
    # A trigger opens one view; the same request delivered again carries a used one.
    slack.new_trigger("U_ALICE", trigger_id="t1")
    assert error_of(client.views_open, trigger_id="t1", view=_modal()) == "exchanged_trigger_id"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_keep_slacks_sizes(client: WebClient):
    assert error_of(client.chat_postMessage, channel="C_OPS") == "no_text"
    assert error_of(client.chat_postMessage, channel="C_OPS", text="x" * 40_001) == ("msg_too_long")
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    for blocks in (
        [too_long],
        [header],
        [{"type": "actions", "elements": [button]}],
        [section("x")] * 51,
        [{"text": "no type"}],
    ):
        assert error_of(client.chat_postMessage, channel="C_OPS", text="t", blocks=blocks) == (
            "invalid_blocks"
        )
    ts = client.chat_postMessage(channel="C_OPS", text="t", blocks=[section("x" * 3000)])["ts"]
    assert error_of(client.chat_update, channel="C_OPS", ts=ts, blocks=[too_long]) == (
        "invalid_blocks"
    )
    client.chat_update(channel="C_OPS", ts=ts, text="t2", blocks=[section("y")])
    assert error_of(client.chat_update, channel="C_OPS", ts="1.000001", text="x") == (
        "message_not_found"
    )


def test_conversations_list_answers_a_page_at_a_time(client: WebClient, slack: FakeSlack):
    for number in range(3):
        client.conversations_create(name=f"inc-{number}")
    first = client.conversations_list(types="public_channel", limit=1000)
    assert len(first["channels"]) == FakeSlack.page_size == 2
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_list(types="public_channel", limit=1000, cursor=cursor)
    names = [c["name"] for c in first["channels"] + rest["channels"]]
    assert names == ["ops", "inc-0", "inc-1", "inc-2"]
    assert rest["response_metadata"]["next_cursor"] == ""
    assert list(slack.channels) == [c["id"] for c in first["channels"][1:] + rest["channels"]]


def test_people_who_act_are_members_and_named_ones_have_a_profile(
    client: WebClient, slack: FakeSlack
):
    channel = client.conversations_create(name="inc-1")["channel"]["id"]
    assert error_of(client.conversations_invite, channel=channel, users="U_NOBODY") == (
        "user_not_found"
    )
    client.conversations_invite(channel=channel, users="U_ALICE")
    assert "U_ALICE" in slack.members[channel]
    assert error_of(client.users_info, user="U_ALICE") == "user_not_visible"
    assert error_of(client.users_info, user="U_NOBODY") == "user_not_found"
    slack.add_user("U_BOB", "Bob Kim", "김밥")
    user = client.users_info(user="U_BOB")["user"]
    assert user["profile"] == {"display_name": "Bob Kim", "real_name": "김밥"}
    assert user["name"] == "bob.kim"


def test_faults_and_recording_sit_on_top_of_the_model(client: WebClient, slack: FakeSlack):
    slack.fail_method("chat.postMessage", "ratelimited")
    assert error_of(client.chat_postMessage, channel="C_OPS", text="x") == "ratelimited"
    slack.server_error("chat.postMessage")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C_OPS", text="x")
    assert not slack.posts("C_OPS")  # a fault is answered instead of the model
    client.chat_postMessage(channel="C_OPS", text="x")
    calls = slack.calls("chat.postMessage")
    assert len(calls) == 3 and json.loads(calls[-1].body)["text"] == "x"
    assert [p["text"] for p in slack.posts("C_OPS")] == ["x"]
    # answer_late carries the call out, then answers after the client stopped waiting.
    slack.answer_late("conversations.create", seconds=1.5)
    impatient = build_slack_client(token=TOKEN, base_url=f"{slack.url}/api/", timeout=1)
    with pytest.raises(Exception):  # noqa: B017 (a timeout, however the SDK words it)
        impatient.conversations_create(name="inc-late")
    assert [c["name"] for c in slack.channels.values()] == ["inc-late"]


def test_response_urls_are_given_out_and_take_five_uses(slack: FakeSlack):
    from slack_sdk.webhook import WebhookClient

    url = slack.response_url("cmd", channel="C_OPS", user="U_ALICE")
    for number in range(5):
        assert WebhookClient(url).send_dict({"text": f"#{number}"}).status_code == 200
    assert WebhookClient(url).send_dict({"text": "again"}).status_code == 404
    assert [r["text"] for r in slack.responses] == [f"#{n}" for n in range(5)]
    unknown = f"{slack.url}/response/never-given-out"
    assert WebhookClient(unknown).send_dict({"text": "x"}).status_code == 404
