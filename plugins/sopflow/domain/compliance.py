"""Compliance with the SOP time standards (mutu baku waktu): the figures of the compliance report.

Pure computation: the inputs are step instances (anything with the attributes of
`store.models.StepInstance`), the SOP definitions and the working calendar; the outputs are the
dataclasses below. Nothing here renders (see `sopflow.render.compliance`); `load_report` is the
one function that reads the domain database, and it only gathers the inputs for `compute`.

Definitions (the report prints them too, in Indonesian):

- A **finished step** is a step instance (one round of one step, for one Bagian) with status
  `done`, `approved` or `revised` (a review that said TIDAK did its work) and a `closed_at`. It
  belongs to the period and to the quarter (Triwulan) of its `closed_at` date in Asia/Jakarta.
  Skipped steps were not performed and open steps are not finished: neither is counted. Auto steps
  (kind `auto`, done by the system in seconds) are left out of every figure and only counted in
  `auto_excluded`: their standard measures a person's work that the system no longer does.
- **Actual duration** = `calendar.working_minutes_between(opened_at, closed_at)`: whole minutes of
  office time, so nights, weekends and holidays do not count (design section 5).
- **Standard** of a step, in working minutes, read from the SOP definition as the step's due time
  is (`steps._due`): `batas_hari_kerja` n when given, as the working minutes from `opened_at` to
  `calendar.add_working_days(opened_at, n)`; else `waktu_menit`; else none, reported as
  "tanpa standar". When the SOP or the step is no longer in the catalogue, the instance's recorded
  `due_at` stands in (working minutes from `opened_at` to `due_at`), else "tanpa standar".
- **Overrun** (kelebihan) = actual - standard, in working minutes; negative means finished early.
  A step is **within standard** when overrun <= 0 (actual <= standard).
- **Share within standard** = steps within standard / steps with a standard (steps "tanpa
  standar" are counted apart and are in neither number); None when no step has a standard.
- **Median overrun** and **worst overrun** are taken over the steps that exceeded their standard
  (overrun > 0): the typical and the largest excess. None when no step exceeded.
- **Revision rounds** (putaran revisi) = finished rework rounds: instances reopened by a review's
  TIDAK (`reopened_by_id` set). Attributed to the reworked step (its role, SOP, run and quarter).
- **Bottleneck steps** (langkah penghambat): per SOP step, over all its finished instances, the
  sum of the positive overruns; the steps with any overrun, ranked by that sum, then by the
  number of instances over standard, then by the worst overrun, then by SOP and step number.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from sopflow.domain.sop import SopDefinition, Step
from sopflow.domain.worktime import WorkCalendar

JAKARTA = ZoneInfo("Asia/Jakarta")
FINISHED = ("done", "approved", "revised")
TANPA_STANDAR = "tanpa standar"
SESUAI = "sesuai standar"
MELAMPAUI = "melampaui standar"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
TOP_BOTTLENECKS = 10


# --- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepResult:
    """One finished step instance measured against its standard."""

    instance_id: int | None
    dag_id: str
    run_id: str
    periode: str
    sop_id: str
    sop_nama: str
    step_id: str
    step_no: int
    uraian: str
    kind: str
    role: str
    role_nama: str
    bagian: str
    round: int
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime
    actual_minutes: int
    standard_minutes: int | None
    standard_basis: str  # "420 menit", "3 hari kerja", "batas waktu tercatat" or "tanpa standar"
    rework: bool  # a revision round: reopened by a review's TIDAK
    quarter: str  # "2026-Q1"
    quarter_label: str  # "Triwulan I 2026"

    @property
    def has_standard(self) -> bool:
        return self.standard_minutes is not None

    @property
    def overrun_minutes(self) -> int | None:
        return None if self.standard_minutes is None else self.actual_minutes - self.standard_minutes

    @property
    def within(self) -> bool | None:
        return None if self.standard_minutes is None else self.actual_minutes <= self.standard_minutes

    @property
    def verdict(self) -> str:
        if self.standard_minutes is None:
            return TANPA_STANDAR
        return SESUAI if self.within else MELAMPAUI


@dataclass(frozen=True)
class Summary:
    """The figures of one group of finished steps (a run, an SOP, a role, a quarter, or all)."""

    key: str
    label: str
    sub: str  # secondary text: the run id, the role id, the SOP's nomor ...
    steps: int
    with_standard: int
    within: int
    over: int
    without_standard: int
    within_share: float | None  # within / with_standard, 0..1
    median_overrun: float | None  # over the steps that exceeded their standard
    worst_overrun: int | None
    overrun_total: int  # sum of the positive overruns
    actual_total: int
    revisions: int
    max_round: int


@dataclass(frozen=True)
class Bottleneck:
    """One SOP step, over all its finished instances in the period."""

    rank: int
    sop_id: str
    sop_nama: str
    step_id: str
    step_no: int
    uraian: str
    role: str
    role_nama: str
    instances: int
    over: int
    within_share: float | None
    overrun_total: int
    median_overrun: float | None
    worst_overrun: int | None
    revisions: int


@dataclass(frozen=True)
class ComplianceReport:
    start: dt.date
    end: dt.date
    title: str  # "Triwulan I 2026" or "1 Januari 2026 s.d. 31 Maret 2026" style label given by the caller
    generated_at: dt.datetime
    steps: list[StepResult]
    total: Summary
    by_run: list[Summary]
    by_sop: list[Summary]
    by_role: list[Summary]
    by_quarter: list[Summary]
    bottlenecks: list[Bottleneck]
    auto_excluded: int = 0


# --- pieces --------------------------------------------------------------------------------------

def local_date(t: dt.datetime) -> dt.date:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {t!r}")
    return t.astimezone(JAKARTA).date()


def quarter_of(day: dt.date) -> tuple[str, str]:
    """('2026-Q1', 'Triwulan I 2026')."""
    q = (day.month - 1) // 3 + 1
    return f"{day.year}-Q{q}", f"Triwulan {ROMAN[q]} {day.year}"


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    after = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, after - dt.timedelta(days=1)


def previous_quarter(now: dt.datetime) -> tuple[dt.date, dt.date, str]:
    """The quarter that ended before `now` (in Asia/Jakarta): first day, last day, 'Triwulan I 2026'."""
    today = local_date(now)
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarter -= 1
    if quarter == 0:
        year, quarter = year - 1, 4
    start, end = quarter_bounds(year, quarter)
    return start, end, f"Triwulan {ROMAN[quarter]} {year}"


def standard_for(calendar: WorkCalendar, step: Step | None, opened_at: dt.datetime,
                 due_at: dt.datetime | None = None) -> tuple[int | None, str]:
    """The step's standard in working minutes, and what it was read from."""
    if step is not None:
        if step.batas_hari_kerja:
            limit = calendar.add_working_days(opened_at, step.batas_hari_kerja)
            return calendar.working_minutes_between(opened_at, limit), f"{step.batas_hari_kerja} hari kerja"
        if step.waktu_menit:
            return step.waktu_menit, f"{step.waktu_menit} menit"
        return None, TANPA_STANDAR
    if due_at is not None:
        return calendar.working_minutes_between(opened_at, due_at), "batas waktu tercatat"
    return None, TANPA_STANDAR


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def summarise(key: str, label: str, sub: str, results: Iterable[StepResult]) -> Summary:
    results = list(results)
    timed = [r for r in results if r.has_standard]
    within = [r for r in timed if r.within]
    overruns = [r.overrun_minutes for r in timed if r.overrun_minutes > 0]
    return Summary(
        key=key, label=label, sub=sub, steps=len(results), with_standard=len(timed), within=len(within),
        over=len(overruns), without_standard=len(results) - len(timed),
        within_share=len(within) / len(timed) if timed else None,
        median_overrun=_median(overruns), worst_overrun=max(overruns) if overruns else None,
        overrun_total=sum(overruns), actual_total=sum(r.actual_minutes for r in results),
        revisions=sum(1 for r in results if r.rework), max_round=max((r.round for r in results), default=0),
    )


def _group(results: list[StepResult], key: Callable[[StepResult], Any]) -> dict[Any, list[StepResult]]:
    groups: dict[Any, list[StepResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return groups


def bottlenecks(results: list[StepResult], top: int = TOP_BOTTLENECKS) -> list[Bottleneck]:
    ranked = []
    for (sop_id, step_no, step_id), group in _group(results, lambda r: (r.sop_id, r.step_no, r.step_id)).items():
        s = summarise(step_id, "", "", group)
        if s.over == 0:
            continue
        ranked.append((s, group[0]))
    ranked.sort(key=lambda x: (-x[0].overrun_total, -x[0].over, -(x[0].worst_overrun or 0), x[1].sop_id, x[1].step_no))
    return [
        Bottleneck(rank=i, sop_id=first.sop_id, sop_nama=first.sop_nama, step_id=first.step_id, step_no=first.step_no,
                   uraian=first.uraian, role=first.role, role_nama=first.role_nama, instances=s.steps, over=s.over,
                   within_share=s.within_share, overrun_total=s.overrun_total, median_overrun=s.median_overrun,
                   worst_overrun=s.worst_overrun, revisions=s.revisions)
        for i, (s, first) in enumerate(ranked[:top], start=1)
    ]


# --- the report ----------------------------------------------------------------------------------

def measure(inst: Any, sops: Mapping[str, SopDefinition], calendar: WorkCalendar, *,
            role_names: Mapping[str, str] | None = None, periode: str = "") -> StepResult:
    """One finished instance against its standard."""
    sop = sops.get(inst.sop_id)
    try:
        step = sop.step(inst.step_id) if sop is not None else None
    except KeyError:
        step = None
    standard, basis = standard_for(calendar, step, inst.opened_at, getattr(inst, "due_at", None))
    quarter, quarter_label = quarter_of(local_date(inst.closed_at))
    return StepResult(
        instance_id=getattr(inst, "id", None), dag_id=inst.dag_id, run_id=inst.run_id, periode=periode,
        sop_id=inst.sop_id, sop_nama=sop.nama if sop is not None else inst.sop_id,
        step_id=inst.step_id, step_no=inst.step_no, uraian=inst.uraian, kind=inst.kind,
        role=inst.role, role_nama=(role_names or {}).get(inst.role, inst.role), bagian=inst.bagian or "",
        round=inst.round or 1, status=inst.status, opened_at=inst.opened_at, closed_at=inst.closed_at,
        actual_minutes=calendar.working_minutes_between(inst.opened_at, inst.closed_at),
        standard_minutes=standard, standard_basis=basis,
        rework=getattr(inst, "reopened_by_id", None) is not None, quarter=quarter, quarter_label=quarter_label,
    )


def compute(instances: Iterable[Any], sops: Mapping[str, SopDefinition], calendar: WorkCalendar, *,
            start: dt.date, end: dt.date, title: str | None = None, role_names: Mapping[str, str] | None = None,
            run_periods: Mapping[tuple[str, str], str] | None = None, generated_at: dt.datetime | None = None,
            top: int = TOP_BOTTLENECKS) -> ComplianceReport:
    """The compliance figures of the steps finished from `start` to `end` (Asia/Jakarta dates, both
    included). `instances` may hold any others (open, skipped, outside the period): they are left out."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    run_periods = run_periods or {}
    results: list[StepResult] = []
    auto_excluded = 0
    for inst in instances:
        if inst.status not in FINISHED or inst.closed_at is None:
            continue
        if not start <= local_date(inst.closed_at) <= end:
            continue
        if inst.kind == "auto":
            auto_excluded += 1
            continue
        results.append(measure(inst, sops, calendar, role_names=role_names,
                               periode=run_periods.get((inst.dag_id, inst.run_id), "")))
    results.sort(key=lambda r: (r.sop_id, r.run_id, r.step_no, r.bagian, r.round, r.closed_at))

    by_run = []
    for (dag_id, run_id), group in _group(results, lambda r: (r.dag_id, r.run_id)).items():
        first = group[0]
        label = f"{first.sop_id} — {first.periode}" if first.periode else first.sop_id
        by_run.append(((first.sop_id, min(r.opened_at for r in group), run_id),
                       summarise(f"{dag_id}/{run_id}", label, run_id, group)))
    by_run.sort(key=lambda x: x[0])

    sop_groups = _group(results, lambda r: r.sop_id)
    by_sop = [summarise(sop_id, group[0].sop_nama, sop_id, group) for sop_id, group in sorted(sop_groups.items())]

    role_groups = _group(results, lambda r: r.role)
    role_order = {role: i for i, role in enumerate(role_names or {})}
    by_role = [summarise(role, group[0].role_nama, role, group)
               for role, group in sorted(role_groups.items(), key=lambda kv: (role_order.get(kv[0], len(role_order)), kv[0]))]

    quarter_groups = _group(results, lambda r: (r.quarter, r.quarter_label))
    by_quarter = [summarise(q, label, "", group) for (q, label), group in sorted(quarter_groups.items())]

    default_title = quarter_of(start)[1] if (start, end) == quarter_bounds(start.year, (start.month - 1) // 3 + 1) else ""
    return ComplianceReport(
        start=start, end=end, title=title or default_title,
        generated_at=generated_at or dt.datetime.now(dt.timezone.utc), steps=results,
        total=summarise("total", "Semua SOP", "", results), by_run=[s for _, s in by_run], by_sop=by_sop,
        by_role=by_role, by_quarter=by_quarter, bottlenecks=bottlenecks(results, top), auto_excluded=auto_excluded,
    )


def load_report(session: Any, office: Any, start: dt.date, end: dt.date, *, title: str | None = None,
                generated_at: dt.datetime | None = None) -> ComplianceReport:
    """Read the instances finished in the period from the domain database and compute the report."""
    from sqlalchemy import select

    from sopflow.store.models import SopRun, StepInstance

    # A day's margin on both sides; `compute` keeps exactly the Asia/Jakarta dates asked for.
    lo = dt.datetime.combine(start, dt.time(0), tzinfo=JAKARTA) - dt.timedelta(days=1)
    hi = dt.datetime.combine(end, dt.time(0), tzinfo=JAKARTA) + dt.timedelta(days=2)
    instances = list(session.scalars(
        select(StepInstance).where(StepInstance.status.in_(FINISHED), StepInstance.closed_at.is_not(None),
                                   StepInstance.closed_at >= lo, StepInstance.closed_at < hi)
        .order_by(StepInstance.id)))
    runs = {(i.dag_id, i.run_id) for i in instances}
    periods: dict[tuple[str, str], str] = {}
    dag_ids = sorted({d for d, _ in runs})
    if dag_ids:
        for run in session.scalars(select(SopRun).where(SopRun.dag_id.in_(dag_ids))):
            if (run.dag_id, run.run_id) in runs:
                periods[(run.dag_id, run.run_id)] = run.periode
    role_names = {role_id: role.nama for role_id, role in office.staff.roles.items()}
    return compute(instances, office.catalogue.sops, office.calendar, start=start, end=end, title=title,
                   role_names=role_names, run_periods=periods, generated_at=generated_at)
