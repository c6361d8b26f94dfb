"""Where e-mails go: a folder of .eml files (development, tests) or an SMTP
server (production), behind one small protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors as email_errors
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from portal_runtime.clock import aware
from portal_runtime.config import ServiceSettings
from services.notifications.domain.messages import Message

log = logging.getLogger(__name__)

DEFAULT_SENDER = "Portail <no-reply@portail.localhost>"


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class PermanentDeliveryError(Exception):
    """The server refused the message for good (e.g. unknown mailbox): retrying
    will not help."""


def build_email(message: Message, sender: str = DEFAULT_SENDER) -> EmailMessage:
    """A multipart/alternative e-mail (text then HTML). The Message-ID derives
    from the message id and the Date from when it was queued, so a retried send
    is the same e-mail."""
    email = EmailMessage()  # policy.default: RFC 2047/2231 encoding of non-ASCII headers
    sender_name, sender_addr = parseaddr(sender)
    email["From"] = Address(display_name=sender_name, addr_spec=sender_addr or sender)
    try:
        email["To"] = Address(display_name=message.recipient_name, addr_spec=message.recipient)
    except (ValueError, TypeError, email_errors.MessageError) as exc:
        # e.g. a non-ASCII local part: no amount of retrying will send it.
        raise PermanentDeliveryError(f"unsupported address {message.recipient!r}: {exc}") from exc
    email["Subject"] = message.subject
    email["Date"] = format_datetime(aware(message.created_at).astimezone(UTC))
    domain = (sender_addr or "portail.localhost").rpartition("@")[2] or "portail.localhost"
    email["Message-ID"] = f"<{message.id}@{domain}>"
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    email["X-Portail-Template"] = message.template
    email["X-Portail-Event-Id"] = message.event_id
    email.set_content(message.body_text, subtype="plain", charset="utf-8")
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", charset="utf-8")
    return email


class MailboxMailer:
    """One .eml file per message in a folder, written atomically (temp file in
    the same folder, then rename): a reader never sees half a message. The file
    is named from the e-mail's Date and Message-ID, so sending a message again
    rewrites its file instead of adding a second one."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        date = message["Date"]
        written = date.datetime if date is not None else datetime.now(UTC)
        stamp = written.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        ident = re.sub(r"[^A-Za-z0-9._-]+", "_", (message["Message-ID"] or "").strip("<> "))
        final = self.folder / f"{stamp}_{ident or 'message'}.eml"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(message.as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        log.info("mail to %s written to %s", message["To"], final.name)
        return final


@dataclass(frozen=True)
class SmtpMailer:
    """Standard-library SMTP in a worker thread. `starttls` upgrades a plain
    connection (port 587); `implicit_tls` connects with TLS from the start (465)."""

    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    implicit_tls: bool = False
    timeout: float = 30.0

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls and not self.implicit_tls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPDataError as exc:
            # 5xx on the content (too large, rejected): permanent. Sender refusals
            # and authentication errors are configuration problems: retried.
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()


def mailer_from_settings(settings: ServiceSettings) -> Mailer:
    """SMTP when PORTAL_SMTP_HOST is set, else the mailbox folder
    (PORTAL_MAILBOX_DIR, default <var>/mailbox)."""
    host = settings.get("SMTP_HOST", "").strip()
    if host:
        implicit_tls = settings.get_bool("SMTP_IMPLICIT_TLS", False)
        return SmtpMailer(
            host=host,
            port=settings.get_int("SMTP_PORT", 465 if implicit_tls else 587),
            username=settings.get("SMTP_USERNAME", ""),
            password=settings.get("SMTP_PASSWORD", ""),
            starttls=settings.get_bool("SMTP_STARTTLS", True),
            implicit_tls=implicit_tls,
            timeout=settings.get_float("SMTP_TIMEOUT_SECONDS", 30.0),
        )
    folder = settings.get("MAILBOX_DIR", "") or str(settings.var_dir / "mailbox")
    return MailboxMailer(folder)
