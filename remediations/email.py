"""Customer e-mail over SMTP (SPEC 8): one message per recipient, each recorded sent or failed.

`smtp://` submits with STARTTLS, and a server that does not offer it is an error (nothing is
sent in the clear); `smtps://` uses implicit TLS. The server's certificate is always verified,
against `ca_file` when given (a private CA), else the system's trust store. `send` never raises:
every recipient ends with a `Delivery` saying sent or why not, and `on_delivery` hears each one
as it happens so that a caller can record it before the next is tried. The URL's password is
used to log in and never appears in a reason.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel


class Attachment(BaseModel):
    filename: str
    content: str
    subtype: str = "markdown"


class Mail(BaseModel):
    """One message, the same for every recipient (stored in the approved preview)."""

    subject: str
    body: str
    attachments: list[Attachment] = []


class Delivery(BaseModel):
    recipient: str
    sent: bool
    error: str | None = None


class SmtpTarget(BaseModel):
    """The parts of AILEX_SMTP_URL; `password` is a secret and goes nowhere but to login."""

    implicit_tls: bool
    host: str
    port: int
    username: str | None = None
    password: str | None = None


def target_of(url: str) -> SmtpTarget:
    """Parse `smtp://user:password@host:587` or `smtps://user:password@host:465`."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("an smtp:// or smtps:// URL with a host")
    implicit = parts.scheme == "smtps"
    return SmtpTarget(
        implicit_tls=implicit,
        host=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(mail: Mail, *, sender: str, recipient: str) -> EmailMessage:
    """The message one recipient gets: UTF-8 subject and body, the attachments as files."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.body, charset="utf-8")
    for attachment in mail.attachments:
        message.add_attachment(
            attachment.content,
            subtype=attachment.subtype,
            filename=attachment.filename,
            charset="utf-8",
        )
    return message


def _context(ca_file: str | None) -> ssl.SSLContext:
    context = (
        ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    )
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reason(error: BaseException, password: str | None) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_text(text)}" for code, text in error.recipients.values()]
        text = "refused: " + "; ".join(codes)
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    elif isinstance(error, ssl.SSLCertVerificationError):
        text = f"certificate not trusted: {error.verify_message}"
    elif isinstance(error, (socket.timeout, TimeoutError)):
        text = "timeout"
    else:
        text = f"{type(error).__name__}: {error}"
    if password:
        text = text.replace(password, "***")
    return " ".join(text.split())[:200]


def _connect(target: SmtpTarget, *, ca_file: str | None, timeout: float) -> smtplib.SMTP:
    context = _context(ca_file)
    client: smtplib.SMTP
    if target.implicit_tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        client.ehlo()
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        try:
            client.ehlo()
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("the server does not offer STARTTLS")
            client.starttls(context=context)
            client.ehlo()
        except BaseException:
            client.close()
            raise
    if target.username:
        try:
            client.login(target.username, target.password or "")
        except BaseException:
            client.close()
            raise
    return client


def send(
    mail: Mail,
    *,
    url: str,
    sender: str,
    recipients: Sequence[str],
    ca_file: str | None = None,
    timeout: float = 15.0,
    skip: Sequence[str] = (),
    on_delivery: Callable[[Delivery], None] | None = None,
) -> list[Delivery]:
    """Send `mail` to each recipient on its own (none sees another's address), except those in
    `skip` (already sent); never raises. When the server cannot be reached, refuses TLS or the
    login, every remaining recipient is failed with that reason."""
    target = target_of(url)
    results: list[Delivery] = []

    def done(delivery: Delivery) -> None:
        results.append(delivery)
        if on_delivery is not None:
            on_delivery(delivery)

    pending = [r for r in dict.fromkeys(recipients) if r not in set(skip)]
    if not pending:
        return results
    try:
        client = _connect(target, ca_file=ca_file, timeout=timeout)
    except Exception as error:
        reason = _reason(error, target.password)
        for recipient in pending:
            done(Delivery(recipient=recipient, sent=False, error=reason))
        return results
    try:
        for index, recipient in enumerate(pending):
            message = build_message(mail, sender=sender, recipient=recipient)
            try:
                client.send_message(message, from_addr=sender, to_addrs=[recipient])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as error:
                done(
                    Delivery(recipient=recipient, sent=False, error=_reason(error, target.password))
                )
                with contextlib.suppress(Exception):
                    client.rset()
            except Exception as error:
                # The connection is gone: this and every later recipient fail with its reason.
                reason = _reason(error, target.password)
                for rest in pending[index:]:
                    done(Delivery(recipient=rest, sent=False, error=reason))
                break
            else:
                done(Delivery(recipient=recipient, sent=True))
    finally:
        try:
            client.quit()
        except Exception:
            client.close()
    return results
