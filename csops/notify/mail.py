"""The report by e-mail: SMTP with STARTTLS and a login, from CSOPS_SMTP_HOST, CSOPS_SMTP_PORT
(587), CSOPS_SMTP_USER and CSOPS_SMTP_PASSWORD (and CSOPS_SMTP_FROM, else the user); the message
as text and as HTML. CSOPS_SMTP_CAFILE names a CA bundle to trust besides the system's (a
company's own mail server)."""

from __future__ import annotations

import html
import os
import smtplib
import ssl
from email.message import EmailMessage

from csops.i18n import _
from csops.notify.platforms import SendFailed


def send_mail(spec: dict, title: str, texts: list[str]) -> None:
    host = os.environ.get("CSOPS_SMTP_HOST")
    user, password = os.environ.get("CSOPS_SMTP_USER"), os.environ.get("CSOPS_SMTP_PASSWORD")
    to = [str(a) for a in spec.get("to") or []]
    if not host or not user or not password:
        raise SendFailed(_("email: set CSOPS_SMTP_HOST, CSOPS_SMTP_USER and CSOPS_SMTP_PASSWORD"))
    if not to:
        raise SendFailed(_("email: the target names no address (notify.targets.NAME.to)"))
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = os.environ.get("CSOPS_SMTP_FROM") or user
    message["To"] = ", ".join(to)
    text = "\n\n".join(texts)
    message.set_content(text)
    body = "".join(f"<p>{html.escape(line)}</p>" if line.strip() else "" for line in text.replace("**", "").splitlines())
    message.add_alternative(f"<!DOCTYPE html><html><body>{body}</body></html>", subtype="html")
    context = ssl.create_default_context(cafile=os.environ.get("CSOPS_SMTP_CAFILE") or None)
    try:
        with smtplib.SMTP(host, int(os.environ.get("CSOPS_SMTP_PORT") or 587), timeout=30) as smtp:
            smtp.starttls(context=context)
            smtp.login(user, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise SendFailed(_("email: {message}", message=str(exc)[:300])) from None
