"""Engines and sessions for the domain database, brought up to date on first use.

SQLite (the embedded default) gets WAL, a busy timeout and real transactions (BEGIN IMMEDIATE)
so the CLI, the triggerer and the workers can share it; PostgreSQL is used as is. Migrations run once per process per URL.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from sopflow.settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration. Checked with one query before loading Alembic (which costs seconds per
# CLI call); tests/integration/test_schema.py keeps it equal to Alembic's head.
SCHEMA_HEAD = "0004"
_lock = threading.RLock()
_engines: dict[str, Engine] = {}
_upgraded: set[str] = set()


def _sqlite_connect(dbapi_conn, _record) -> None:
    # Take transaction control away from Python's sqlite3 driver (SQLAlchemy's pysqlite recipe):
    # the driver only emits BEGIN before DML, so a SAVEPOINT issued first would commit on RELEASE.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_connect)
        # IMMEDIATE: a transaction takes the write lock up front and waits (busy_timeout) for it,
        # instead of failing when a read-then-write meets another writer's commit.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Apply every pending migration (idempotent; serialised between processes on PostgreSQL)."""
    from alembic import command

    url = url or get_settings().database_url
    engine = get_engine(url, upgrade_schema=False)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(72657001)"))
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def at_head(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT version_num FROM alembic_version")) == SCHEMA_HEAD
    except Exception:  # no table yet, or an older schema: let Alembic decide
        return False


def get_engine(url: str | None = None, *, upgrade_schema: bool = True) -> Engine:
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _make_engine(url)
    if upgrade_schema and url not in _upgraded:
        with _lock:
            if url not in _upgraded and not at_head(engine):
                upgrade(url)
                _upgraded.add(url)
    return engine


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back (nothing written) on error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _upgraded.clear()
