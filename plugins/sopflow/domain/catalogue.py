"""The catalogue: every SOP file checked on its own and against the staff directory.

A broken file is reported with its own error and never stops the others from loading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sopflow.domain.errors import ConfigError
from sopflow.domain.sop import SopDefinition, load_sop, sop_files
from sopflow.domain.staff import StaffDirectory


def check_against_staff(path: Path, sop: SopDefinition, staff: StaffDirectory) -> None:
    for step in sop.steps:
        where = f"step {step.no} ({step.id})"
        if step.pelaksana not in staff.roles:
            raise ConfigError(path, f"unknown role {step.pelaksana!r} (roles are listed in staff.yaml)", where=where, field="pelaksana")
        if step.per == "bagian" and not staff.members_by_bagian(step.pelaksana):
            raise ConfigError(path, f"role {step.pelaksana!r} has no member in any Bagian", where=where, field="per")
        for recipient in step.distribusi:
            if not staff.has_recipient(recipient):
                raise ConfigError(path, f"unknown recipient {recipient!r} (a role or an external office in staff.yaml)", where=where, field="distribusi")


@dataclass
class Catalogue:
    sops: dict[str, SopDefinition] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    errors: dict[Path, ConfigError] = field(default_factory=dict)


def load_catalogue(sops_dir: Path, staff: StaffDirectory) -> Catalogue:
    catalogue = Catalogue()
    for path in sop_files(sops_dir):
        try:
            sop = load_sop(path)
            check_against_staff(path, sop, staff)
            if sop.id in catalogue.sops:
                raise ConfigError(path, f"SOP id {sop.id!r} is already used by {catalogue.files[sop.id].name}", field="id")
        except ConfigError as exc:
            catalogue.errors[path] = exc
            continue
        catalogue.sops[sop.id] = sop
        catalogue.files[sop.id] = path
    return catalogue
