"""Browser tests: Debian's Chromium driven by Playwright against the real Airflow API server, which
serves the sopflow pages at /sop through the plugin, while `airflow dags test` runs the SOP.

`make test` installs the chromium package when it is missing (scripts/system-deps.sh); no browser
is downloaded. Screenshots of the main pages go to test-artifacts/browser/.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from harness import BIN, REPO, airflow_env  # noqa: E402

ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LINK = re.compile(r"(https?://\S+/sop/(?:t|masuk)/[A-Za-z0-9_.\-]+)")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `make test` installs it (scripts/system-deps.sh)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Stack:
    """A running API server with the sopflow pages, its environment and its mail sink."""

    env: dict
    base_url: str
    mail_dir: Path
    files: Path

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)]

    def wait_for_mail(self, to: str, subject_has: str, seen: set, timeout: float = 120) -> email.message.EmailMessage:
        """The first message to `to` whose subject contains the text and that was not taken before."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                key = message["Message-ID"]
                if key not in seen and message["To"] == to and subject_has in message["Subject"]:
                    seen.add(key)
                    return message
            time.sleep(0.5)
        subjects = [(m["To"], m["Subject"]) for m in self.messages()]
        raise AssertionError(f"no mail to {to} about {subject_has!r} within {timeout}s; got {subjects}")

    @staticmethod
    def link_in(message: email.message.EmailMessage) -> str:
        return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from sopflow.mailsink import MailSink
    from sopflow.store import db

    root = tmp_path_factory.mktemp("browser")
    home, mail_dir, files = root / "home", root / "mail", root / "files"
    for d in (home, mail_dir, files):
        d.mkdir()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sink = MailSink("127.0.0.1", 0, mail_dir)
    sink.start()
    port = _free_port()
    env = airflow_env(home, sink.port)
    env.update(SOPFLOW_BASE_URL=f"http://127.0.0.1:{port}/sop", SOPFLOW_SECRET_KEY="browser-test-" + "k" * 40,
               AIRFLOW__API__PORT=str(port), AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{port}")
    migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True,
                             timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    log = open(root / "api-server.log", "w")
    server = subprocess.Popen([str(BIN / "airflow"), "api-server", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/sop"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(base + "/masuk", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            sink.stop()
            pytest.fail("the API server did not serve /sop/masuk: " + (root / "api-server.log").read_text()[-3000:])
        time.sleep(1)
    # The test process itself seeds and checks the same domain database as the server.
    saved = {k: os.environ.get(k) for k in ("SOPFLOW_HOME", "SOPFLOW_DATABASE_URL", "SOPFLOW_SECRET_KEY",
                                             "SOPFLOW_BASE_URL", "SOPFLOW_SMTP_PORT", "SOPFLOW_SMTP_HOST")}
    for k in saved:
        os.environ[k] = env[k]
    db.dispose_all()
    try:
        yield Stack(env=env, base_url=base, mail_dir=mail_dir, files=files)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        sink.stop()
        log.close()
        db.dispose_all()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
