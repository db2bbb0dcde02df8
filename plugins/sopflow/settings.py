"""Settings from environment variables, with the documented defaults.

Defaults suit the embedded default (a source checkout): configuration in the checkout's
`config/`, state (SQLite database, documents, mail sink) in the checkout's `var/`.
Nothing secret has a default that works in production: SOPFLOW_SECRET_KEY must be set there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    home: Path
    config_dir: Path
    templates_dir: Path
    database_url: str
    smtp_host: str
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_ssl: bool
    mail_from: str
    base_url: str
    secret_key: str
    poll_seconds: float

    @property
    def sops_dir(self) -> Path:
        return self.config_dir / "sops"

    @property
    def staff_file(self) -> Path:
        return self.config_dir / "staff.yaml"

    @property
    def calendar_file(self) -> Path:
        return self.config_dir / "calendar.yaml"

    @property
    def documents_dir(self) -> Path:
        return self.home / "documents"


def get_settings() -> Settings:
    home = Path(_env("SOPFLOW_HOME", str(REPO_ROOT / "var")))
    return Settings(
        home=home,
        config_dir=Path(_env("SOPFLOW_CONFIG_DIR", str(REPO_ROOT / "config"))),
        templates_dir=Path(_env("SOPFLOW_TEMPLATES_DIR", str(REPO_ROOT / "include" / "templates"))),
        database_url=_env("SOPFLOW_DATABASE_URL", f"sqlite:///{home / 'sopflow.db'}"),
        smtp_host=_env("SOPFLOW_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(_env("SOPFLOW_SMTP_PORT", "8025")),
        smtp_user=os.environ.get("SOPFLOW_SMTP_USER") or None,
        smtp_password=os.environ.get("SOPFLOW_SMTP_PASSWORD") or None,
        smtp_starttls=_flag("SOPFLOW_SMTP_STARTTLS", False),
        smtp_ssl=_flag("SOPFLOW_SMTP_SSL", False),
        mail_from=_env("SOPFLOW_MAIL_FROM", "sopflow@example.org"),
        base_url=_env("SOPFLOW_BASE_URL", "http://127.0.0.1:8080/sop").rstrip("/"),
        # Only for the embedded default; production must set its own (see docs/operations.md).
        secret_key=_env("SOPFLOW_SECRET_KEY", "embedded-default-not-for-production"),
        poll_seconds=float(_env("SOPFLOW_POLL_SECONDS", "10")),
    )
