"""Customer notices and the customer report asked for in Slack, approved by a second person,
published to a fake Statuspage manage API and a real SMTP server, each at most once."""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path

import pytest

from storage import approvals
from tests.approvals.helpers import _kinds, _refusals, _request
from tests.fakes.smtp import FakeSmtp
from tests.fakes.statuspage_manage import INCIDENT, INCIDENTS, FakeStatuspageManage
from tests.harness import BotHarness, ack, declare, flat

CONTACTS = "ops@customer-a.kr,it@customer-b.kr"


@pytest.fixture
def page():
    with FakeStatuspageManage() as fake:
        yield fake


@pytest.fixture
def smtp(tmp_path: Path):
    with FakeSmtp(tmp_path, reject=()) as fake:
        yield fake


def _page_settings(page: FakeStatuspageManage) -> dict[str, str]:
    return {
        "STATUSPAGE_API_KEY": page.api_key,
        "STATUSPAGE_PAGE_ID": page.page_id,
        "STATUSPAGE_API_URL": page.api_url,
        "STATUSPAGE_COMPONENT_IDS": "cmp-api,cmp-web",
    }


def _mail_settings(smtp: FakeSmtp) -> dict[str, str]:
    return {
        "AILEX_SMTP_URL": smtp.url,
        "AILEX_SMTP_FROM": "status@ailex.app",
        "AILEX_SMTP_CA_FILE": smtp.ca_file,
        "AILEX_CUSTOMER_EMAILS": CONTACTS,
    }


def _message_of(bot, channel: str, request_id: int) -> str:
    request = _request(bot, request_id)
    for post in bot.slack.posts(channel):
        if post.get("ts") == request.message_ts:
            return flat(post["blocks"])
    raise AssertionError("no request message")


def _everything_seen(bot, page, smtp, caplog) -> str:
    """Every byte the fakes, Slack, the store's requests and the log saw, as one text."""
    parts = [r.body.decode(errors="replace") for r in bot.slack.requests]
    parts += [json.dumps(r, ensure_ascii=False) for r in bot.slack.responses]
    parts += [r.body.decode(errors="replace") for r in page.requests if r.body]
    parts += [m.raw.decode(errors="replace") for m in smtp.received]
    with bot.store.read() as session:
        for request in approvals.for_incident(session, incident_id=1):
            parts.append(json.dumps([request.preview, request.outcome], ensure_ascii=False))
    parts += [json.dumps(_kinds(bot))]
    parts.append(caplog.text)
    return "\n".join(parts)


def test_notice_is_previewed_approved_by_another_person_and_published_once(
    make_bot, page, smtp, caplog
):
    caplog.set_level(logging.DEBUG)
    bot = make_bot(**_page_settings(page), **_mail_settings(smtp))
    channel = declare(bot)
    ack(bot.command("notify 결제 지연이 있습니다", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    preview = _message_of(bot, channel, 1)
    assert "새 장애 생성" in preview and "`investigating`" in preview and "`critical`" in preview
    assert "`cmp-api`" in preview and "수신자 2명" in preview
    assert "결제 지연이 있습니다" in preview
    assert page.requests == [] and smtp.received == []

    # The requester cannot approve it.
    bot.click("ailex.approve", "1", user="U_ALICE", channel=channel)
    bot.settle(timeout=30)
    assert page.requests == [] and _request(bot).state == "pending"

    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.click("ailex.approve", "1", user="U_CAROL", channel=channel)
    bot.settle(timeout=30)
    assert _request(bot).state == "succeeded"
    (created,) = page.received("POST", INCIDENTS)
    body = created.json()["incident"]
    assert body["impact_override"] == "critical" and body["status"] == "investigating"
    assert body["components"] == {"cmp-api": "major_outage", "cmp-web": "major_outage"}
    assert "결제 지연이 있습니다" in body["body"]
    assert sorted(r for m in smtp.received for r in m.recipients) == sorted(CONTACTS.split(","))
    mail = smtp.received[0]
    assert mail.subject.startswith("[AILEX] 서비스 장애 안내")
    assert mail.body().index("결제 지연이 있습니다") < mail.body().index("Update:")
    # What was published is exactly what the approver saw.
    assert body["body"] in _request(bot).preview["data"]["page"]["body"]
    final = _message_of(bot, channel, 1)
    assert "`inc1`" in final and "2/2" in final
    assert _kinds(bot).count("customer_notified") == 1

    # A later notice updates the same page incident.
    ack(bot.command("status identified", channel=channel))
    ack(bot.command("notify 원인을 찾았습니다", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    assert "`inc1` 갱신" in _message_of(bot, channel, 2)
    bot.click("ailex.approve", "2", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert len(page.received("POST", INCIDENTS)) == 1
    (patched,) = page.received("PATCH", INCIDENT)
    assert patched.path.endswith("/incidents/inc1")
    assert page.incidents["inc1"]["status"] == "identified"

    seen = _everything_seen(bot, page, smtp, caplog)
    assert page.api_key not in seen.replace(f"OAuth {page.api_key}", "")
    assert smtp.password not in seen


def test_after_resolve_the_notice_resolves_the_page_and_the_report_is_mailed_with_markdown(
    make_bot, page, smtp, caplog
):
    caplog.set_level(logging.DEBUG)
    bot = make_bot(**_page_settings(page), **_mail_settings(smtp))
    channel = declare(bot)
    ack(bot.command("note <@U_ALICE> 내부 메모 https://vercel.com/ailex/internal", channel=channel))
    ack(bot.command("notify", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    ack(bot.command("report send", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    assert any("해결된 뒤" in text for text in _refusals(bot))

    ack(bot.command("resolve 배포 오류 <@U_ALICE> https://internal.ailex.app/x", channel=channel))
    bot.settle(timeout=30)
    resolve_posts = [p for p in bot.slack.posts(channel) if "ailex.remediate" in json.dumps(p)]
    assert any("customer-report" in json.dumps(p) for p in resolve_posts)

    bot.click("ailex.remediate", "customer-notice", user="U_ALICE", channel=channel)
    bot.settle(timeout=30)
    bot.click("ailex.approve", "2", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert page.incidents["inc1"]["status"] == "resolved"
    assert page.incidents["inc1"]["components"][0]["status"] == "operational"

    bot.click("ailex.remediate", "customer-report", user="U_ALICE", channel=channel)
    bot.settle(timeout=30)
    assert "첨부" in _message_of(bot, channel, 3)
    before = len(smtp.received)
    bot.click("ailex.approve", "3", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    reports = smtp.received[before:]
    assert len(reports) == 2 and _request(bot, 3).state == "succeeded"
    (markdown,) = reports[0].attachments().values()
    assert "장애 사후 보고서" in markdown and "Post-incident report" in markdown
    assert "배포 오류" in markdown and "타임라인 해시" in markdown
    # The head as the report was drafted is an event of the chain: `ailex verify --head` says so.
    head = re.search(r"`([0-9a-f]{64})`", markdown).group(1)
    from bot.evidence.chain import verify_incident

    with bot.store.read() as session:
        verdict = verify_incident(session, incident_id=1, expected_head=head)
    assert verdict.ok, verdict
    for internal in ("U_ALICE", "U_BOB", "내부 메모", "https://", "vercel.com"):
        assert internal not in markdown, internal

    # The team's report records when and to how many, and shows the notices in 조치 내용.
    ack(bot.command("report", channel=channel))
    bot.settle(timeout=30)
    internal = flat(bot.slack.posts(channel)[-1].get("blocks") or [])
    assert "고객 보고서 발송:" in internal and "2명" in internal
    assert "고객 공지 #2" in internal
    seen = _everything_seen(bot, page, smtp, caplog)
    assert smtp.password not in seen


def test_refused_key_and_refused_recipient_are_recorded_and_never_retried(make_bot, page, tmp_path):
    with FakeSmtp(tmp_path, reject=("it@customer-b.kr",)) as smtp:
        settings = {**_page_settings(page), **_mail_settings(smtp)}
        settings["STATUSPAGE_API_KEY"] = "wrong-key-000"
        bot = make_bot(**settings)
        channel = declare(bot)
        ack(bot.command("notify", channel=channel, user="U_ALICE"))
        bot.settle(timeout=30)
        bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
        bot.settle(timeout=30)
        request = _request(bot)
        assert request.state == "failed"
        assert request.outcome["data"]["page"]["error"] == "http 401"
        deliveries = {d["recipient"]: d for d in request.outcome["data"]["deliveries"]}
        assert deliveries["ops@customer-a.kr"]["sent"] is True
        assert "550" in deliveries["it@customer-b.kr"]["error"]
        final = _message_of(bot, channel, 1)
        assert "http 401" in final and "it@customer-b.kr" in final
        assert "wrong-key-000" not in final
        # Pressing approve again does not publish again.
        bot.click("ailex.approve", "1", user="U_CAROL", channel=channel)
        bot.settle(timeout=30)
        assert len(page.requests) == 1 and len(smtp.received) == 1


def test_with_only_email_the_preview_names_the_missing_page_settings(make_bot, smtp):
    bot = make_bot(**_mail_settings(smtp))
    channel = declare(bot)
    ack(bot.command("notify 점검 중", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    preview = _message_of(bot, channel, 1)
    assert "STATUSPAGE_API_KEY" in preview and "수신자 2명" in preview


def test_with_no_channel_the_command_names_the_settings(make_bot):
    bot = make_bot()
    channel = declare(bot)
    answer = bot.command("notify", channel=channel, user="U_ALICE").json()
    text = json.dumps(answer, ensure_ascii=False)
    assert "STATUSPAGE_API_KEY" in text and "AILEX_SMTP_URL" in text
    assert approvals.for_incident is not None and _request(bot) is None


def test_two_instances_and_many_approvers_publish_once(store_url, page, smtp):
    settings = {**_page_settings(page), **_mail_settings(smtp)}
    first = BotHarness(store_url=store_url, **settings)
    second = BotHarness(store_url=store_url, slack=first.slack, **settings)
    try:
        channel = declare(first)
        ack(first.command("notify 결제 지연", channel=channel, user="U_ALICE"))
        first.settle(timeout=30)
        barrier = threading.Barrier(6)

        def click(replica: BotHarness, n: int) -> None:
            barrier.wait()
            replica.click("ailex.approve", "1", user=f"U_APPROVER{n}", channel=channel)

        threads = [
            threading.Thread(target=click, args=(replica, n))
            for n, replica in enumerate([first, second] * 3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first.settle(timeout=30)
        second.settle(timeout=30)
        assert len(page.received("POST", INCIDENTS)) == 1
        assert len(smtp.received) == 2
        assert _kinds(first).count("customer_notified") == 1
    finally:
        second.close()
        first.close()


@pytest.mark.parametrize("fault", ["503", "timeout"])
def test_a_page_outage_is_recorded_the_mail_still_goes_and_nothing_is_retried(
    make_bot, page, smtp, fault
):
    from tests.fakes.base import Response

    settings = {**_page_settings(page), **_mail_settings(smtp)}
    if fault == "timeout":
        settings["AILEX_PROBE_TIMEOUT"] = "0.5"
        page.fail("POST", INCIDENTS, Response(status=201, body={"id": "late"}, delay=12.0))
    else:
        page.fail("POST", INCIDENTS, 503)
    bot = make_bot(**settings)
    channel = declare(bot)
    ack(bot.command("notify", channel=channel, user="U_ALICE"))
    bot.settle(timeout=30)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=40)
    request = _request(bot)
    assert request.state == "failed"
    expected = "http 503" if fault == "503" else "timeout"
    assert request.outcome["data"]["page"]["error"] == expected
    assert expected in _message_of(bot, channel, 1)
    assert len(smtp.received) == 2
    assert len(page.received("POST", INCIDENTS)) == 1
    assert "remediation_failed" in _kinds(bot)


def test_a_drill_offers_no_customer_buttons_and_refuses_a_notice(make_bot):
    bot = make_bot(AILEX_DRILL="true")
    channel = declare(bot)
    answer = ack(bot.command("notify 훈련입니다", channel=channel))
    assert "훈련" in answer
    ack(bot.command("resolve 훈련 종료", channel=channel))
    bot.settle(timeout=30)
    posts = json.dumps(bot.slack.posts(channel), ensure_ascii=False)
    assert "장애 보고서" in posts
    assert "customer-notice" not in posts and "customer-report" not in posts
