"""Vercel and OpenAI remediations asked for in Slack, approved by a second person, executed."""

from __future__ import annotations

import json
import logging
import time

import pytest

from storage import approvals, timeline
from tests.approvals.helpers import _kinds, _refusals, _request, _request_message
from tests.fakes.base import FakeServer, Response
from tests.fakes.openai import FakeOpenAI
from tests.fakes.vercel import FakeVercel, vercel_error
from tests.harness import FakeClock, ack, declare, flat
from tests.remediations.helpers import _promotes, _settings


@pytest.fixture
def vercel():
    with FakeVercel() as fake:
        yield fake


@pytest.fixture
def site():
    with FakeServer() as fake:
        fake.route("*", "/.*")(lambda request, match: Response(200, "ok"))
        yield fake


def test_rollback_preview_names_both_deployments_and_approval_promotes(make_bot, vercel, site):
    previous = vercel.add_deployment(minutes_ago=240, commit_message="Add audit export")
    current = vercel.add_deployment(minutes_ago=20, commit_message="Rewrite dashboard query")
    bot = make_bot(**_settings(vercel, site))
    channel = declare(bot)
    ack(bot.command("remediate rollback", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    preview = flat(_request_message(bot, channel)["blocks"])
    assert previous["uid"] in preview and previous["url"] in preview
    assert current["uid"] in preview
    assert "Add audit export" in preview
    assert not _promotes(vercel)

    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    (promote,) = _promotes(vercel)
    assert promote.path.endswith(f"/promote/{previous['uid']}")
    request = _request(bot)
    assert request.state == "succeeded"
    # The site is checked again after the rollback and the result reported.
    assert request.outcome["data"]["site_recheck"]["status"] == "ok"
    final = flat(_request_message(bot, channel)["blocks"])
    assert "사이트 재확인" in final
    assert [k for k in _kinds(bot) if k.startswith("remediation")] == [
        "remediation_requested",
        "remediation_approved",
        "remediation_executed",
    ]


def test_an_execution_marked_interrupted_keeps_that_state_when_it_finishes(
    make_bot, vercel, store_url
):
    """The one door: while an approved rollback hangs on Vercel, a restart (here: recovery with
    the heartbeat 60 s silent) marks it interrupted; the execution's heartbeat then no longer
    touches it, and its finish records what it did without overwriting the state."""
    vercel.add_deployment(minutes_ago=240)
    vercel.add_deployment(minutes_ago=20)
    clock = FakeClock()
    bot = make_bot(store_url=store_url, clock=clock, **_settings(vercel, AILEX_PROBE_TIMEOUT="20"))
    channel = declare(bot)
    ack(bot.command("remediate rollback", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    # The promote answers after the heartbeat's 10 s, and then as a failure.
    hold = vercel_error(500, "internal_server_error", "boom")
    hold.delay = 11.5
    vercel.fail("POST", r"/v10/projects/[^/]+/promote/.*", hold)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    deadline = time.monotonic() + 10
    while not vercel.received("POST", r"/v10/projects/[^/]+/promote/.*"):
        assert time.monotonic() < deadline, "the rollback never reached the promote"
        time.sleep(0.05)
    clock.advance(seconds=60)
    assert bot.core.approvals.recover() == 1
    marked = _request(bot)
    assert marked.state == "interrupted" and marked.outcome is None
    deadline = time.monotonic() + 30
    while _request(bot).outcome is None:
        assert time.monotonic() < deadline, "the execution never finished"
        time.sleep(0.1)
    bot.settle(timeout=30)
    request = _request(bot)
    assert request.state == "interrupted"
    assert request.heartbeat_at == marked.heartbeat_at
    assert request.finished_at == marked.finished_at
    assert request.outcome is not None and request.outcome["ok"] is False
    kinds = [k for k in _kinds(bot) if k.startswith("remediation")]
    assert kinds == [
        "remediation_requested",
        "remediation_approved",
        "remediation_interrupted",
        "remediation_failed",
    ]
    assert "중단" in flat(_request_message(bot, channel)["blocks"])


def test_rollback_to_a_named_deployment(make_bot, vercel, site):
    old = vercel.add_deployment(minutes_ago=600, commit_message="Old stable")
    vercel.add_deployment(minutes_ago=240)
    vercel.add_deployment(minutes_ago=20)
    bot = make_bot(**_settings(vercel, site))
    channel = declare(bot)
    ack(bot.command(f"remediate rollback {old['uid']}", channel=channel))
    bot.settle(timeout=30)
    assert old["uid"] in flat(_request_message(bot, channel)["blocks"])
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert _promotes(vercel)[0].path.endswith(old["uid"])


def test_rollback_to_a_deployment_that_does_not_exist_is_refused_plainly(make_bot, vercel):
    vercel.add_deployment(minutes_ago=240)
    vercel.add_deployment(minutes_ago=20)
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate rollback dpl_doesnotexist000", channel=channel))
    bot.settle(timeout=30)
    assert _refusals(bot) and "요청하지 않았습니다" in _refusals(bot)[-1]
    assert "remediation_requested" not in _kinds(bot)
    assert not _promotes(vercel)


def test_maintenance_needs_on_or_off(make_bot, vercel):
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate maintenance", channel=channel))
    bot.settle(timeout=30)
    assert _refusals(bot) and ("on" in _refusals(bot)[-1] or "켜" in _refusals(bot)[-1])
    assert "remediation_requested" not in _kinds(bot)


def test_maintenance_on_sets_the_edge_config_flag_after_approval(make_bot, vercel):
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate maintenance on", channel=channel))
    bot.settle(timeout=30)
    assert vercel.edge_items.get("maintenance") in (None, False)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert vercel.edge_items["maintenance"] is True
    assert _request(bot).state == "succeeded"


def test_ai_degraded_button_from_a_diagnosis_asks_for_it_on(make_bot, vercel):
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    bot.click("ailex.remediate", "ai-degraded on", channel=channel)
    bot.settle(timeout=30)
    request = _request(bot)
    assert (request.action, request.argument) == ("ai-degraded", "on")


def test_emergency_deploy_without_a_reason_asks_for_one_in_a_form(make_bot, vercel):
    vercel.add_deployment(minutes_ago=20)
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    response = bot.command("remediate emergency-deploy", channel=channel)
    assert response.status_code == 200
    bot.settle()
    (opened,) = bot.slack.views
    assert opened["view"]["callback_id"] == "ailex.emergency_deploy_modal"
    bot.submit_view(opened["view"], {"reason": "결제 핫픽스 긴급 반영"}, user="U_ALICE")
    bot.settle(timeout=30)
    request = _request(bot)
    assert request.action == "emergency-deploy" and request.argument == "결제 핫픽스 긴급 반영"
    with bot.store.read() as session:
        requested = [
            e
            for e in timeline.for_incident(session, incident_id=1)
            if e.kind == "remediation_requested"
        ]
    assert requested[0].data["argument"] == "결제 핫픽스 긴급 반영"  # the reason is recorded
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    created = [r for r in vercel.requests if r.method == "POST" and r.path == "/v13/deployments"]
    assert len(created) == 1 and created[0].json()["target"] == "production"


def test_rotate_key_takes_the_new_key_from_the_approver_and_never_shows_it(
    make_bot, vercel, caplog
):
    vercel.add_deployment(minutes_ago=60)
    vercel.add_env("OPENAI_API_KEY", "sk-old-key-0000000000", target=["production"])
    new_key = "sk-new-rotated-key-1234567890abcdef"
    caplog.set_level(logging.DEBUG)
    with FakeOpenAI(key=new_key) as openai:
        bot = make_bot(**_settings(vercel, OPENAI_BASE_URL=f"{openai.url}/v1"))
        channel = declare(bot)
        ack(bot.command("remediate rotate-openai-key", channel=channel, user="U_ALICE"))
        bot.settle(timeout=30)
        assert _request(bot).state == "pending"
        # The requester cannot approve it; the form is for a second person.
        bot.click("ailex.approve", "1", user="U_ALICE", channel=channel)
        bot.settle()
        assert not bot.slack.views
        bot.click("ailex.approve", "1", user="U_BOB", channel=channel, trigger_id="t-rotate")
        bot.settle()
        (opened,) = bot.slack.views
        assert opened["trigger_id"] == "t-rotate"
        assert _request(bot).state == "pending"  # approval happens when the key is given
        response = bot.submit_view(opened["view"], {"secret": new_key}, user="U_BOB")
        assert response.status_code == 200
        bot.settle(timeout=30)
    request = _request(bot)
    assert request.state == "succeeded", request.outcome
    env = next(e for e in vercel.envs if e["key"] == "OPENAI_API_KEY")
    assert env["value"] == new_key
    # The key never reaches Slack, the store, the outcome or the logs.
    slack_bodies = "".join(r.body.decode("utf-8", "replace") for r in bot.slack.requests)
    with bot.store.read() as session:
        stored = json.dumps(
            [[e.text, e.data] for e in timeline.for_incident(session, incident_id=1)]
            + [r.preview for r in approvals.for_incident(session, incident_id=1)]
            + [r.outcome for r in approvals.for_incident(session, incident_id=1)],
            default=str,
        )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for place in (slack_bodies, stored, logged, response.text):
        assert new_key not in place


def test_rotate_key_with_an_invalid_new_key_changes_nothing(make_bot, vercel):
    vercel.add_deployment(minutes_ago=60)
    vercel.add_env("OPENAI_API_KEY", "sk-old-key-0000000000", target=["production"])
    with FakeOpenAI(key="sk-the-only-valid-key-000000") as openai:
        bot = make_bot(**_settings(vercel, OPENAI_BASE_URL=f"{openai.url}/v1"))
        channel = declare(bot)
        ack(bot.command("remediate rotate-openai-key", channel=channel))
        bot.settle(timeout=30)
        bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
        bot.settle()
        form = bot.slack.views[0]["view"]
        bot.submit_view(form, {"secret": "sk-wrong-key-99999999"}, user="U_BOB")
        bot.settle(timeout=30)
    assert _request(bot).state == "failed"
    env = next(e for e in vercel.envs if e["key"] == "OPENAI_API_KEY")
    assert env["value"] == "sk-old-key-0000000000"
    assert not [r for r in vercel.requests if r.method == "PATCH"]
