"""Reminders, escalation and digests over the open human steps (`config/reminders.yaml`).

The `sopflow_reminders` DAG calls `queue_reminders` every 30 minutes. What is due is decided
here, from the clock alone: `due_messages(now, open_steps, office, config)` is a pure function,
the same answer for the same `now`, and every planned message carries an outbox key (step round,
kind, recipient, slot). A message whose key is in the outbox already is not queued again, so a
repeated or retried run adds nothing, and a run that comes late still sends what is due.

Rules (all durations are working time of `config/calendar.yaml`):
- Nothing at all outside office hours ([buka, tutup) of a working day): no mail at night, on a
  weekend, on a holiday or a cuti bersama.
- Only open steps of kind task, review and approval. A step without a due time gets no reminder
  and no escalation, but is listed in the digests.
- `reminder_before`: once, when the due time is at most `sebelum_menit` working minutes away and
  the step was opened more than `sebelum_menit` before it.
- `reminder_due`: once, on the day the due time is reached (the day of the first office moment at
  or after it: a due time at closing is announced at the next opening).
- `reminder_daily`: one per later working day while the step stays open (slot = the date), at
  the first run of the day, i.e. at opening time.
- `escalation` level n (1..`eskalasi_tingkat`): once, when the step is n x
  `eskalasi_setelah_jam_kerja` working hours overdue, to the n-th superior (`atasan`, staff.yaml)
  of the step's assignee. A chain that ends, or loops, stops there; a superior who is a candidate of
  the step is left out (they are reminded already).
- `digest`: on each working day from `ringkasan_harian.jam` (07:30), one mail per person listing
  their open steps that were open at that time (slot = the date).
- `weekly`: on the first working day of the ISO week from `ringkasan_mingguan.jam`, to every
  person with a role in `ringkasan_mingguan.peran` (Kepala Bagian Perencanaan dan Keuangan): all
  open steps, overdue first (slot = the ISO week). Not sent when no step is open.
- Reminders and digests go to every candidate of the step, and to each one's delegate (Plh/Plt)
  active that day; escalations to the superior and to the superior's active delegate.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, field_validator

from sopflow.domain.errors import ConfigError
from sopflow.domain.yamlio import read_yaml_file

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.orm import Session

    from sopflow.domain.office import Office
    from sopflow.domain.staff import StaffDirectory

HUMAN_KINDS = ("task", "review", "approval")
KINDS = ("reminder_before", "reminder_due", "reminder_daily", "escalation", "digest", "weekly")
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
FILE_NAME = "reminders.yaml"


# --- the file's schema ---------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hhmm(v: Any) -> Any:
    if isinstance(v, dt.time):
        return v
    m = HHMM.match(v.strip()) if isinstance(v, str) else None
    if not m:
        raise ValueError(f'time must be "HH:MM" (24h, 00:00 to 23:59), got {v!r}')
    return dt.time(int(m.group(1)), int(m.group(2)))


class RingkasanHarian(_Strict):
    """The daily digest to each person with open tasks."""

    aktif: StrictBool = True
    jam: dt.time = dt.time(7, 30)

    @field_validator("jam", mode="before")
    @classmethod
    def _jam(cls, v: Any) -> Any:
        return _hhmm(v)


class RingkasanMingguan(RingkasanHarian):
    """The weekly summary of all open steps to the people of `peran`."""

    peran: list[str] = Field(default_factory=lambda: ["kabag"], min_length=1)


class RemindersConfig(_Strict):
    sebelum_menit: StrictInt = Field(60, ge=0, le=24 * 60)
    pengingat_harian: StrictBool = True
    eskalasi_setelah_jam_kerja: float = Field(8, gt=0, le=1000)
    eskalasi_tingkat: StrictInt = Field(2, ge=0, le=5)
    ringkasan_harian: RingkasanHarian = Field(default_factory=RingkasanHarian)
    ringkasan_mingguan: RingkasanMingguan = Field(default_factory=RingkasanMingguan)

    @field_validator("eskalasi_setelah_jam_kerja", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"must be a number of working hours, got {v!r}")
        if abs(v * 60 - round(v * 60)) > 1e-9:
            raise ValueError(f"must be whole minutes (e.g. 8 or 7.5), got {v!r}")
        return v

    @property
    def eskalasi_menit(self) -> int:
        """The escalation delay in working minutes."""
        return int(round(self.eskalasi_setelah_jam_kerja * 60))


def _error_from_validation(path: Path, exc: ValidationError) -> ConfigError:
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] == "extra_forbidden":
        message = "unknown key (not part of the reminders schema)"
    else:
        message = err["msg"].removeprefix("Value error, ")
    return ConfigError(path, message, field=loc)


def check_against_staff(path: Path | str, config: RemindersConfig, staff: "StaffDirectory") -> None:
    """The weekly summary's roles must exist in staff.yaml."""
    for i, role in enumerate(config.ringkasan_mingguan.peran):
        if role not in staff.roles:
            raise ConfigError(path, f"unknown role {role!r} (not in staff.yaml)", field=f"ringkasan_mingguan.peran.{i}")


def load_reminders(path: Path | str, staff: "StaffDirectory | None" = None) -> RemindersConfig:
    """Read and validate `reminders.yaml`. A missing or empty file means the defaults; any
    problem raises ConfigError naming the file and field. With `staff`, roles are checked too."""
    path = Path(path)
    if not path.exists():
        return RemindersConfig()
    raw = read_yaml_file(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(path, "the file must be a YAML mapping (sebelum_menit, pengingat_harian, eskalasi_..., "
                                "ringkasan_harian, ringkasan_mingguan)")
    try:
        config = RemindersConfig.model_validate(raw)
    except ValidationError as exc:
        raise _error_from_validation(path, exc) from None
    if staff is not None:
        check_against_staff(path, config, staff)
    return config


_cache: dict[tuple, RemindersConfig] = {}
_cache_lock = threading.Lock()


def reminders_config(config_dir: Path | str, staff: "StaffDirectory | None" = None) -> RemindersConfig:
    """`config_dir/reminders.yaml`, cached by modification time (an edit applies on the next run)."""
    path = Path(config_dir) / FILE_NAME
    stat = path.stat() if path.exists() else None
    key = (str(path), stat.st_mtime_ns if stat else None, stat.st_size if stat else None, id(staff))
    with _cache_lock:
        config = _cache.get(key)
        if config is None:
            config = load_reminders(path, staff)
            _cache.clear()
            _cache[key] = config
    return config


# --- planning (pure) -----------------------------------------------------------------------------

class OpenStep(Protocol):
    """What planning reads of a step instance (a `StepInstance` row fits)."""

    id: int
    dag_id: str
    run_id: str
    step_id: str
    bagian: str
    round: int
    kind: str
    status: str
    candidates: list
    assignee_email: str | None
    opened_at: dt.datetime
    due_at: dt.datetime | None


@dataclass(frozen=True)
class PlannedMessage:
    """One mail that is due now. `key` is its outbox key."""

    kind: str
    recipient: str
    key: str
    instance_ids: tuple[int, ...]
    slot: str = ""
    stands_in_for: str | None = None  # the candidate (or superior) a Plh/Plt recipient stands in for
    level: int | None = None  # escalation level
    about: str | None = None  # escalation: the assignee the step waits for
    minutes: int | None = None  # reminder_before: working minutes left; reminder_due/daily, escalation: overdue
    on_behalf: tuple[tuple[int, str], ...] = field(default_factory=tuple)  # digest: (instance id, for whom)

    @property
    def instance_id(self) -> int | None:
        return self.instance_ids[0] if len(self.instance_ids) == 1 else None


def _key(*parts: object) -> str:
    from sopflow.domain.outbox import message_key

    return message_key(*parts)


def step_key(step: OpenStep, kind: str, recipient: str, slot: str = "") -> str:
    """Outbox key of a step message: the task mail's key parts, then the slot."""
    return _key(step.dag_id, step.run_id, step.step_id, step.bagian or "", step.round, kind, recipient, slot)


def _with_delegates(staff: "StaffDirectory", emails: Iterable[str], day: dt.date) -> list[tuple[str, str | None]]:
    """(email, stands in for) for each email, then each one's delegate active on `day`."""
    result: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    emails = [e for e in emails if e]
    for email in emails:
        if email not in seen:
            result.append((email, None))
            seen.add(email)
    for email in emails:
        for delegate, _ in staff.delegates_for(email, day):
            if delegate.email not in seen:
                result.append((delegate.email, email))
                seen.add(delegate.email)
    return result


def superiors(staff: "StaffDirectory", email: str | None, levels: int) -> list[str]:
    """The emails of the first `levels` superiors of `email`, nearest first (shorter when the
    chain ends, or loops back)."""
    person = staff.by_email(email) if email else None
    chain: list[str] = []
    seen = {person.id} if person else set()
    while person is not None and person.atasan and len(chain) < levels:
        if person.atasan in seen:
            break
        seen.add(person.atasan)
        person = staff.person(person.atasan)
        chain.append(person.email)
    return chain


def in_office_hours(office: "Office", now: dt.datetime) -> bool:
    hours = office.calendar.office_hours(now)
    return hours is not None and hours[0] <= now < hours[1]


def _first_working_day_of_week(office: "Office", day: dt.date) -> bool:
    monday = day - dt.timedelta(days=day.weekday())
    d = monday
    while d < day:
        if office.calendar.is_working_day(d):
            return False
        d += dt.timedelta(days=1)
    return office.calendar.is_working_day(day)


def sort_overdue_first(steps: Iterable[OpenStep], now: dt.datetime) -> list[OpenStep]:
    """Overdue steps (longest overdue first), then the others by due time, then those without one."""
    def order(s: OpenStep):
        if s.due_at is None:
            return (2, s.opened_at, s.id)
        return (0 if s.due_at <= now else 1, s.due_at, s.id)
    return sorted(steps, key=order)


def _step_messages(office: "Office", config: RemindersConfig, s: OpenStep, now: dt.datetime,
                   today: dt.date) -> list[PlannedMessage]:
    if s.due_at is None:
        return []
    cal, staff = office.calendar, office.staff
    candidates = list(s.candidates or []) or ([s.assignee_email] if s.assignee_email else [])
    people = _with_delegates(staff, candidates, today)
    out: list[PlannedMessage] = []

    def remind(kind: str, slot: str, minutes: int) -> None:
        for email, for_whom in people:
            out.append(PlannedMessage(kind, email, step_key(s, kind, email, slot), (s.id,), slot=slot,
                                      stands_in_for=for_whom, minutes=minutes))

    if now < s.due_at:
        left = cal.working_minutes_between(now, s.due_at)
        window = config.sebelum_menit
        if window and 0 < left <= window and cal.working_minutes_between(s.opened_at, s.due_at) > window:
            remind("reminder_before", "", left)
        return out

    overdue = cal.working_minutes_between(s.due_at, now)
    due_day = cal.next_working_moment(s.due_at).date()
    if today == due_day:
        remind("reminder_due", "", overdue)
    elif today > due_day and config.pengingat_harian:
        remind("reminder_daily", today.isoformat(), overdue)

    assignee = s.assignee_email or (candidates[0] if candidates else None)
    chain = superiors(staff, assignee, config.eskalasi_tingkat)
    for level, boss in enumerate(chain, start=1):
        if overdue < level * config.eskalasi_menit:
            break
        if boss in candidates:
            continue
        for email, for_whom in _with_delegates(staff, [boss], today):
            if email in candidates:
                continue
            slot = str(level)
            out.append(PlannedMessage("escalation", email, step_key(s, "escalation", email, slot), (s.id,),
                                      slot=slot, stands_in_for=for_whom, level=level, about=assignee,
                                      minutes=overdue))
    return out


def _digests(office: "Office", config: RemindersConfig, steps: Sequence[OpenStep], now: dt.datetime,
             today: dt.date) -> list[PlannedMessage]:
    daily = config.ringkasan_harian
    moment = dt.datetime.combine(today, daily.jam, tzinfo=office.calendar.tz)
    if not daily.aktif or now < moment:
        return []
    held: dict[str, list[tuple[OpenStep, str | None]]] = {}
    for s in steps:
        if s.opened_at > moment:
            continue
        for email, for_whom in _with_delegates(office.staff, s.candidates or [s.assignee_email], today):
            held.setdefault(email, []).append((s, for_whom))
    out = []
    slot = today.isoformat()
    for email in sorted(held):
        items = held[email]
        ordered = sort_overdue_first([s for s, _ in items], now)
        for_whom = {s.id: w for s, w in items if w}
        out.append(PlannedMessage(
            "digest", email, _key("sopflow", "digest", email, slot), tuple(s.id for s in ordered), slot=slot,
            on_behalf=tuple((s.id, for_whom[s.id]) for s in ordered if s.id in for_whom),
        ))
    return out


def week_slot(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _weekly(office: "Office", config: RemindersConfig, steps: Sequence[OpenStep], now: dt.datetime,
            today: dt.date) -> list[PlannedMessage]:
    weekly = config.ringkasan_mingguan
    moment = dt.datetime.combine(today, weekly.jam, tzinfo=office.calendar.tz)
    if not weekly.aktif or now < moment or not _first_working_day_of_week(office, today):
        return []
    listed = sort_overdue_first([s for s in steps if s.opened_at <= moment], now)
    if not listed:
        return []
    emails: list[str] = []
    for role in weekly.peran:
        for person in office.staff.members(role) if role in office.staff.roles else []:
            if person.email not in emails:
                emails.append(person.email)
    slot = week_slot(today)
    ids = tuple(s.id for s in listed)
    return [PlannedMessage("weekly", email, _key("sopflow", "weekly", email, slot), ids, slot=slot,
                           stands_in_for=for_whom)
            for email, for_whom in _with_delegates(office.staff, emails, today)]


def due_messages(now: dt.datetime, open_steps: Iterable[OpenStep], office: "Office",
                 config: RemindersConfig | None = None) -> list[PlannedMessage]:
    """Every message due at `now` (aware), whether or not it was sent before: per step in id
    order (before, due, daily, escalations), then the digests by recipient, then the weekly
    summaries. Empty outside office hours."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    config = config or RemindersConfig()
    now = now.astimezone(office.calendar.tz)
    if not in_office_hours(office, now):
        return []
    today = now.date()
    steps = sorted((s for s in open_steps if s.status == "open" and s.kind in HUMAN_KINDS), key=lambda s: s.id)
    out: list[PlannedMessage] = []
    for s in steps:
        out.extend(_step_messages(office, config, s, now, today))
    out.extend(_digests(office, config, steps, now, today))
    out.extend(_weekly(office, config, steps, now, today))
    return out


# --- wording -------------------------------------------------------------------------------------

def lama(minutes: int | None) -> str:
    """Working minutes as Indonesian text: 45 -> '45 menit', 480 -> '8 jam', 510 -> '8 jam 30 menit'."""
    if minutes is None:
        return "-"
    minutes = max(int(minutes), 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} menit"
    return f"{hours} jam" + (f" {rest} menit" if rest else "")


# --- queuing -------------------------------------------------------------------------------------

def _person(office: "Office", email: str | None) -> SimpleNamespace | None:
    if not email:
        return None
    p = office.staff.by_email(email)
    if p is None:
        return SimpleNamespace(nama=email, email=email, jabatan="", nip="")
    return SimpleNamespace(nama=p.nama, email=p.email, jabatan=p.jabatan, nip=p.nip)


def _step_view(office: "Office", inst: Any, periode: str, now: dt.datetime, recipient: str | None = None
               ) -> SimpleNamespace:
    from sopflow.domain.notify import action_command, task_link

    try:
        sop = office.sop(inst.sop_id)
        sop_nama, sop_nomor = sop.nama, sop.nomor
    except KeyError:
        sop_nama, sop_nomor = inst.sop_id, "-"
    cal = office.calendar
    overdue = left = None
    if inst.due_at is not None:
        if now >= inst.due_at:
            overdue = cal.working_minutes_between(inst.due_at, now)
            keadaan = f"terlambat {lama(overdue)} (jam kerja)" if overdue else "batas waktu tiba"
        else:
            left = cal.working_minutes_between(now, inst.due_at)
            keadaan = f"sisa {lama(left)} (jam kerja)"
    else:
        keadaan = "tanpa batas waktu"
    return SimpleNamespace(
        id=inst.id, sop_nama=sop_nama, sop_nomor=sop_nomor, periode=periode, step_no=inst.step_no,
        uraian=inst.uraian, kind=inst.kind, round=inst.round, bagian=inst.bagian or "",
        bagian_nama=office.staff.bagian_name(inst.bagian) if inst.bagian else "",
        opened_at=inst.opened_at, due_at=inst.due_at, overdue=overdue, left=left,
        overdue_text=lama(overdue) if overdue is not None else None, left_text=lama(left) if left is not None else None,
        keadaan=keadaan, terlambat=overdue is not None,
        pelaksana=[_person(office, e).nama for e in (inst.candidates or [])],
        command=action_command(inst, recipient) if recipient else None,
        link=task_link(inst, recipient) if recipient else None,
    )


def _render(context: dict[str, Any]) -> tuple[str, str, str]:
    from sopflow.render.templates import render

    kind = context["kind"]
    name = {"reminder_before": "reminder", "reminder_due": "reminder", "reminder_daily": "reminder",
            "escalation": "escalation", "digest": "digest", "weekly": "weekly"}[kind]
    return (render(f"email/{name}.subject.txt", **context).strip(), render(f"email/{name}.txt", **context),
            render(f"email/{name}.html", **context))


def _existing_keys(session: "Session", keys: list[str]) -> set[str]:
    from sqlalchemy import select

    from sopflow.store.models import OutboxMessage

    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        found.update(session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk))))
    return found


def queue_reminders(session: "Session", office: "Office", now: dt.datetime | None = None,
                    config: RemindersConfig | None = None) -> list[PlannedMessage]:
    """Queue every message due at `now` (default: the clock) that is not in the outbox yet, in the
    caller's transaction; return those queued. `config` defaults to the office's reminders, else
    `reminders.yaml` of the configuration directory."""
    from sqlalchemy import select

    from sopflow.domain import delegation, outbox
    from sopflow.store.models import SopRun, StepInstance

    office = delegation.effective(session, office)
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    if config is None:
        config = getattr(office, "reminders", None)
    if config is None:
        from sopflow.settings import get_settings

        config = reminders_config(get_settings().config_dir, office.staff)
    if not in_office_hours(office, now):
        return []

    open_steps = list(session.scalars(select(StepInstance).where(
        StepInstance.status == "open", StepInstance.kind.in_(HUMAN_KINDS)).order_by(StepInstance.id)))
    planned = due_messages(now, open_steps, office, config)
    if not planned:
        return []
    existing = _existing_keys(session, [p.key for p in planned])
    todo = [p for p in planned if p.key not in existing]
    if not todo:
        return []

    by_id = {s.id: s for s in open_steps}
    runs = {(r.dag_id, r.run_id): r.periode for r in session.scalars(
        select(SopRun).where(SopRun.run_id.in_(sorted({s.run_id for s in open_steps}))))}
    local_now = now.astimezone(office.calendar.tz)
    queued: list[PlannedMessage] = []
    for p in todo:
        insts = [by_id[i] for i in p.instance_ids]
        person = _person(office, p.recipient)
        stands_in_for = _person(office, p.stands_in_for)
        base = dict(kind=p.kind, person=person, stands_in_for=stands_in_for, now=local_now,
                    tanggal=local_now.date())
        if p.kind in ("digest", "weekly"):
            on_behalf = dict(p.on_behalf)
            views = []
            for inst in insts:
                view = _step_view(office, inst, runs.get((inst.dag_id, inst.run_id), ""), now,
                                  p.recipient if p.kind == "digest" else None)
                whom = _person(office, on_behalf.get(inst.id))
                view.untuk = whom.nama if whom else None
                views.append(view)
            context = dict(base, steps=views, jumlah=len(views), terlambat=sum(1 for v in views if v.terlambat),
                           minggu=p.slot)
        else:
            inst = insts[0]
            view = _step_view(office, inst, runs.get((inst.dag_id, inst.run_id), ""), now, p.recipient)
            if p.kind == "escalation":  # the superior is told, not asked: the link is the assignee's
                view.link = None
            context = dict(base, step=view, level=p.level, minutes=p.minutes, lama=lama(p.minutes),
                           about=_person(office, p.about),
                           lower=[_person(office, e) for e in superiors(office.staff, p.about, (p.level or 1) - 1)
                                  if e not in (inst.candidates or [])])
        subject, text, html = _render(context)
        first = insts[0] if len(insts) == 1 else None
        message = outbox.enqueue(
            session, key=p.key, kind=p.kind, recipient=p.recipient, subject=subject, body_text=text,
            body_html=html, dag_id=first.dag_id if first else None, run_id=first.run_id if first else None,
        )
        if message is not None:
            queued.append(p)
    return queued
