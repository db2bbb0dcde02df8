"""Shared fixtures: an isolated sopflow home per test, the databases (SQLite and PostgreSQL),
and a real SMTP sink that keeps every message as an .eml file."""

from __future__ import annotations

import email
import email.policy
import os
import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
PG_BASE_URL = os.environ.get("SOPFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sopflow_test")
# Each pytest process gets its own database, so two test runs on one server never reset each other's.
PG_URL = make_url(PG_BASE_URL).set(database=f"{make_url(PG_BASE_URL).database}_{os.getpid()}") \
    .render_as_string(hide_password=False)
ON_CI = os.environ.get("CI") == "true"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _maintenance_engine():
    return create_engine(make_url(PG_BASE_URL).set(database="postgres"), isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 3})


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    try:
        engine = _maintenance_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # the reason is shown in the skip message
        return f"PostgreSQL at {PG_URL.split('@')[-1]} does not answer ({exc.__class__.__name__})"


def reset_pg() -> None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_database():
    """This process's PostgreSQL test database: created on first use, dropped at the end."""
    reason = pg_available()
    if reason:
        if ON_CI:
            pytest.fail(reason + " (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    name = make_url(PG_URL).database
    engine = _maintenance_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL
    from sopflow.store import db

    db.dispose_all()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def sopflow_home(tmp_path, monkeypatch) -> Path:
    """A fresh SOPFLOW_HOME with its own SQLite database; the repo's config/ and templates."""
    from sopflow.store import db

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SOPFLOW_HOME", str(home))
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", f"sqlite:///{home / 'sopflow.db'}")
    monkeypatch.delenv("SOPFLOW_CONFIG_DIR", raising=False)
    # No test mails the default 127.0.0.1:8025, where a developer's `make run` sink may listen: a
    # closed port unless the test takes the `mail_sink` fixture (mail then stays in the outbox).
    monkeypatch.setenv("SOPFLOW_SMTP_PORT", str(free_port()))
    db.dispose_all()
    yield home
    db.dispose_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, sopflow_home, monkeypatch) -> str:
    """The domain database on both engines. PostgreSQL skips locally with a reason, fails on CI."""
    if request.param == "sqlite":
        return os.environ["SOPFLOW_DATABASE_URL"]
    request.getfixturevalue("pg_database")
    reset_pg()
    monkeypatch.setenv("SOPFLOW_DATABASE_URL", PG_URL)
    return PG_URL


class Sink:
    """The running mail sink of a test and the messages it kept."""

    def __init__(self, directory: Path, port: int):
        self.directory, self.port = directory, port

    def messages(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.directory.glob("*.eml"))]


@pytest.fixture
def mail_sink(tmp_path, monkeypatch) -> Sink:
    from sopflow.mailsink import MailSink

    directory = tmp_path / "mail"
    directory.mkdir()
    port = free_port()
    sink = MailSink("127.0.0.1", port, directory)
    sink.start()
    monkeypatch.setenv("SOPFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SOPFLOW_SMTP_PORT", str(port))
    yield Sink(directory, port)
    sink.stop()
