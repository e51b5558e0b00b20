"""Email over SMTP (stdlib ``smtplib``): STARTTLS and login when the integration gives a username."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from conveyor.notify.base import DeliveryError, Message, Notifier, Target

TIMEOUT = 10.0


def _server(smtp: str) -> tuple[str, int]:
    host, _, port = (smtp or "localhost:25").rpartition(":")
    if not host:
        return port, 25
    try:
        return host, int(port)
    except ValueError:
        raise DeliveryError(f"smtp {smtp!r} is not HOST:PORT") from None


class EmailNotifier:
    def send(self, message: Message, target: Target) -> None:
        if not target.to:
            raise DeliveryError("the email notifier has no recipients ('to')")
        mail = EmailMessage()
        mail["Subject"] = f"[conveyor] {message.title}"
        mail["From"] = target.sender or f"conveyor@{socket.gethostname()}"
        mail["To"] = ", ".join(target.to)
        mail.set_content(f"{message.text}\n\nrun {message.run_id}: {message.status}\n")
        host, port = _server(target.smtp)
        try:
            with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
                if target.username:
                    smtp.ehlo()
                    if smtp.has_extn("starttls"):
                        smtp.starttls()
                        smtp.ehlo()
                    smtp.login(target.username, target.password)
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP delivery to {host}:{port} failed: {exc}") from None


NOTIFIERS: dict[str, Notifier] = {"email": EmailNotifier()}
