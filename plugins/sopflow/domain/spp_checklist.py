"""The SPP settings (`config/spp.yaml`) and the completeness check behind the "Form Koreksi Ajuan".

Owns the schema of spp.yaml (document lists per SPP type, code formats, BKU number format,
batch cut-off, the PPK's decision limits, BPKAD's recipient id) and `completeness`, which lists
what is missing or wrong in a bundle for one stage of SOP VIII: the intake check of steps 4-6
(`ajuan`: the attachments the BPP owes), the PPK's check of step 10 (`ppk`) or the PA's
signature of step 12 (`pa`). Its findings are the rows of the Form Koreksi Ajuan.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator, \
    model_validator

from sopflow.domain.bku import DEFAULT_FORMAT, format_number
from sopflow.domain.errors import ConfigError
from sopflow.domain.reminders import HHMM
from sopflow.domain.yamlio import read_yaml_file

if TYPE_CHECKING:  # pragma: no cover
    from sopflow.domain.staff import StaffDirectory

FILE_NAME = "spp.yaml"
JENIS_SPP = ("UP", "GU", "TU", "LS")
TAHAP = {"ajuan": "lampiran_wajib", "ppk": "pemeriksaan_ppk", "pa": "tanda_tangan_pa"}


def doc_key(name: str) -> str:
    """How document names are compared: case and runs of spaces do not matter."""
    return " ".join(name.split()).casefold()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _names(v: Any) -> Any:
    if not isinstance(v, list):
        return v
    seen: set[str] = set()
    for i, name in enumerate(v):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"item {i + 1} must be a document name, got {name!r}")
        if doc_key(name) in seen:
            raise ValueError(f"document {name!r} is listed twice")
        seen.add(doc_key(name))
    return [" ".join(n.split()) for n in v]


class DokumenJenis(_Strict):
    """The documents of one SPP type."""

    rincian_wajib: StrictBool = True
    lampiran_wajib: list[str] = Field(default_factory=list)
    pemeriksaan_ppk: list[str] = Field(min_length=1)
    tanda_tangan_pa: list[str] = Field(min_length=1)

    @field_validator("lampiran_wajib", "pemeriksaan_ppk", "tanda_tangan_pa", mode="before")
    @classmethod
    def _check_names(cls, v: Any) -> Any:
        return _names(v)


class PerJenis(_Strict):
    UP: DokumenJenis
    GU: DokumenJenis
    TU: DokumenJenis
    LS: DokumenJenis


class FormatKode(_Strict):
    """A code format: a regular expression and an example that matches it (shown in messages)."""

    pola: str
    contoh: str

    @field_validator("pola")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _example_matches(self) -> "FormatKode":
        if not self.matches(self.contoh):
            raise ValueError(f"the example '{self.contoh}' does not match the pattern '{self.pola}'")
        return self

    def matches(self, code: str) -> bool:
        return re.fullmatch(self.pola, code) is not None


class SppConfig(_Strict):
    lampiran_kurang: Literal["koreksi", "tolak"] = "koreksi"
    jenis: PerJenis
    kode_rekening: FormatKode
    sub_kegiatan: FormatKode
    nomor_bku: str = DEFAULT_FORMAT
    nomor_spp: str = "{nomor:04d}/{bendahara}/{tahun}"
    nomor_spm: str = "{nomor:04d}/{bendahara}/{tahun}"
    jam_kirim: dt.time = dt.time(14, 0)
    batas_email_mb: StrictInt = Field(20, ge=1, le=100)
    penerima_bpkad: str = "bpkad"

    @field_validator("nomor_bku", "nomor_spp", "nomor_spm")
    @classmethod
    def _format(cls, v: str) -> str:
        try:
            format_number(1, 2027, "BP", v)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        return v

    @field_validator("jam_kirim", mode="before")
    @classmethod
    def _hhmm(cls, v: Any) -> Any:
        m = HHMM.match(v.strip()) if isinstance(v, str) else None
        if not m:
            raise ValueError(f'time must be "HH:MM" (24h, 00:00 to 23:59), got {v!r}')
        return dt.time(int(m.group(1)), int(m.group(2)))

    def dokumen(self, jenis_spp: str) -> DokumenJenis:
        return getattr(self.jenis, jenis_spp)

    def known_documents(self) -> dict[str, str]:
        """Every document name the file mentions, by its comparison key."""
        names: dict[str, str] = {}
        for jenis_spp in JENIS_SPP:
            d = self.dokumen(jenis_spp)
            for name in [*d.lampiran_wajib, *d.pemeriksaan_ppk, *d.tanda_tangan_pa]:
                names.setdefault(doc_key(name), name)
        return names


def _error_from_validation(path: Path, exc: ValidationError) -> ConfigError:
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] == "extra_forbidden":
        message = "unknown key (not part of the spp.yaml schema)"
    else:
        message = err["msg"].removeprefix("Value error, ")
    return ConfigError(path, message, field=loc)


def load_spp_config(path: Path | str, staff: "StaffDirectory | None" = None) -> SppConfig:
    """Read and validate spp.yaml; any problem raises ConfigError naming the file and field.
    With `staff`, the BPKAD recipient must exist in staff.yaml."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(path, "file not found (SOP VIII's SPJ intake needs it; see docs/admin.md)")
    raw = read_yaml_file(path)
    if not isinstance(raw, dict):
        raise ConfigError(path, "the file must be a YAML mapping (jenis, kode_rekening, sub_kegiatan, ...)")
    try:
        config = SppConfig.model_validate(raw)
    except ValidationError as exc:
        raise _error_from_validation(path, exc) from None
    if staff is not None and not staff.has_recipient(config.penerima_bpkad):
        raise ConfigError(path, f"unknown recipient {config.penerima_bpkad!r} (not a role or an external office "
                                "in staff.yaml)", field="penerima_bpkad")
    return config


_cache: dict[tuple, SppConfig] = {}
_cache_lock = threading.Lock()


def spp_config(config_dir: Path | str) -> SppConfig:
    """`config_dir/spp.yaml`, cached by modification time (an edit applies on the next action)."""
    path = Path(config_dir) / FILE_NAME
    stat = path.stat() if path.exists() else None
    key = (str(path), stat.st_mtime_ns if stat else None, stat.st_size if stat else None)
    with _cache_lock:
        config = _cache.get(key)
        if config is None:
            config = load_spp_config(path)
            _cache.clear()
            _cache[key] = config
    return config


# --- the completeness check ----------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One row of the Form Koreksi Ajuan: the document (or the row and cell) and what is wrong."""

    dokumen: str
    masalah: str

    def as_dict(self) -> dict[str, str]:
        return {"dokumen": self.dokumen, "masalah": self.masalah}


def missing_documents(jenis_spp: str, attached: Iterable[Any], config: SppConfig,
                      tahap: str = "ajuan") -> list[Finding]:
    """The documents of `tahap`'s list for this SPP type that are not among `attached` (names, or
    objects with a `jenis`), in the list's order."""
    if tahap not in TAHAP:
        raise ValueError(f"unknown stage {tahap!r} (one of {', '.join(TAHAP)})")
    have = {doc_key(a if isinstance(a, str) else a.jenis) for a in attached}
    required = getattr(config.dokumen(jenis_spp), TAHAP[tahap])
    stage = {"ajuan": "diajukan oleh BPP", "ppk": "diperiksa PPK SKPD", "pa": "ditandatangani PA"}[tahap]
    return [Finding(name, f"belum ada; wajib {stage} untuk SPP-{jenis_spp}")
            for name in required if doc_key(name) not in have]


def completeness(bundle: Any, attachments: Iterable[Any], config: SppConfig, *, tahap: str = "ajuan") -> list[Finding]:
    """What is missing or wrong in `bundle` for `tahap` (ajuan: steps 4-6, ppk: step 10, pa: step 12).

    `bundle` is an `SpjDraft` (its data problems are found too, each naming its row and cell) or
    anything with a valid `jenis_spp` (a validated `Spj`, a stored `SpjBundle`). `attachments` are
    document names or objects with a `jenis`.
    """
    from sopflow.domain.spj import SpjDraft, SpjRejected, validate

    attachments = list(attachments)
    if isinstance(bundle, SpjDraft):
        try:
            spj = validate(bundle, [], config, require_attachments=False)
        except SpjRejected as exc:
            findings = [Finding(p.tempat, p.masalah) for p in exc.problems]
            jenis = str(bundle.header.get("jenis_spp") or "").strip().upper()
            if jenis in JENIS_SPP:
                findings += missing_documents(jenis, attachments, config, tahap)
            return findings
        jenis_spp = spj.jenis_spp
    else:
        jenis_spp = bundle.jenis_spp
    return missing_documents(jenis_spp, attachments, config, tahap)
