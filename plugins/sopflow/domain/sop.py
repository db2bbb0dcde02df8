"""The SOP definition: the pydantic schema of `config/sops/*.yaml` and its loader.

One file is one SOP of the decree. The same definition drives the running workflow
(DAG factory, step lifecycle, emails) and can print the official SOP document.
Loading never evaluates text: a schedule is one of a closed set of cadences.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from sopflow.domain.errors import ConfigError
from sopflow.domain.yamlio import load_yaml

STEP_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
TIME_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

StepKind = Literal["task", "review", "approval", "auto"]
# archive, distribute: any SOP. The others are SOP VIII's payment steps (domain.spp_flow):
# nomor_bku records the BKU number, dokumen_spp/dokumen_spm render the SPP and SPM papers,
# kirim_bpkad waits for the day's transmittal to BPKAD.
AutoAction = Literal["archive", "distribute", "nomor_bku", "dokumen_spp", "dokumen_spm", "kirim_bpkad"]
# What the system checks when a review opens, before a person looks (SOP VIII step 4).
AutoCheck = Literal["kelengkapan_spj"]
# What the system does in the same transaction as an IYA (SOP VIII: the BKU number at the PPK's
# approval, the bundle marked signed at the PA's).
OnApprove = Literal["nomor_bku", "ditandatangani"]
HUMAN_KINDS = ("task", "review", "approval")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Timed(_Strict):
    time: str = Field("09:00", description="HH:MM, Asia/Jakarta")

    @field_validator("time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not TIME_HHMM.match(v):
            raise ValueError(f"time must be HH:MM (24h), got {v!r}")
        return v

    @property
    def hour(self) -> int:
        return int(self.time[:2])

    @property
    def minute(self) -> int:
        return int(self.time[3:])


class QuarterlySchedule(_Timed):
    """A run at the start of each quarter (Jan, Apr, Jul, Oct) reporting on a quarter."""

    cadence: Literal["quarterly"]
    day: int = Field(1, ge=1, le=28, description="calendar day, used when hari_kerja is not set")
    hari_kerja: int | None = Field(None, ge=1, le=15, description="the Nth working day of the month instead")
    period: Literal["previous", "current"] = "previous"


class AnnualSchedule(_Timed):
    cadence: Literal["annual"]
    month: int = Field(1, ge=1, le=12)
    day: int = Field(2, ge=1, le=28, description="calendar day, used when hari_kerja is not set")
    hari_kerja: int | None = Field(None, ge=1, le=15, description="the Nth working day of the month instead")
    period: Literal["previous", "current", "next"] = "current"


class FiveYearlySchedule(_Timed):
    """Every five years from `anchor_year`; the run plans the five years after it."""

    cadence: Literal["five_yearly"]
    anchor_year: int = Field(..., ge=2000, le=2100)
    month: int = Field(1, ge=1, le=12)
    day: int = Field(2, ge=1, le=28)


class EventSchedule(_Strict):
    """Started by an outside event; the run's form asks for the event's particulars."""

    cadence: Literal["event"]
    event: Literal["surat_bpkad"]


class OnDemandSchedule(_Strict):
    """Started on demand, one run per item (for example one SPJ bundle)."""

    cadence: Literal["on_demand"]
    form: Literal["spj"]


class BatchSchedule(_Timed):
    """Every working day at `time` (the cut-off): one run takes every item submitted since the
    last batch and runs each through the steps (dynamic task mapping)."""

    cadence: Literal["batch"]
    item: Literal["spj"]


Schedule = Annotated[
    Union[QuarterlySchedule, AnnualSchedule, FiveYearlySchedule, EventSchedule, OnDemandSchedule, BatchSchedule],
    Field(discriminator="cadence"),
]


class _FieldProblem(ValueError):
    """Raised by a model-level rule to name the field it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class Step(_Strict):
    no: StrictInt = Field(..., ge=1)
    id: str
    uraian: str = Field(..., min_length=3)
    pelaksana: str = Field(..., description="a role id from config/staff.yaml")
    kind: StepKind
    kelengkapan: list[str] = Field(default_factory=list)
    waktu_menit: StrictInt | None = Field(..., ge=1, description="mutu baku in minutes; null where the decree gives none")
    batas_hari_kerja: StrictInt | None = Field(None, ge=1, le=60)
    output: str | None = None
    keterangan: str | None = None
    on_reject: str | None = None
    per: Literal["bagian"] | None = Field(None, description="one task per Bagian instead of one for the role")
    dokumen: Literal["lembar_disposisi"] | None = Field(None, description="a document the system prepares when the step opens")
    actions: list[AutoAction] = Field(default_factory=list)
    cek_otomatis: AutoCheck | None = Field(None, description="a review the system checks first; what fails goes back at once")
    saat_iya: list[OnApprove] = Field(default_factory=list, description="done in the transaction of the IYA")
    distribusi: list[str] = Field(default_factory=list, description="recipients: role ids or external ids")

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not STEP_ID.match(v):
            raise ValueError(f"step id must be lower-case letters, digits and '_' starting with a letter, got {v!r}")
        return v

    @model_validator(mode="after")
    def _kind_rules(self) -> "Step":
        if self.kind == "review" and not self.on_reject:
            raise _FieldProblem("on_reject", "a review step needs on_reject: the step that TIDAK sends back to")
        if self.kind in ("task", "auto") and self.on_reject:
            raise _FieldProblem("on_reject", f"on_reject is only for review or approval steps, not {self.kind!r}")
        if self.kind == "auto" and not self.actions:
            raise _FieldProblem("actions", "an auto step needs actions (archive, distribute)")
        if self.kind != "auto" and self.actions:
            raise _FieldProblem("actions", f"actions are only for auto steps, not {self.kind!r}")
        if self.cek_otomatis and self.kind != "review":
            raise _FieldProblem("cek_otomatis", f"cek_otomatis is only for review steps, not {self.kind!r}")
        if self.saat_iya and self.kind not in ("review", "approval"):
            raise _FieldProblem("saat_iya", f"saat_iya is only for review or approval steps, not {self.kind!r}")
        if "distribute" in self.actions and not self.distribusi:
            raise _FieldProblem("distribusi", "a distribute action needs distribusi: the recipients")
        return self

    @property
    def is_human(self) -> bool:
        return self.kind in HUMAN_KINDS

    @property
    def waits(self) -> bool:
        """Its Airflow task waits on the domain database: a person, or the day's transmittal."""
        return self.is_human or "kirim_bpkad" in self.actions


class SopDefinition(_Strict):
    id: str
    nomor: str
    lampiran: str
    nama: str
    unit: str
    keputusan: str
    tanggal_pembuatan: str | None = None
    tanggal_revisi: str | None = None
    tanggal_efektif: str | None = None
    disahkan_oleh: str
    dasar_hukum: list[str]
    kualifikasi_pelaksana: list[str]
    keterkaitan: list[str]
    peralatan: list[str]
    peringatan: str
    pencatatan: str
    schedule: Schedule
    timezone: Literal["Asia/Jakarta"] = "Asia/Jakarta"
    steps: list[Step] = Field(..., min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.match(r"^sop\d{2}_[a-z0-9_]+$", v):
            raise ValueError(f"SOP id must look like 'sop02_renja', got {v!r}")
        return v

    @model_validator(mode="after")
    def _steps_consistent(self) -> "SopDefinition":
        seen_ids: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            if step.no != index + 1:
                raise _StepProblem(index, "no", f"steps must be numbered 1, 2, 3 ... in order; found {step.no} at position {index + 1}")
            if step.id in seen_ids:
                raise _StepProblem(index, "id", f"duplicate step id {step.id!r} (also step {seen_ids[step.id]})")
            seen_ids[step.id] = step.no
        for index, step in enumerate(self.steps):
            if step.on_reject is None:
                continue
            if step.on_reject not in seen_ids:
                raise _StepProblem(index, "on_reject", f"refers to unknown step {step.on_reject!r}")
            if step.on_reject == step.id:
                raise _StepProblem(index, "on_reject", "a step cannot send work back to itself")
        return self

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def is_forward_branch(self, step: Step) -> bool:
        """A review whose TIDAK goes forward is a branch (IYA skips the steps from the target on)."""
        return step.on_reject is not None and self.step(step.on_reject).no > step.no

    def branch_gate(self, step: Step) -> Step | None:
        """The forward-branch review that decides whether `step` runs at all, if any."""
        for gate in self.steps:
            if gate.no < step.no and self.is_forward_branch(gate) and self.step(gate.on_reject).no <= step.no:
                return gate
        return None


class _StepProblem(ValueError):
    """Raised inside validation to point at one step; turned into a ConfigError by the loader."""

    def __init__(self, index: int, field: str, message: str):
        super().__init__(message)
        self.index, self.field, self.message = index, field, message


def _describe_step(raw: Any, index: int) -> str:
    try:
        item = raw["steps"][index]
        return f"step {item.get('no', index + 1)} ({item.get('id', '?')})"
    except (TypeError, KeyError, IndexError, AttributeError):
        return f"step at position {index + 1}"


def _error_from_validation(path: Path, raw: Any, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    # Discriminated unions add the tag name to the location; it is noise for the reader.
    loc = [part for part in loc if part not in ("quarterly", "annual", "five_yearly", "event", "on_demand", "batch")]
    message = err["msg"].removeprefix("Value error, ")
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _StepProblem):
        return ConfigError(path, ctx_error.message, where=_describe_step(raw, ctx_error.index), field=ctx_error.field)
    if isinstance(ctx_error, _FieldProblem):
        loc.append(ctx_error.field)
    if err["type"] == "extra_forbidden":
        message = "unknown key (not part of the SOP schema)"
    if err["type"] == "union_tag_invalid":
        tag = (err.get("ctx") or {}).get("tag")
        return ConfigError(path, f"unknown cadence {tag!r}; cadence must be one of quarterly, annual, five_yearly, event, on_demand, batch",
                           field="schedule.cadence")
    if err["type"] == "union_tag_not_found":
        return ConfigError(path, "schedule needs a cadence (quarterly, annual, five_yearly, event, on_demand, batch)",
                           field="schedule.cadence")
    if err["type"] == "model_attributes_type" and loc and loc[-1] == "schedule":
        message = "schedule must be a mapping with a cadence (quarterly, annual, five_yearly, event, on_demand, batch), not text or code"
    if loc[:1] == ["steps"] and len(loc) >= 2 and isinstance(loc[1], int):
        field = ".".join(str(p) for p in loc[2:]) or None
        return ConfigError(path, message, where=_describe_step(raw, loc[1]), field=field)
    return ConfigError(path, message, field=".".join(str(p) for p in loc) or None)


def parse_sop(path: Path, text: str) -> SopDefinition:
    try:
        raw = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, f"YAML syntax error: {problem}", where=where) from None
    if raw is None:
        raise ConfigError(path, "the file is empty; it must be a YAML mapping (id, nama, schedule, steps ...)")
    if not isinstance(raw, dict):
        raise ConfigError(path, f"the file must be a YAML mapping (id, nama, schedule, steps ...), not a {type(raw).__name__}")
    try:
        return SopDefinition.model_validate(raw)
    except ValidationError as exc:
        raise _error_from_validation(path, raw, exc) from None


def load_sop(path: Path) -> SopDefinition:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(path, f"the file is not valid UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
                          where=f"line {line}") from None
    return parse_sop(path, text)


def sop_files(sops_dir: Path) -> list[Path]:
    return sorted(p for p in Path(sops_dir).glob("*.yaml") if not p.name.startswith("."))
