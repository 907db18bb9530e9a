"""csops notify: reports pushed to DingTalk, WeCom, Feishu, a webhook and e-mail — checked by real
servers on 127.0.0.1 that verify each platform's signature and payload as the platforms document
them, answer errors, 500-then-200 and rate limits; and an SMTP server (aiosmtpd) that requires
STARTTLS and a login. No test reaches the network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.test_audit import edit, hand_commit

SECRET = "SEC0123456789abcdef"


class Robot:
    """A chat platform's robot endpoint: records what arrives, answers from a script."""

    def __init__(self):
        self.received, self.answers = [], []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):       # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                robot.received.append((self.path, body))
                status, answer, headers = robot.answers.pop(0) if robot.answers else (200, {"errcode": 0, "errmsg": "ok"}, {})
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def robot():
    made = Robot()
    yield made
    made.close()


TARGETS = """notify:
  targets:
    team: {kind: dingtalk, url_env: DINGTALK_URL, secret_env: DINGTALK_SECRET}
    feishu: {kind: feishu, url_env: FEISHU_URL, secret_env: FEISHU_SECRET}
    wecom: {kind: wecom, url_env: WECOM_URL}
    hook: {kind: webhook, url_env: HOOK_URL}
    mail: {kind: email, to: [zhaozg@example.com]}
"""


@pytest.fixture
def desk(repo, robot, monkeypatch):
    policy = repo.records / "policy.yaml"
    edit(policy, "notify:\n", "notify_old:\n")
    policy.write_text(policy.read_text().replace("notify_old:\n", "").replace("  targets: {}\n", "") + TARGETS)
    hand_commit(repo, "zhaozg", "policy: notify targets")
    monkeypatch.setenv("DINGTALK_URL", robot.url + "/robot/send?access_token=abc")
    monkeypatch.setenv("DINGTALK_SECRET", SECRET)
    monkeypatch.setenv("FEISHU_URL", robot.url + "/open-apis/bot/v2/hook/xyz")
    monkeypatch.setenv("FEISHU_SECRET", SECRET)
    monkeypatch.setenv("WECOM_URL", robot.url + "/cgi-bin/webhook/send?key=k")
    monkeypatch.setenv("HOOK_URL", robot.url + "/hook")
    repo.ticket("complaint", summary="破损", contact="13812345678", route_to="仓库", now="2026-11-23T10:00")
    return repo


NOW = "2026-12-08T09:00"      # after the policy naming the targets (committed today) is in force


def test_dingtalk_signed_markdown_naming_who_owes_what(desk, robot):
    out = desk.run("notify", "overdue", "--to", "team", now=NOW).output
    assert "sent to team (1 message(s))" in out
    ((path, body),) = robot.received
    query = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"][0] == expected and query["access_token"] == ["abc"]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"].startswith("Overdue as of")
    text = body["markdown"]["text"]
    assert "resolve: lisi" in text and "h late" in text and "13812345678" not in text


def test_feishu_wecom_and_a_webhook_as_each_documents_itself(desk, robot):
    desk.run("notify", "overdue", "--to", "feishu", now=NOW)
    desk.run("notify", "overdue", "--to", "wecom", now=NOW)
    desk.run("notify", "overdue", "--to", "hook", now=NOW)
    (_p1, feishu), (_p2, wecom), (_p3, hook) = robot.received
    expected = base64.b64encode(hmac.new(f"{feishu['timestamp']}\n{SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert feishu["sign"] == expected and feishu["msg_type"] == "post"
    assert feishu["content"]["post"]["zh_cn"]["title"].startswith("Overdue")
    assert wecom["msgtype"] == "markdown" and "resolve: lisi" in wecom["markdown"]["content"]
    assert hook["title"].startswith("Overdue") and "resolve: lisi" in hook["text"]


def test_a_refusal_names_the_platforms_message_and_keeps_the_text(desk, robot):
    robot.answers = [(200, {"errcode": 310000, "errmsg": "sign not match"}, {})]
    result = desk.run("notify", "overdue", "--to", "team", now=NOW, code=2)
    assert "dingtalk: 310000 sign not match" in result.stderr
    assert "resolve: lisi" in result.stderr                     # the message, to paste by hand
    robot.answers = [(403, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, {})]
    assert "feishu: 19021 sign match fail" in desk.run("notify", "overdue", "--to", "feishu", now=NOW, code=2).stderr


def test_a_500_is_tried_again_and_a_rate_limit_waits_as_asked(desk, robot):
    robot.answers = [(500, {"errmsg": "busy"}, {}), (200, {"errcode": 0, "errmsg": "ok"}, {})]
    desk.run("notify", "overdue", "--to", "team", now=NOW)
    assert len(robot.received) == 2
    robot.answers = [(429, {"errmsg": "too many"}, {"Retry-After": "1"}), (200, {"errcode": 0}, {})]
    desk.run("notify", "overdue", "--to", "wecom", now=NOW)
    assert len(robot.received) == 4
    robot.answers = [(200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {})] * 3
    out = desk.run("notify", "overdue", "--to", "wecom", now=NOW, code=2).stderr
    assert "wecom: 45009 api freq out of limit (after 3 tries)" in out


def test_dry_run_empty_days_off_the_daily_report_and_approvals(desk, robot):
    out = desk.run("notify", "overdue", "--to", "team", "--dry-run", now=NOW).output
    assert "**Overdue as of" in out and robot.received == []
    assert "nothing to report" in desk.run("notify", "approvals", "--to", "team", "--fail-if-empty", now=NOW,
                                           code=1).stderr
    assert robot.received == []
    desk.run("notify", "daily", "--to", "team", "--working-days-only", now="2026-11-29T18:10")    # a Sunday
    assert robot.received == []
    daily = desk.run("notify", "daily", "--to", "team", "--date", "2026-11-23", "--dry-run", now=NOW).output
    assert "Daily report 2026-11-23" in daily and "registered 1" in daily and "by channel: phone 1" in daily
    leave = desk.out("leave", "new", "--person", "lisi", "--kind", "personal", "--start", "2026-12-10T09:00", "--end",
                     "2026-12-10T18:00", as_="lisi", now=NOW)
    approvals = desk.run("notify", "approvals", "--to", "team", "--dry-run", now=NOW).output
    assert f"- liubz: leave {leave} (approve)" in approvals
    assert "--to nowhere: no such target in the policy's notify.targets" in desk.run(
        "notify", "overdue", "--to", "nowhere", now=NOW, code=2).output


def test_a_long_report_is_split_where_the_platform_requires(desk, robot, tmp_path):
    rows = ["编号,种类,渠道,客户,摘要,登记时间,登记人"] + [
        f"P{n},咨询,电话,客户{n},问题{n},2026-11-23 09:{n % 60:02d},lisi" for n in range(150)]
    sheet = tmp_path / "many.csv"
    sheet.write_text("\n".join(rows), encoding="utf-8")
    desk.run("import", "tickets", sheet, as_="zhaozg", now="2026-11-30T10:00")
    desk.run("notify", "overdue", "--to", "wecom", now=NOW)
    assert len(robot.received) >= 2
    assert all(len(body["markdown"]["content"].encode()) <= 4096 for _p, body in robot.received)
    assert sum(body["markdown"]["content"].count("\n- ") for _p, body in robot.received) >= 150


def test_the_policy_never_holds_a_robot_url_or_token(repo):
    policy = repo.records / "policy.yaml"
    edit(policy, "  targets: {}\n", "  targets:\n    team: {kind: dingtalk, url_env: "
                                    "'https://oapi.dingtalk.com/robot/send?access_token=abc'}\n")
    out = repo.run("validate", code=1).stdout
    assert "SECRET_IN_POLICY notify.targets.team.url_env: a webhook URL or token is written in the policy" in out


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test server's certificate")
def test_email_over_starttls_with_a_login_as_text_and_html(desk, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    import ssl

    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    got = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):     # noqa: N802 - aiosmtpd's name
            got.append(envelope)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"kefu" and auth_data.password == b"pw"
        return AuthResult(success=ok)

    import socket

    with socket.socket() as probe:                      # a free port (aiosmtpd's trigger needs a real one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        monkeypatch.setenv("CSOPS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CSOPS_SMTP_PORT", str(port))
        monkeypatch.setenv("CSOPS_SMTP_USER", "kefu")
        monkeypatch.setenv("CSOPS_SMTP_PASSWORD", "pw")
        monkeypatch.setenv("CSOPS_SMTP_CAFILE", str(tmp_path / "cert.pem"))
        desk.run("notify", "overdue", "--to", "mail", now=NOW)
        (envelope,) = got
        text = envelope.content.decode("utf-8", "replace")
        assert envelope.rcpt_tos == ["zhaozg@example.com"] and "text/plain" in text and "text/html" in text
        monkeypatch.setenv("CSOPS_SMTP_PASSWORD", "wrong")
        assert "email:" in desk.run("notify", "overdue", "--to", "mail", now=NOW, code=2).stderr
    finally:
        controller.stop()


def test_revisits_due_go_to_each_owner(desk, robot):
    card = desk.out("customer", "set", "13812345678", "--tier", "A", "--owner", "zhangsan", "--reason", "大客户",
                    as_="liubz", now="2026-11-02T10:00")
    out = desk.run("notify", "revisits", "--to", "team", "--dry-run", now=NOW).output
    assert "**Revisits due**" in out and f"- zhangsan: {card}" in out
    assert robot.received == []
