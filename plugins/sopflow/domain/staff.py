"""The staff directory (`config/staff.yaml`): people, roles, Bagian, superiors and delegations.

Roles resolve to people here; a group role resolves to all its members, or to one group per
Bagian when a step fans out per Bagian. Delegations (Plh/Plt) name who stands in for whom.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sopflow.domain.errors import ConfigError
from sopflow.domain.yamlio import load_yaml

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bagian(_Strict):
    id: str
    nama: str


class Role(_Strict):
    nama: str
    group: bool = False


class Person(_Strict):
    id: str
    nama: str
    nip: str
    email: str
    jabatan: str
    bagian: str | None = None
    roles: list[str] = Field(default_factory=list)
    atasan: str | None = Field(None, description="person id of the superior, for escalation")
    kode: str | None = Field(None, max_length=30, description="short code in register numbers (a bendahara's BKU)")
    admin: bool = False

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        v = v.strip().lower()
        if not EMAIL.match(v):
            raise ValueError(f"not an email address: {v!r}")
        return v

    @field_validator("nip")
    @classmethod
    def _nip(cls, v: str) -> str:
        if not re.fullmatch(r"\d{18}", v.replace(" ", "")):
            raise ValueError(f"NIP must have 18 digits, got {v!r}")
        return v


class External(_Strict):
    """A recipient outside the directory's people: another office (Bappeda, BPKAD ...)."""

    id: str
    nama: str
    email: str

    _email = field_validator("email")(Person._email.__func__)


class Delegation(_Strict):
    person: str
    delegate: str
    jenis: Literal["Plh", "Plt"] = "Plh"
    mulai: dt.date
    sampai: dt.date

    @model_validator(mode="after")
    def _range(self) -> "Delegation":
        if self.sampai < self.mulai:
            raise ValueError(f"sampai ({self.sampai}) is before mulai ({self.mulai})")
        if self.person == self.delegate:
            raise ValueError("a person cannot delegate to themselves")
        return self

    def active_on(self, day: dt.date) -> bool:
        return self.mulai <= day <= self.sampai


class _FieldProblem(ValueError):
    """A cross-reference problem at a known place in staff.yaml (e.g. people.3.roles)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


class StaffDirectory(_Strict):
    unit: str
    bagian: list[Bagian]
    roles: dict[str, Role]
    people: list[Person]
    external: list[External] = Field(default_factory=list)
    delegations: list[Delegation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "StaffDirectory":
        ids = [p.id for p in self.people]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate person id(s): {sorted(dup)}")
        emails = [p.email for p in self.people]
        dup = {e for e in emails if emails.count(e) > 1}
        if dup:
            raise ValueError(f"duplicate email(s): {sorted(dup)}")
        bagian_ids = {b.id for b in self.bagian}
        for i, p in enumerate(self.people):
            for r in p.roles:
                if r not in self.roles:
                    raise _FieldProblem(f"people.{i}.roles", f"person {p.id!r} has unknown role {r!r}")
            if p.bagian is not None and p.bagian not in bagian_ids:
                raise _FieldProblem(f"people.{i}.bagian", f"person {p.id!r} is in unknown bagian {p.bagian!r}")
            if p.atasan is not None and p.atasan not in ids:
                raise _FieldProblem(f"people.{i}.atasan", f"person {p.id!r} has unknown atasan {p.atasan!r}")
        for i, d in enumerate(self.delegations):
            for key, who in (("person", d.person), ("delegate", d.delegate)):
                if who not in ids:
                    raise _FieldProblem(f"delegations.{i}.{key}", f"delegation names unknown person {who!r}")
        for role_id in self.roles:
            if not any(role_id in p.roles for p in self.people):
                raise _FieldProblem(f"roles.{role_id}", f"role {role_id!r} has no member")
        return self

    # --- lookups -----------------------------------------------------------------
    def person(self, person_id: str) -> Person:
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def by_email(self, email: str) -> Person | None:
        email = email.strip().lower()
        return next((p for p in self.people if p.email == email), None)

    def members(self, role: str) -> list[Person]:
        if role not in self.roles:
            raise KeyError(role)
        return [p for p in self.people if role in p.roles]

    def members_by_bagian(self, role: str) -> dict[str, list[Person]]:
        """Members of a role grouped by Bagian, in the directory's Bagian order."""
        groups: dict[str, list[Person]] = {}
        for b in self.bagian:
            members = [p for p in self.members(role) if p.bagian == b.id]
            if members:
                groups[b.id] = members
        return groups

    def bagian_name(self, bagian_id: str) -> str:
        return next((b.nama for b in self.bagian if b.id == bagian_id), bagian_id)

    def recipient_emails(self, recipient: str) -> list[str]:
        """A distribution recipient: a role (all its members) or an external office."""
        if recipient in self.roles:
            return [p.email for p in self.members(recipient)]
        for e in self.external:
            if e.id == recipient:
                return [e.email]
        raise KeyError(recipient)

    def has_recipient(self, recipient: str) -> bool:
        return recipient in self.roles or any(e.id == recipient for e in self.external)

    def delegates_for(self, email: str, day: dt.date) -> list[tuple[Person, Delegation]]:
        """People standing in (Plh/Plt) for the person with this email on this day."""
        person = self.by_email(email)
        if person is None:
            return []
        return [(self.person(d.delegate), d) for d in self.delegations if d.person == person.id and d.active_on(day)]

    def may_act_for(self, actor_email: str, candidate_emails: list[str], day: dt.date) -> str | None:
        """Whom the actor acts for among the candidates: themselves, or someone they stand in for."""
        actor_email = actor_email.strip().lower()
        if actor_email in candidate_emails:
            return actor_email
        for email in candidate_emails:
            if any(p.email == actor_email for p, _ in self.delegates_for(email, day)):
                return email
        return None


def load_staff(path: Path) -> StaffDirectory:
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(path, f"YAML syntax error: {getattr(exc, 'problem', exc)}",
                          where=f"line {mark.line + 1}" if mark else None) from None
    try:
        return StaffDirectory.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, _FieldProblem):
            raise ConfigError(path, problem.message, field=problem.field) from None
        loc = ".".join(str(p) for p in err["loc"]) or None
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise ConfigError(path, msg, field=loc) from None
