"""A real SMTP server on 127.0.0.1 (aiosmtpd) for customer e-mail, read back by the tests.

Modes: `starttls` (submission with STARTTLS required before AUTH and MAIL), `implicit` (TLS
from the first byte, as on 465) and `plain` (no STARTTLS offered: the bot must refuse it). The
certificate comes from a CA the test makes (trustme); `ca_file` is what AILEX_SMTP_CA_FILE
points at. `reject` holds addresses answered `550`. Every accepted message is parsed with
the standard library so tests read decoded subjects, bodies and attachments.
"""

from __future__ import annotations

import email
import email.policy
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

Mode = Literal["starttls", "implicit", "plain"]


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def attachments(self) -> dict[str, str]:
        """Each attached file's name and text (SMTP's CRLF line ends read back as LF)."""
        files = {}
        for part in self.message.iter_attachments():
            content = part.get_content()
            text = content if isinstance(content, str) else content.decode()
            files[str(part.get_filename())] = text.replace("\r\n", "\n").rstrip("\n")
        return files


@dataclass
class _Handler:
    reject: set[str]
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(
                    envelope_from=str(envelope.mail_from),
                    recipients=list(envelope.rcpt_tos),
                    message=parsed,  # type: ignore[arg-type]
                    raw=raw,
                )
            )
        return "250 Message accepted"


class FakeSmtp:
    """Start with `with FakeSmtp(tmp_path, mode=...) as smtp:`; `smtp.url` is AILEX_SMTP_URL."""

    def __init__(
        self,
        directory: Path,
        *,
        mode: Mode = "starttls",
        username: str = "mailer",
        password: str = "s3cret-smtp-pw",
        reject: tuple[str, ...] = (),
    ) -> None:
        self.mode = mode
        self.username = username
        self.password = password
        self._ca = trustme.CA()
        certificate = self._ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = str(directory / "smtp-ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)
        self._server_context = certificate.configure_cert  # applied to a context below
        self._handler = _Handler(reject={r.lower() for r in reject})
        self._controller: Controller | None = None
        self.port = 0

    @property
    def received(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def url(self) -> str:
        scheme = "smtps" if self.mode == "implicit" else "smtp"
        return f"{scheme}://{self.username}:{self.password}@127.0.0.1:{self.port}"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def __enter__(self) -> FakeSmtp:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_context(context)
        handler = self._handler
        authenticator = self._authenticate
        mode = self.mode

        class _Controller(Controller):
            def factory(self) -> SMTP:
                return SMTP(
                    handler,
                    tls_context=context if mode == "starttls" else None,
                    require_starttls=mode == "starttls",
                    authenticator=authenticator,
                    # Implicit TLS is TLS from the start; aiosmtpd only knows of STARTTLS.
                    auth_require_tls=mode == "starttls",
                    hostname="fake-smtp.test",
                )

        self._controller = _Controller(
            handler,
            hostname="127.0.0.1",
            port=0,
            ssl_context=context if mode == "implicit" else None,
        )
        self._start()
        return self

    def _start(self) -> None:
        # aiosmtpd's port=0 start-up check cannot connect to a port it does not know: bind
        # through the server it creates, then read the port it got.
        assert self._controller is not None
        controller = self._controller
        controller.port = _free_port()
        controller.start()
        self.port = controller.port

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
