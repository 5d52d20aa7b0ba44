"""Customer e-mail against a real SMTP server on 127.0.0.1 (tests/fakes/smtp.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from remediations.email import Attachment, Delivery, Mail, send
from tests.fakes.smtp import FakeSmtp

MAIL = Mail(
    subject="[AILEX] 결제 지연 안내",
    body="결제가 지연되고 있습니다.\n\nPayments are delayed.",
    attachments=[Attachment(filename="report-1.md", content="# 장애 보고서\n\n원인: 배포")],
)


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_each_recipient_gets_one_utf8_message_over_verified_tls(tmp_path: Path, mode: str) -> None:
    with FakeSmtp(tmp_path, mode=mode) as smtp:  # type: ignore[arg-type]
        results = send(
            MAIL,
            url=smtp.url,
            sender="status@ailex.app",
            recipients=["a@customer.kr", "b@customer.kr"],
            ca_file=smtp.ca_file,
        )
        received = smtp.received
    assert results == [
        Delivery(recipient="a@customer.kr", sent=True),
        Delivery(recipient="b@customer.kr", sent=True),
    ]
    assert [r.recipients for r in received] == [["a@customer.kr"], ["b@customer.kr"]]
    for message in received:
        assert message.subject == "[AILEX] 결제 지연 안내"
        assert "결제가 지연되고 있습니다." in message.body()
        assert message.body().index("결제") < message.body().index("Payments")
        assert message.attachments() == {"report-1.md": "# 장애 보고서\n\n원인: 배포"}
        assert smtp.password.encode() not in message.raw


def test_a_refused_recipient_is_failed_with_the_reason_and_the_others_are_sent(
    tmp_path: Path,
) -> None:
    heard: list[Delivery] = []
    with FakeSmtp(tmp_path, reject=("gone@customer.kr",)) as smtp:
        results = send(
            MAIL,
            url=smtp.url,
            sender="status@ailex.app",
            recipients=["a@customer.kr", "gone@customer.kr", "c@customer.kr"],
            ca_file=smtp.ca_file,
            on_delivery=heard.append,
        )
        received = smtp.received
    assert [(r.recipient, r.sent) for r in results] == [
        ("a@customer.kr", True),
        ("gone@customer.kr", False),
        ("c@customer.kr", True),
    ]
    assert results[1].error is not None and "550" in results[1].error
    assert heard == results
    assert [r.recipients for r in received] == [["a@customer.kr"], ["c@customer.kr"]]


def test_a_server_without_starttls_is_an_error_and_nothing_is_sent(tmp_path: Path) -> None:
    with FakeSmtp(tmp_path, mode="plain") as smtp:
        results = send(
            MAIL,
            url=smtp.url,
            sender="status@ailex.app",
            recipients=["a@customer.kr"],
            ca_file=smtp.ca_file,
        )
        received = smtp.received
    assert not results[0].sent
    assert "STARTTLS" in (results[0].error or "")
    assert smtp.password not in (results[0].error or "")
    assert received == []


def test_a_certificate_from_an_untrusted_ca_is_refused(tmp_path: Path) -> None:
    with FakeSmtp(tmp_path, mode="implicit") as smtp:
        results = send(MAIL, url=smtp.url, sender="status@ailex.app", recipients=["a@c.kr"])
        received = smtp.received
    assert not results[0].sent and "certificate" in (results[0].error or "")
    assert received == []


def test_a_wrong_password_fails_every_recipient_without_showing_it(tmp_path: Path) -> None:
    with FakeSmtp(tmp_path) as smtp:
        url = smtp.url.replace(smtp.password, "wrong-pw-123")
        results = send(
            MAIL,
            url=url,
            sender="s@ailex.app",
            recipients=["a@c.kr", "b@c.kr"],
            ca_file=smtp.ca_file,
        )
    assert [r.sent for r in results] == [False, False]
    assert all("wrong-pw-123" not in (r.error or "") for r in results)


def test_recipients_already_sent_are_skipped(tmp_path: Path) -> None:
    with FakeSmtp(tmp_path) as smtp:
        results = send(
            MAIL,
            url=smtp.url,
            sender="s@ailex.app",
            recipients=["a@c.kr", "b@c.kr"],
            ca_file=smtp.ca_file,
            skip=["a@c.kr"],
        )
        received = smtp.received
    assert [r.recipient for r in results] == ["b@c.kr"]
    assert [r.recipients for r in received] == [["b@c.kr"]]
