"""Sending a message to a team's chat or mailbox, as each platform documents it.

HTTP goes through the standard library (`urllib.request`): four POSTs of a small JSON body need no
client library, and csops installs nothing that a CI runner must fetch for it.

- DingTalk custom robot 钉钉群机器人: `{"msgtype": "markdown", "markdown": {title, text}}`; with a
  secret, `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "<ms>\\n<secret>")>`; an
  answer with `errcode` ≠ 0 is a failure.
- Feishu custom bot 飞书: `{"timestamp", "sign", "msg_type": "post", "content": {"post": …}}`, signed
  with base64 HMAC-SHA256 keyed by "<s>\\n<secret>" over nothing; `code` ≠ 0 is a failure.
- WeCom group robot 企业微信: `{"msgtype": "markdown", "markdown": {content}}` (the key is in its URL).
- webhook: `{"title", "text"}`, any 2xx is success.

Timeouts and 5xx answers are tried again (3 tries, 1 s then 2 s apart); a rate-limit answer (HTTP
429, or the platform's own code) waits as the platform asks (Retry-After, at most 60 s); the whole
send is bounded by `deadline` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from csops.errors import CsopsError, ExitStatus
from csops.i18n import _

# the most a platform takes in one message (bytes of its text), with room for the rest of the payload
LIMITS = {"dingtalk": 18000, "wecom": 4000, "feishu": 28000, "webhook": 60000, "email": 10 ** 7}
RATE_LIMITED = {"dingtalk": (130101,), "wecom": (45009,), "feishu": (11232, 9499)}
TRIES = 3


class SendFailed(CsopsError):
    """The platform refused the message, or could not be reached (exit 2)."""
    exit_status = ExitStatus.BAD_INPUT


def sign_dingtalk(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def sign_feishu(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payload(kind: str, title: str, text: str, secret: str | None, now: float) -> tuple[dict, str]:
    """(the JSON body, what to add to the URL) of one message."""
    if kind == "dingtalk":
        extra = ""
        if secret:
            ms = int(now * 1000)
            extra = f"timestamp={ms}&sign={sign_dingtalk(secret, ms)}"
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}, extra
    if kind == "feishu":
        body = {"msg_type": "post", "content": {"post": {"zh_cn": {
            "title": title, "content": [[{"tag": "text", "text": line}] for line in text.splitlines()]}}}}
        if secret:
            seconds = int(now)
            body = {"timestamp": str(seconds), "sign": sign_feishu(secret, seconds), **body}
        return body, ""
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}, ""
    return {"title": title, "text": text}, ""


def post(kind: str, url: str, title: str, text: str, secret: str | None, *, timeout: float = 10,
         deadline: float = 120, sleep=time.sleep, clock=time.time) -> None:
    """Send one message; SendFailed naming the platform's own message when it does not land."""
    started, last = clock(), None
    for attempt in range(1, TRIES + 1):
        body, extra = payload(kind, title, text, secret, clock())
        target = url + (("&" if "?" in url else "?") + extra if extra else "")
        request = urllib.request.Request(target, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        wait = None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, raw, retry_after = answer.status, answer.read(), answer.headers.get("Retry-After")
        except urllib.error.HTTPError as exc:
            status, raw, retry_after = exc.code, exc.read(), exc.headers.get("Retry-After") if exc.headers else None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            status, raw, retry_after = None, str(getattr(exc, "reason", exc)).encode(), None
        said = _answer(raw)
        code = _code(kind, said)
        if status is not None and status < 400 and code in (None, 0):
            return
        last = _said(kind, status, said, raw)
        if status == 429 or code in RATE_LIMITED.get(kind, ()):
            wait = min(float(retry_after) if (retry_after or "").strip().replace(".", "", 1).isdigit() else 2.0, 60)
        elif status is None or status >= 500:
            wait = float(2 ** (attempt - 1))
        else:
            raise SendFailed(_("{kind}: {message}", kind=kind, message=last))          # refused: no retry
        if attempt == TRIES or clock() - started + wait > deadline:
            break
        sleep(wait)
    raise SendFailed(_("{kind}: {message} (after {tries} tries)", kind=kind, message=last, tries=TRIES))


def _answer(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _code(kind: str, said) -> int | None:
    if not isinstance(said, dict):
        return None
    value = said.get("code" if kind == "feishu" else "errcode", said.get("StatusCode"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _said(kind: str, status, said, raw: bytes) -> str:
    """The platform's own words: its errmsg/msg, else the HTTP status and body."""
    if isinstance(said, dict):
        message = said.get("msg" if kind == "feishu" else "errmsg") or said.get("StatusMessage")
        code = _code(kind, said)
        if message or code:
            return f"{code} {message}" if code is not None else str(message)
    text = raw.decode("utf-8", "replace").strip()[:200]
    return f"HTTP {status}: {text}" if status else text
