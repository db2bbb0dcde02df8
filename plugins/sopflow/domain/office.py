"""The office's configuration as one bundle: staff directory, SOP catalogue and working calendar.

Read from `config/` at use time and cached by file modification times, so an edit to a
YAML file takes effect on the next action without any import step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from sopflow.domain.catalogue import Catalogue, load_catalogue
from sopflow.domain.sop import SopDefinition, sop_files
from sopflow.domain.staff import StaffDirectory, load_staff
from sopflow.domain.worktime import WorkCalendar, load_calendar


@dataclass(frozen=True)
class Office:
    staff: StaffDirectory
    catalogue: Catalogue
    calendar: WorkCalendar

    def sop(self, sop_id: str) -> SopDefinition:
        try:
            return self.catalogue.sops[sop_id]
        except KeyError:
            broken = [str(e) for p, e in self.catalogue.errors.items()]
            raise KeyError(f"unknown SOP {sop_id!r}" + (f" (broken files: {'; '.join(broken)})" if broken else "")) from None


_cache: dict[tuple, Office] = {}
_lock = threading.Lock()


def _stamp(config_dir: Path) -> tuple:
    files = [config_dir / "staff.yaml", config_dir / "calendar.yaml", *sop_files(config_dir / "sops")]
    return tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists())


def load_office(config_dir: Path) -> Office:
    """Load (or reuse) the office configuration; raises ConfigError if staff or calendar is broken."""
    config_dir = Path(config_dir)
    key = (str(config_dir), _stamp(config_dir))
    with _lock:
        office = _cache.get(key)
        if office is None:
            staff = load_staff(config_dir / "staff.yaml")
            office = Office(
                staff=staff,
                catalogue=load_catalogue(config_dir / "sops", staff),
                calendar=load_calendar(config_dir / "calendar.yaml"),
            )
            _cache.clear()
            _cache[key] = office
    return office
