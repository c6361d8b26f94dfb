from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from portal_runtime.config import load_settings
from services.notifications.domain.messages import Content, Message
from services.notifications.mailers import (
    MailboxMailer,
    PermanentDeliveryError,
    SmtpMailer,
    build_email,
    mailer_from_settings,
)


def _message() -> Message:
    return Message.new(
        event_id="evt-42",
        recipient="Helene.Roux@Example.fr",
        recipient_name="Hélène Roux",
        template="password_reset",
        language="fr",
        content=Content(
            "Réinitialisation de votre mot de passe Portail",
            "Bonjour Hélène,\nhttps://p/reset-password?token=abc\n",
            "<p>Bonjour Hélène, <a href='https://p/reset-password?token=abc'>lien</a></p>\n",
        ),
        links=["https://p/reset-password?token=abc"],
        now=datetime.now(UTC),
    )


def test_build_email_headers_and_parts() -> None:
    message = _message()
    email = build_email(message, "Équipe Portail <no-reply@portail.example>")
    raw = email.as_bytes()
    assert "Réinitialisation".encode() not in raw.split(b"\n\n", 1)[0]  # headers encoded
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == "Réinitialisation de votre mot de passe Portail"
    assert parsed["From"].addresses[0].display_name == "Équipe Portail"
    assert parsed["To"].addresses[0].addr_spec == "helene.roux@example.fr"
    assert parsed["Message-ID"] == f"<{message.id}@portail.example>"
    assert parsed["Date"]
    assert parsed["To"].addresses[0].display_name == "Hélène Roux"
    assert parsed.get_content_type() == "multipart/alternative"
    assert "token=abc" in parsed.get_body(("plain",)).get_content()
    assert "Bonjour Hélène" in parsed.get_body(("html",)).get_content()


async def test_mailbox_writes_one_parseable_eml_even_when_sent_again(tmp_path: Path) -> None:
    folder = tmp_path / "mailbox"
    mailer = MailboxMailer(folder)
    message = _message()
    await mailer.send(build_email(message))
    first = build_email(message)
    await mailer.send(build_email(message))  # a retry after a crash: the same e-mail
    files = sorted(folder.iterdir())
    assert len(files) == 1
    assert build_email(message)["Date"] == first["Date"]
    assert all(f.suffix == ".eml" and message.id in f.name for f in files)
    assert not [f for f in files if f.name.startswith(".tmp")]
    parsed = BytesParser(policy=policy.default).parsebytes(files[0].read_bytes())
    assert parsed["Subject"] == "Réinitialisation de votre mot de passe Portail"
    assert parsed["X-Portail-Template"] == "password_reset"
    assert "token=abc" in parsed.get_body(("plain",)).get_content()


def test_non_ascii_local_part_is_a_permanent_failure() -> None:
    message = _message()
    odd = Message(**{**message.__dict__, "recipient": "hélène@example.fr"})
    with pytest.raises(PermanentDeliveryError):
        build_email(odd)


def test_mailer_from_settings(tmp_path: Path) -> None:
    default = mailer_from_settings(
        load_settings("notifications", {"PORTAL_VAR_DIR": str(tmp_path)})
    )
    assert isinstance(default, MailboxMailer)
    assert default.folder == tmp_path / "mailbox"
    chosen = mailer_from_settings(
        load_settings("notifications", {"PORTAL_MAILBOX_DIR": str(tmp_path / "box")})
    )
    assert isinstance(chosen, MailboxMailer) and chosen.folder == tmp_path / "box"
    smtp = mailer_from_settings(
        load_settings(
            "notifications",
            {
                "PORTAL_SMTP_HOST": "smtp.example",
                "PORTAL_SMTP_PORT": "2525",
                "PORTAL_SMTP_STARTTLS": "0",
            },
        )
    )
    assert smtp == SmtpMailer(host="smtp.example", port=2525, starttls=False)


class FakeSMTP:
    instances: list[FakeSMTP] = []
    refuse: dict | None = None

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls: list[str] = []
        FakeSMTP.instances.append(self)

    def ehlo(self) -> None:
        self.calls.append("ehlo")

    def starttls(self, context: object) -> None:
        self.calls.append("starttls")

    def login(self, user: str, password: str) -> None:
        self.calls.append(f"login {user}")

    def send_message(self, message: object) -> None:
        if FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused(FakeSMTP.refuse)
        self.calls.append("send")

    def quit(self) -> None:
        self.calls.append("quit")


async def test_smtp_mailer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.instances.clear()
    mailer = SmtpMailer(host="smtp.example", username="u", password="p")
    FakeSMTP.refuse = None
    await mailer.send(build_email(_message()))
    assert FakeSMTP.instances[-1].calls == ["ehlo", "starttls", "ehlo", "login u", "send", "quit"]
    FakeSMTP.refuse = {"x@example.fr": (550, b"no such user")}
    with pytest.raises(PermanentDeliveryError):
        await mailer.send(build_email(_message()))
    FakeSMTP.refuse = {"x@example.fr": (451, b"try later")}
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await mailer.send(build_email(_message()))
    assert FakeSMTP.instances[-1].calls[-1] == "quit"
