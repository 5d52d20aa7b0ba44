"""Nothing acts after it should have stopped (issue 7, items 5-8): resolve cancels what waits
and says what is left on, a rollback the site contradicts is a failure, reopen keeps both
resolutions, one waiting request per action; and the card shows the live state."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.errors import UserError
from bot.incidents.flows import Actor
from storage import approvals, timeline
from tests.approvals.helpers import _kinds, _refusals, _request, _request_message
from tests.fakes.base import FakeServer, Response
from tests.fakes.dns_server import FakeDNS
from tests.fakes.vercel import FakeVercel
from tests.harness import BotHarness, ack, card_blocks, declare, flat
from tests.remediations.helpers import _promotes, _settings


@pytest.fixture
def vercel():
    with FakeVercel() as fake:
        yield fake


class Site:
    """A site whose HTTP answer the test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.server = FakeServer()
        self.server.route("*", "/.*")(lambda request, match: Response(self.status, "site"))
        self.server.start()
        self.url = self.server.url


@pytest.fixture
def site():
    fake = Site()
    yield fake
    fake.server.stop()


def _lines(blocks: list[dict[str, Any]]) -> list[str]:
    """Every line of text a message shows, as a reader sees it."""
    texts: list[str] = []
    for block in blocks:
        for part in [block.get("text"), *(block.get("fields") or [])]:
            if isinstance(part, dict):
                texts.append(part.get("text") or "")
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                texts.append(element["text"])
            elif isinstance(element, dict) and isinstance(element.get("text"), dict):
                texts.append(element["text"].get("text") or "")
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def _card(bot, channel: str) -> str:
    return flat(card_blocks(bot, channel))


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element.get("value", ""))
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
        if element.get("type") == "button"
    ]


def _ack_blocks(response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json().get("blocks") or []


def _state(bot, request_id: int = 1) -> str:
    return _request(bot, request_id).state


def _events(bot, kind: str, incident_id: int = 1) -> list:
    with bot.store.read() as session:
        return [
            e for e in timeline.for_incident(session, incident_id=incident_id) if e.kind == kind
        ]


# -- item 5: resolve cancels what waits ----------------------------------------------------------
def test_resolve_cancels_a_waiting_request_and_a_later_approval_is_refused(
    make_bot, vercel, store_url
):
    bot = make_bot(store_url=store_url, **_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate maintenance on", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    assert _state(bot) == "pending"
    assert "승인 대기 1건" in _card(bot, channel) and "#1" in _card(bot, channel)

    ack(bot.command("resolve 배포 설정 오류", channel=channel, user="U_ALICE"))
    bot.settle()
    assert _state(bot) == "cancelled"
    (cancelled,) = _events(bot, "remediation_cancelled")
    assert cancelled.actor == "U_ALICE" and cancelled.data["request_id"] == 1
    message = _request_message(bot, channel)
    assert "ailex.approve" not in flat(message["blocks"])
    assert "해결 처리해 취소됨" in flat(message["blocks"])
    assert "승인 대기" not in _card(bot, channel)

    # Bob approves the message he still sees: refused with the reason, recorded, nothing runs.
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert _state(bot) == "cancelled"
    assert vercel.edge_items.get("maintenance") in (None, False)
    assert not [r for r in vercel.requests if r.method == "PATCH"]
    assert any("해결 처리되면서 취소" in text for text in _refusals(bot))
    kinds = _kinds(bot)
    assert kinds.index("remediation_cancelled") < kinds.index("resolved")
    assert kinds[kinds.index("resolved") :].count("remediation_refused") == 1
    bot.click("ailex.deny", "1", user="U_BOB", channel=channel)
    bot.settle()
    assert _state(bot) == "cancelled"
    # The channel hears that the request was cancelled.
    leftovers = [p for p in bot.slack.posts(channel) if "남아 있는 것" in (p["text"] or "")]
    assert leftovers and "#1" in flat(leftovers[-1]["blocks"])


def test_a_request_prepared_while_the_incident_is_resolved_is_not_stored(make_bot, vercel):
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    vercel.delay = 1.5  # the preview reads Vercel slowly; the resolve lands meanwhile
    answer = ack(bot.command("remediate maintenance on", channel=channel, user="U_ALICE"))
    assert "미리 확인" in answer
    ack(bot.command("resolve 배포 설정 오류", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    vercel.delay = 0
    with bot.store.read() as session:
        assert not approvals.for_incident(session, incident_id=1)
    assert "이미 해결되었습니다" in _refusals(bot)[-1]
    assert "remediation_requested" not in _kinds(bot)


def test_resolve_shows_a_switch_left_on_with_a_button_that_turns_it_off(make_bot, vercel):
    bot = make_bot(**_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate maintenance on", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert vercel.edge_items["maintenance"] is True
    assert "점검 페이지* 켜져 있음" in _card(bot, channel)

    ack(bot.command("resolve 배포 설정 오류", channel=channel, user="U_ALICE"))
    bot.settle()
    (leftovers,) = [p for p in bot.slack.posts(channel) if "남아 있는 것" in (p["text"] or "")]
    assert "점검 페이지*이(가) 아직 켜져 있습니다" in flat(leftovers["blocks"])
    assert ("ailex.remediate", "maintenance off") in _buttons(leftovers["blocks"])

    # The button works after the resolve: switching it back off is asked for and approved.
    bot.click("ailex.remediate", "maintenance off", user="U_ALICE", channel=channel)
    bot.settle(timeout=30)
    request = _request(bot, 2)
    assert (request.action, request.argument, request.state) == ("maintenance", "off", "pending")
    bot.click("ailex.approve", "2", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert vercel.edge_items["maintenance"] is False
    assert "켜져 있음" not in _card(bot, channel)
    # Anything else stays refused under a resolved incident.
    answer = ack(bot.command("remediate maintenance on", channel=channel))
    assert "이미 해결되었습니다" in answer


@pytest.fixture
def broken(make_bot, site):
    """A bot whose incident's last diagnosis (outage) found the site failing."""
    site.status = 503
    with FakeDNS() as dns:
        dns.add("ailex.app", a=["76.76.21.21"])
        bot = make_bot(
            AILEX_SITE_URL=site.url, AILEX_PROBE_TIMEOUT="3", AILEX_DNS_NAMESERVERS=dns.address
        )
        channel = declare(bot)
        ack(bot.command("diagnose outage", channel=channel))
        bot.settle(timeout=30)
        yield bot, channel


def test_resolve_asks_first_while_the_last_diagnosis_fails(broken, site):
    bot, channel = broken
    assert "마지막 진단" in _card(bot, channel) and "실패한 점검" in _card(bot, channel)
    blocks = _ack_blocks(bot.command("resolve 캐시 문제", channel=channel, user="U_ALICE"))
    bot.settle()
    assert "그래도 해결 처리할까요" in flat(blocks)
    assert "resolved" not in _kinds(bot)
    (confirm,) = [v for a, v in _buttons(blocks) if a == "ailex.resolve.confirm"]
    assert ("ailex.diagnose", "outage") in _buttons(blocks)

    bot.click("ailex.resolve.confirm", confirm, user="U_ALICE", channel=channel)
    bot.settle()
    (resolved,) = _events(bot, "resolved")
    assert resolved.actor == "U_ALICE" and resolved.text == "캐시 문제"
    (leftovers,) = [p for p in bot.slack.posts(channel) if "남아 있는 것" in (p["text"] or "")]
    assert "아직 실패한 점검" in flat(leftovers["blocks"])
    # Pressed again (an old prompt): refused, resolved once.
    bot.click("ailex.resolve.confirm", confirm, user="U_ALICE", channel=channel)
    bot.settle()
    assert len(_events(bot, "resolved")) == 1


def test_resolve_does_not_ask_once_the_site_is_back(broken, site):
    bot, channel = broken
    site.status = 200
    ack(bot.command("diagnose outage", channel=channel))
    bot.settle(timeout=30)
    answer = ack(bot.command("resolve 캐시 문제", channel=channel))
    bot.settle()
    assert "해결 처리했습니다" in answer and len(_events(bot, "resolved")) == 1


def test_resolve_form_asks_again_while_the_last_diagnosis_fails(broken):
    bot, channel = broken
    ack(bot.command("resolve", channel=channel, user="U_ALICE"))
    bot.settle()
    (opened,) = bot.slack.views
    typed = {"cause": "캐시 문제", "impact": "결제 사용자 전부"}
    response = bot.submit_view(opened["view"], typed, user="U_ALICE")
    answer = response.json()
    assert answer["response_action"] == "update"
    again = answer["view"]
    assert "그래도 해결 처리할까요" in flat(again["blocks"])
    kept = {
        b["block_id"]: b["element"].get("initial_value") for b in again["blocks"] if "element" in b
    }
    assert kept["cause"] == "캐시 문제" and kept["impact"] == "결제 사용자 전부"
    bot.settle()
    assert "resolved" not in _kinds(bot)
    response = bot.submit_view(again, typed, user="U_ALICE")
    assert response.status_code == 200 and not response.content
    bot.settle()
    (resolved,) = _events(bot, "resolved")
    assert resolved.text == "캐시 문제"


# -- item 6: a rollback the site contradicts is a failure ----------------------------------------
def test_a_rollback_whose_site_recheck_still_fails_is_a_failure(make_bot, vercel, site):
    previous = vercel.add_deployment(minutes_ago=240, commit_message="stable")
    vercel.add_deployment(minutes_ago=20, commit_message="broken")
    site.status = 503
    bot = make_bot(**_settings(vercel, site.server))
    channel = declare(bot)
    ack(bot.command("remediate rollback", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert _promotes(vercel)[0].path.endswith(previous["uid"])  # it did run
    request = _request(bot)
    assert request.state == "failed"
    assert request.outcome["data"]["site_recheck"]["http_status"] == 503
    lines = _lines(_request_message(bot, channel)["blocks"])
    assert not [line for line in lines if line.startswith("✅") or "완료" in line], lines
    assert any("복구되지 않았습니다" in line and "503" in line for line in lines), lines
    assert "remediation_failed" in _kinds(bot) and "remediation_executed" not in _kinds(bot)
    card = _card(bot, channel)
    assert "사이트가 아직 복구되지 않음" in card and "503" in card


def test_a_rollback_the_site_recheck_confirms_still_succeeds(make_bot, vercel, site):
    vercel.add_deployment(minutes_ago=240)
    vercel.add_deployment(minutes_ago=20)
    bot = make_bot(**_settings(vercel, site.server))
    channel = declare(bot)
    ack(bot.command("remediate rollback", channel=channel))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert _state(bot) == "succeeded"
    assert "마지막 조치 #1" in _card(bot, channel) and "실행됨" in _card(bot, channel)


# -- item 7: reopen -------------------------------------------------------------------------------
def test_reopen_then_resolve_again_keeps_both_resolutions_and_who(bot):
    for user_id, name in (("U_ALICE", "alice"), ("U_BOB", "bob"), ("U_CAROL", "carol")):
        bot.slack.add_user(user_id, name)
    channel = declare(bot)
    ack(bot.command("resolve 첫 번째 원인", channel=channel, user="U_ALICE"))
    bot.settle()
    assert "ailex.resolve" not in _card(bot, channel)
    answer = ack(bot.command("재개", channel=channel, user="U_BOB"))
    assert "다시 열었습니다" in answer
    bot.settle()
    card = _card(bot, channel)
    assert "ailex.resolve" in card and "조사 중" in card
    assert bot.core.incidents.get(1).resolved_at is None
    ack(bot.command("note 재발함", channel=channel, user="U_BOB"))
    ack(bot.command("resolve 두 번째 원인", channel=channel, user="U_CAROL"))
    bot.settle()
    resolutions = _events(bot, "resolved")
    assert [(e.actor, e.text) for e in resolutions] == [
        ("U_ALICE", "첫 번째 원인"),
        ("U_CAROL", "두 번째 원인"),
    ]
    (reopened,) = _events(bot, "reopened")
    assert reopened.actor == "U_BOB"
    markdown = bot.slack.shared_files()[-1]["content"]
    events = markdown.split("### 전체 기록")[1].split("###")[0]
    # The file names people (users.info), as every report file does.
    assert "alice 해결 처리" in events and "carol 해결 처리" in events
    assert "bob 장애 다시 열기" in events
    history = markdown.split("해결 이력")[1].split("\n")[0]
    assert "alice" in history and "bob" in history and "carol" in history
    assert "<@U" not in markdown


def test_reopen_of_an_open_incident_is_refused(bot):
    channel = declare(bot)
    answer = ack(bot.command("reopen", channel=channel))
    assert "해결되지 않았습니다" in answer
    bot.settle()
    assert "reopened" not in _kinds(bot)


def test_reopen_is_refused_while_another_incident_is_open_in_the_channel(make_bot):
    bot = make_bot(AILEX_INCIDENT_CHANNELS="false")
    ack(bot.command("incident start P2 첫 장애", channel="C_OPS"))
    ack(bot.command("resolve 원인", channel="C_OPS"))
    ack(bot.command("incident start P2 둘째 장애", channel="C_OPS"))
    bot.settle()
    # This channel's incident is #2 (open); #1 cannot be reopened beside it.
    answer = ack(bot.command("reopen", channel="C_OPS"))
    assert "#2" in answer
    with pytest.raises(UserError) as refused:
        bot.core.incidents.reopen(incident_id=1, actor=_actor("U_BOB", "C_OPS"))
    assert refused.value.message.key == "error.reopen_other_open"
    assert bot.core.incidents.get(1).resolved_at is not None
    assert "reopened" not in _kinds(bot)


def _actor(user: str, channel: str) -> Actor:
    return Actor(user_id=user, channel_id=channel)


# -- item 8: one waiting request per action ------------------------------------------------------
def test_a_second_request_for_the_same_action_is_refused_with_a_link(make_bot, vercel, store_url):
    bot = make_bot(store_url=store_url, **_settings(vercel))
    channel = declare(bot)
    ack(bot.command("remediate maintenance on", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    first = _request_message(bot, channel)
    for _ in range(2):  # Slack delivers it twice: one refusal
        bot.command("remediate maintenance on", channel=channel, user="U_BOB", trigger_id="t-b")
    bot.settle(timeout=30)
    link = f"https://ailex.slack.com/archives/{channel}/p{first['ts'].replace('.', '')}"
    refusal = _refusals(bot)[-1]
    assert "이미 승인 대기 중" in refusal and f"<{link}|#1>" in refusal
    # A button from a diagnosis, by a third person: the same.
    bot.click("ailex.remediate", "maintenance on", user="U_CAROL", channel=channel)
    bot.settle(timeout=30)
    assert "이미 승인 대기 중" in _refusals(bot)[-1]
    with bot.store.read() as session:
        assert len(approvals.for_incident(session, incident_id=1)) == 1
    assert _kinds(bot).count("remediation_refused") == 2
    # Once that one is decided, it may be asked for again.
    bot.click("ailex.deny", "1", user="U_BOB", channel=channel)
    bot.settle()
    ack(bot.command("remediate maintenance on", channel=channel, user="U_BOB"))
    bot.settle(timeout=30)
    assert _state(bot, 2) == "pending"


def test_two_replicas_asked_at_once_keep_one_waiting_request(pg_store_url, vercel):
    settings = _settings(vercel)
    first = BotHarness(store_url=pg_store_url, **settings)
    second = BotHarness(store_url=pg_store_url, slack=first.slack, **settings)
    try:
        channel = declare(first)
        barrier = threading.Barrier(6)

        def ask(replica: BotHarness, n: int) -> None:
            barrier.wait()
            replica.command("remediate maintenance on", channel=channel, user=f"U_ASKER{n}")

        threads = [
            threading.Thread(target=ask, args=(replica, n))
            for n, replica in enumerate([first, second] * 3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first.settle(timeout=30)
        second.settle(timeout=30)
        with first.store.read() as session:
            requests = approvals.for_incident(session, incident_id=1)
        assert [r.state for r in requests] == ["pending"]
        refusals = [
            r.get("text", "")
            for r in first.slack.responses
            if "이미 승인 대기 중" in (r.get("text") or "")
        ]
        assert len(refusals) == 5
    finally:
        second.close()
        first.close()


def test_the_store_refuses_a_second_waiting_request_of_an_action(store_url, make_bot):
    bot = make_bot(store_url=store_url)
    declare(bot)
    fields: dict[str, Any] = {
        "incident_id": 1,
        "action": "maintenance",
        "argument": "on",
        "requested_by": "U_ALICE",
        "requested_at": bot.core.clock(),
        "expires_at": bot.core.clock(),
        "preview": json.loads('{"action": "maintenance", "summary": {"key": "x", "params": {}}}'),
        "state": "pending",
    }
    with bot.store.write() as session:
        approvals.create(session, **fields)
    with pytest.raises(IntegrityError), bot.store.write() as session:
        approvals.create(session, **fields)
    with bot.store.write() as session:  # another state, or another action, is fine
        approvals.create(session, **{**fields, "state": "denied"})
        approvals.create(session, **{**fields, "action": "ai-degraded"})


def test_migration_0005_keeps_the_oldest_of_duplicate_waiting_requests(store_url):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from storage import Store
    from storage.db import _MIGRATIONS

    store = Store(store_url)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    try:
        with store.engine.execution_options(ailex_write=True).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        with store.engine.execution_options(ailex_write=True).begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO incidents (id, title, severity, status, commander_id,"
                    " declared_by, origin_channel_id, started_at) VALUES"
                    " (1, 't', 'P2', 'investigating', 'U1', 'U1', 'C1', '2026-12-01 00:00:00')"
                )
            )
            for _ in range(3):
                connection.execute(
                    text(
                        "INSERT INTO approval_requests (incident_id, action, needs_approval,"
                        " requested_by, requested_at, expires_at, preview, state) VALUES"
                        " (1, 'maintenance', true, 'U1', '2026-12-01 00:00:00',"
                        " '2026-12-01 00:15:00', '{}', 'pending')"
                    )
                )
        store.migrate()
        with store.read() as session:
            states = [r.state for r in approvals.for_incident(session, incident_id=1)]
        assert states == ["pending", "cancelled", "cancelled"]
    finally:
        store.dispose()
