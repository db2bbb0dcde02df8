"""The step lifecycle against real databases (SQLite and PostgreSQL), driven as the DAG drives it:
`ensure_run`, then `open_step` per step, then people acting through `complete`/`approve`/`revise`.

Everything is asserted on what a person would notice: who gets the task, which mail is queued (and
that it is queued once), what the history shows, which documents exist, and that a refused action
leaves every table exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sopflow.domain import steps
from sopflow.domain.auto import run_auto_step
from sopflow.domain.errors import ActionRefused
from sopflow.domain.office import load_office
from sopflow.domain.outbox import message_key
from sopflow.domain.period import JAKARTA
from sopflow.settings import get_settings
from sopflow.store.db import get_engine, session_scope
from sopflow.store.models import AuditEntry, Base, Decision, Document, OutboxMessage, StepInstance

RUN = "manual__2027-01-04T02:00:00+00:00"

SEKDA = "bambang.kusumawardana@example.org"
KABAG = "retno.wulandarsih@example.org"
PERENCANA = "agus.nugrahanto@example.org"
ASISTEN = "hendro.prasetyaning@example.org"
PLH_KABAG = "sugeng.santosa@example.org"  # Kepala Bagian Umum, Plh of the Kabag 2026-12-14..18
TIM = [  # tim_perencanaan_pelaporan in directory order
    "fajar.hidayatullah@example.org", "teguh.wicaksana@example.org", "ayu.ningtyas@example.org",
    "bayu.kurniawanto@example.org", "dimas.wiratmaja@example.org", "galih.jati@example.org",
]
PERENCANA_PEMBANTU = {
    "perencanaan_keuangan": "dewi.puspitasari@example.org", "umum": "nurul.rahmawan@example.org",
    "hukum": "rizky.permana@example.org", "organisasi": "indah.wulan@example.org",
    "pemerintahan": "sri.rahayuningtyas@example.org", "pengadaan_barang_jasa": "novita.sariwardani@example.org",
}


# --- helpers ---------------------------------------------------------------------------------------
def snapshot() -> dict:
    """Every row of every table of the domain database, plus the files of the document store."""
    state: dict = {}
    with get_engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            state[table.name] = [dict(r) for r in rows]
    docs = get_settings().documents_dir
    state["files"] = sorted(str(p.relative_to(docs)) for p in docs.rglob("*") if p.is_file()) if docs.exists() else []
    return state


def counts_and_statuses(state: dict) -> dict:
    return {name: (len(rows), [r.get("status") for r in rows]) for name, rows in state.items() if name != "files"}


class Run:
    """One run of one SOP, driven step by step as its DAG would."""

    def __init__(self, sop_id: str, run_id: str = RUN, periode: str = "2027"):
        self.office = load_office(get_settings().config_dir)
        self.sop = self.office.sop(sop_id)
        self.dag_id, self.run_id, self.periode = sop_id, run_id, periode
        with session_scope() as s:
            steps.ensure_run(s, sop=self.sop, dag_id=self.dag_id, run_id=run_id, periode=periode, params={})

    def step(self, step_id: str):
        return self.sop.step(step_id)

    def open(self, step_id: str, now: dt.datetime | None = None) -> list[StepInstance]:
        with session_scope() as s:
            return steps.open_step(s, self.office, self.sop, self.step(step_id), dag_id=self.dag_id,
                                   run_id=self.run_id, now=now)

    def instances(self, step_id: str) -> list[StepInstance]:
        with session_scope() as s:
            return steps.instances_of(s, self.dag_id, self.run_id, step_id)

    def latest(self, step_id: str, bagian: str = "") -> StepInstance:
        return steps.latest_rounds(self.instances(step_id))[bagian]

    def resolved(self, step_id: str) -> bool:
        with session_scope() as s:
            return steps.step_resolved(s, self.sop, self.step(step_id), self.dag_id, self.run_id)

    def branch_taken(self, step_id: str) -> bool:
        with session_scope() as s:
            return steps.branch_taken(s, self.sop, self.step(step_id), self.dag_id, self.run_id)

    def done(self, inst_id: int, actor: str, **kw) -> steps.Outcome:
        kw.setdefault("documents_dir", get_settings().documents_dir)
        with session_scope() as s:
            return steps.complete(s, self.office, inst_id, actor=actor, **kw)

    def approve(self, inst_id: int, actor: str, **kw) -> steps.Outcome:
        with session_scope() as s:
            return steps.approve(s, self.office, inst_id, actor=actor, **kw)

    def revise(self, inst_id: int, actor: str, note: str, **kw) -> steps.Outcome:
        with session_scope() as s:
            return steps.revise(s, self.office, inst_id, actor=actor, note=note, **kw)

    def auto(self, step_id: str) -> StepInstance:
        with session_scope() as s:
            return run_auto_step(s, self.office, self.sop, self.step(step_id), dag_id=self.dag_id,
                                 run_id=self.run_id, documents_dir=get_settings().documents_dir)

    def walk(self, until_no: int, uploads: dict[str, Path] | None = None) -> None:
        """Open and finish every step numbered below `until_no`, each by its first candidate."""
        uploads = uploads or {}
        for step in self.sop.steps:
            if step.no >= until_no:
                return
            if step.kind == "auto":
                self.auto(step.id)
                continue
            for inst in self.open(step.id):
                who = inst.candidates[0]
                if step.kind == "task":
                    self.done(inst.id, who, file=uploads.get(step.id))
                else:
                    self.approve(inst.id, who)
            assert self.resolved(step.id), step.id

    def task_key(self, step_id: str, email: str, round_: int = 1, bagian: str = "") -> str:
        return message_key(self.dag_id, self.run_id, step_id, bagian, round_, "task", email)


def outbox_by_key(key: str) -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key == key)))


def outbox_rows(**where) -> list[OutboxMessage]:
    with session_scope() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for name, value in where.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(s.scalars(query))


def documents_named(name: str, run_id: str = RUN) -> list[Document]:
    with session_scope() as s:
        return list(s.scalars(select(Document).where(Document.name == name, Document.run_id == run_id)
                              .order_by(Document.version)))


def audit_entries(**where) -> list[AuditEntry]:
    with session_scope() as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        return list(s.scalars(query))


def upload(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "uploads" / hashlib.sha256(data).hexdigest()[:8] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- opening ---------------------------------------------------------------------------------------
def test_a_retried_open_creates_no_second_instance_and_no_second_mail(db_url):
    run = Run("sop02_renja")
    first = run.open("s01_tugaskan_kabag")
    assert [(i.step_no, i.round, i.status, i.assignee_email) for i in first] == [(1, 1, "open", SEKDA)]
    key = run.task_key("s01_tugaskan_kabag", SEKDA)
    [mail] = outbox_by_key(key)
    # The lembar disposisi the Sekda signs is prepared once and attached to the task mail.
    [disposisi] = [d for d in documents_named("Lembar Disposisi Langkah 1.pdf")]
    assert disposisi.jenis == "lembar_disposisi" and mail.attachments == [disposisi.id]

    before = snapshot()
    assert run.open("s01_tugaskan_kabag") == []  # the Airflow task retried
    assert snapshot() == before
    assert len(run.instances("s01_tugaskan_kabag")) == 1
    assert len(outbox_by_key(key)) == 1


def test_group_step_goes_to_every_member_and_any_member_may_finish_it(db_url):
    run = Run("sop02_renja")
    [inst] = run.open("s04_serahkan_bahan")
    assert inst.candidates == TIM and inst.assignee_email == TIM[0]
    assert inst.due_at is not None and inst.due_at > inst.opened_at  # 3 working days
    for email in TIM:  # one task mail per member
        assert len(outbox_by_key(run.task_key("s04_serahkan_bahan", email))) == 1

    # Any member may finish it (each try rolled back, so the next member finds it open again).
    engine = get_engine()
    for email in TIM:
        with engine.connect() as conn:
            with Session(bind=conn) as s:
                out = steps.complete(s, run.office, inst.id, actor=email, documents_dir=get_settings().documents_dir)
                assert out.instance.status == "done" and out.instance.closed_by == email
                s.rollback()

    # Someone outside the group may not, not even the Perencana who directs the group.
    before = snapshot()
    for outsider in (PERENCANA, KABAG, "orang.luar@example.org"):
        with pytest.raises(ActionRefused, match="bukan pelaksana"):
            run.done(inst.id, outsider)
    assert snapshot() == before

    out = run.done(inst.id, TIM[3].upper(), note="bahan terkumpul")  # email case does not matter
    assert out.instance.closed_by == TIM[3] and out.instance.on_behalf_of is None
    assert run.resolved("s04_serahkan_bahan")


# --- review TIDAK: revision rounds ------------------------------------------------------------------
def test_review_tidak_reopens_the_step_as_round_2_and_asks_the_reviewer_again(db_url, tmp_path):
    run = Run("sop02_renja")
    run.walk(5)
    [draft1] = run.open("s05_buat_dokumen")
    run.done(draft1.id, PERENCANA, file=upload(tmp_path, "Renja Setda 2027.docx", b"PK\x03\x04draft 1"))
    [review1] = run.open("s06_koreksi_dokumen")
    assert review1.candidates == [KABAG]
    assert not run.resolved("s06_koreksi_dokumen")

    note1 = "Target indikator kinerja belum selaras dengan Renstra 2021-2026; perbaiki Bab III."
    out = run.revise(review1.id, KABAG, note1)
    [draft2] = out.opened
    assert (draft2.step_id, draft2.round, draft2.status) == ("s05_buat_dokumen", 2, "open")
    assert draft2.candidates == [PERENCANA] and draft2.assignee_email == PERENCANA
    assert draft2.reopened_by_id == review1.id
    assert PERENCANA in out.message
    assert run.latest("s06_koreksi_dokumen").status == "revised"
    assert not run.resolved("s06_koreksi_dokumen")  # the review waits until IYA
    assert not run.resolved("s05_buat_dokumen")     # its latest round is open again
    [mail] = outbox_by_key(run.task_key("s05_buat_dokumen", PERENCANA, round_=2))
    assert note1 in mail.body_text and "Revisi ke-1" in mail.subject

    out = run.done(draft2.id, PERENCANA, note="Bab III diperbaiki",
                   file=upload(tmp_path, "Renja Setda 2027.docx", b"PK\x03\x04draft 2"))
    [review2] = out.opened
    assert (review2.step_id, review2.round, review2.status, review2.candidates) == (
        "s06_koreksi_dokumen", 2, "open", [KABAG])
    assert KABAG in out.message
    [mail] = outbox_by_key(run.task_key("s06_koreksi_dokumen", KABAG, round_=2))
    assert "putaran ke-2" in mail.body_text
    assert run.resolved("s05_buat_dokumen") and not run.resolved("s06_koreksi_dokumen")

    run.approve(review2.id, KABAG, note="Sudah sesuai")
    assert run.resolved("s06_koreksi_dokumen")

    # Every round stays in the history.
    assert [(i.round, i.status, i.closed_by) for i in run.instances("s05_buat_dokumen")] == [
        (1, "done", PERENCANA), (2, "done", PERENCANA)]
    assert [(i.round, i.status, i.note) for i in run.instances("s06_koreksi_dokumen")] == [
        (1, "revised", note1), (2, "approved", "Sudah sesuai")]
    with session_scope() as s:
        decisions = [(d.step_instance.step_id, d.step_instance.round, d.decision, d.note, d.by_email)
                     for d in s.scalars(select(Decision).order_by(Decision.id))]
    assert decisions == [
        ("s06_koreksi_dokumen", 1, "tidak", note1, KABAG),
        ("s06_koreksi_dokumen", 2, "iya", "Sudah sesuai", KABAG),
    ]
    actions = [(e.action, e.step_instance_id) for e in audit_entries(dag_id="sop02_renja")]
    for expected in [("revised", review1.id), ("reopened", draft2.id), ("done", draft2.id),
                     ("opened", review2.id), ("approved", review2.id)]:
        assert expected in actions


def test_per_bagian_fan_out_and_a_tidak_reopens_only_that_bagian(db_url):
    run = Run("sop07_monev_kinerja", periode="2026-Q4")
    run.walk(3)
    reports = run.open("s03_susun_laporan_bagian")
    assert {i.bagian: i.candidates for i in reports} == {b: [e] for b, e in PERENCANA_PEMBANTU.items()}
    for inst in reports:
        assert len(outbox_by_key(run.task_key(inst.step_id, inst.candidates[0], bagian=inst.bagian))) == 1
    for inst in reports[:-1]:
        run.done(inst.id, inst.candidates[0])
    assert not run.resolved("s03_susun_laporan_bagian")  # one Bagian still working
    run.done(reports[-1].id, reports[-1].candidates[0])
    assert run.resolved("s03_susun_laporan_bagian")
    run.walk(5)

    checks = run.open("s05_periksa_laporan")
    assert sorted(i.bagian for i in checks) == sorted(PERENCANA_PEMBANTU)  # one check per Bagian's report
    assert all(i.candidates == [PERENCANA] for i in checks)
    by_bagian = {i.bagian: i for i in checks}

    note = "Bukti dukung capaian triwulan belum dilampirkan."
    out = run.revise(by_bagian["hukum"].id, PERENCANA, note)
    assert [(i.bagian, i.round, i.candidates) for i in out.opened] == [
        ("hukum", 2, [PERENCANA_PEMBANTU["hukum"]])]
    reports_now = run.instances("s03_susun_laporan_bagian")
    assert len(reports_now) == 7
    assert {i.bagian for i in reports_now if i.round == 2} == {"hukum"}
    [mail] = outbox_by_key(run.task_key("s03_susun_laporan_bagian", PERENCANA_PEMBANTU["hukum"], 2, "hukum"))
    assert note in mail.body_text and "Bagian Hukum" in mail.subject

    for bagian, inst in by_bagian.items():
        if bagian != "hukum":
            run.approve(inst.id, PERENCANA)
    assert not run.resolved("s05_periksa_laporan")

    out = run.done(out.opened[0].id, PERENCANA_PEMBANTU["hukum"])
    assert [(i.step_id, i.bagian, i.round) for i in out.opened] == [("s05_periksa_laporan", "hukum", 2)]
    run.approve(out.opened[0].id, PERENCANA)
    assert run.resolved("s05_periksa_laporan")
    assert len(run.instances("s05_periksa_laporan")) == 7


# --- forward branch ---------------------------------------------------------------------------------
@pytest.mark.parametrize("decision", ["iya", "tidak"])
def test_forward_branch_review(db_url, decision):
    run = Run("sop06_monev_renstra", periode="2021-2026")
    gate = run.step("s12_teliti_hasil")
    assert run.step(gate.on_reject).no == 13
    [inst] = run.open("s12_teliti_hasil")
    assert inst.candidates == [ASISTEN]
    assert not run.resolved("s12_teliti_hasil")

    if decision == "iya":
        run.approve(inst.id, ASISTEN, note="Sesuai")
        assert run.branch_taken("s12_teliti_hasil") is False
        assert run.resolved("s12_teliti_hasil") is True
        # The DAG then records steps 13 and 14 as not needed.
        for later in ("s13_susun_perubahan", "s14_cetak_perubahan"):
            assert run.step(later) and run.sop.branch_gate(run.step(later)) == gate
            with session_scope() as s:
                steps.skip_step(s, run.sop, run.step(later), dag_id=run.dag_id, run_id=run.run_id, gate=gate)
            [skipped] = run.instances(later)
            assert skipped.status == "skipped" and "langkah 12" in skipped.note
            assert run.resolved(later)
    else:
        out = run.revise(inst.id, ASISTEN, "Perlu perubahan Renstra: indikator sasaran 2 tidak tercapai")
        assert out.opened == [] and "langkah 13" in out.message
        assert run.branch_taken("s12_teliti_hasil") is True
        assert run.resolved("s12_teliti_hasil") is True
        assert run.instances("s13_susun_perubahan") == []  # step 13 is opened by its own task
        [step13] = run.open("s13_susun_perubahan")
        assert step13.round == 1 and step13.reopened_by_id is None and step13.candidates == [PERENCANA]


# --- delegation -------------------------------------------------------------------------------------
def _jkt(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JAKARTA)


@pytest.mark.parametrize("when, allowed", [
    (_jkt(2026, 12, 14, 0, 30), True),    # the first day, just after midnight WIB (still the 13th in UTC)
    (_jkt(2026, 12, 16, 10, 0), True),
    (_jkt(2026, 12, 18, 23, 30), True),   # the last day, late evening WIB
    (_jkt(2026, 12, 13, 23, 59), False),  # the evening before
    (_jkt(2026, 12, 19, 0, 1), False),    # just after the last day (still the 18th in UTC)
])
def test_plh_may_act_for_the_kabag_only_inside_the_delegation(db_url, when, allowed):
    run = Run("sop02_renja")
    [inst] = run.open("s02_tugaskan_perencana", now=_jkt(2026, 12, 11, 9, 0))
    assert inst.candidates == [KABAG]
    if not allowed:
        before = snapshot()
        with pytest.raises(ActionRefused, match="bukan pelaksana"):
            run.done(inst.id, PLH_KABAG, now=when)
        assert snapshot() == before
        run.done(inst.id, KABAG, now=when)  # the Kabag herself always may
        return
    out = run.done(inst.id, PLH_KABAG, note="Plh Kabag", now=when)
    assert (out.instance.status, out.instance.closed_by, out.instance.on_behalf_of) == ("done", PLH_KABAG, KABAG)
    assert out.instance.closed_at == when
    [entry] = audit_entries(action="done", step_instance_id=inst.id)
    assert entry.actor == PLH_KABAG and entry.detail["on_behalf_of"] == KABAG and entry.source == "cli"


def test_plh_decision_records_on_behalf_of(db_url):
    run = Run("sop02_renja")
    [review] = run.open("s06_koreksi_dokumen")
    run.approve(review.id, PLH_KABAG, note="a.n. Kabag", now=_jkt(2026, 12, 15, 14, 0))
    with session_scope() as s:
        [d] = s.scalars(select(Decision))
        assert (d.decision, d.by_email, d.on_behalf_of, d.note) == ("iya", PLH_KABAG, KABAG, "a.n. Kabag")


# --- refusals ---------------------------------------------------------------------------------------
def test_refused_actions_change_nothing(db_url, tmp_path):
    run = Run("sop02_renja")
    run.walk(3)
    [task] = run.open("s03_arahkan_tim")
    [group] = run.open("s04_serahkan_bahan")
    [review] = run.open("s06_koreksi_dokumen")
    [approval] = run.open("s07_sahkan_dokumen")
    [finished] = run.instances("s01_tugaskan_kabag")
    exe = upload(tmp_path, "laporan.exe", b"MZ\x90\x00 not a document")
    missing = tmp_path / "tidak-ada.pdf"
    docs_dir = get_settings().documents_dir
    office = run.office

    cases = {
        "wrong person on a task": (lambda s: steps.complete(s, office, task.id, actor=KABAG, documents_dir=docs_dir),
                                   "bukan pelaksana"),
        "non-member on a group task": (lambda s: steps.complete(s, office, group.id, actor=PERENCANA,
                                                                 documents_dir=docs_dir), "bukan pelaksana"),
        "wrong person on a review": (lambda s: steps.approve(s, office, review.id, actor=PERENCANA), "bukan pelaksana"),
        "unknown person": (lambda s: steps.approve(s, office, approval.id, actor="bupati@example.org"),
                           "bukan pelaksana"),
        "already done": (lambda s: steps.complete(s, office, finished.id, actor=SEKDA, documents_dir=docs_dir),
                         "berstatus done"),
        "approve on a task": (lambda s: steps.approve(s, office, task.id, actor=PERENCANA), "jenis task"),
        "done on a review": (lambda s: steps.complete(s, office, review.id, actor=KABAG, documents_dir=docs_dir),
                             "jenis review"),
        "revise on a task": (lambda s: steps.revise(s, office, task.id, actor=PERENCANA, note="x"), "jenis task"),
        "unknown id": (lambda s: steps.complete(s, office, 987654, actor=PERENCANA, documents_dir=docs_dir),
                       "tidak ada"),
        "unknown id (approve)": (lambda s: steps.approve(s, office, 987654, actor=KABAG), "tidak ada"),
        "revise without a note": (lambda s: steps.revise(s, office, review.id, actor=KABAG, note=""), "catatan"),
        "revise with a blank note": (lambda s: steps.revise(s, office, review.id, actor=KABAG, note="  \n"),
                                     "catatan"),
        "revise an approval without on_reject": (
            lambda s: steps.revise(s, office, approval.id, actor=SEKDA, note="Perbaiki"), "on_reject"),
        "upload of an .exe": (lambda s: steps.complete(s, office, task.id, actor=PERENCANA, file=exe,
                                                       documents_dir=docs_dir), r"\.exe"),
        "upload of a missing file": (lambda s: steps.complete(s, office, task.id, actor=PERENCANA, file=missing,
                                                              documents_dir=docs_dir), "tidak ditemukan"),
    }
    before = snapshot()
    for name, (action, reason) in cases.items():
        # The caller catches the refusal and commits: whatever the domain changed before refusing
        # would be written. Nothing may be.
        with session_scope() as s:
            with pytest.raises(ActionRefused, match=reason):
                action(s)
        after = snapshot()
        assert counts_and_statuses(after) == counts_and_statuses(before), name
        assert after == before, name

    # And the same actions done right still work afterwards.
    run.done(task.id, PERENCANA)
    run.revise(review.id, KABAG, "Perbaiki")
    run.approve(approval.id, SEKDA)


# --- audit log --------------------------------------------------------------------------------------
def test_audit_log_is_append_only(db_url):
    run = Run("sop02_renja")
    [inst] = run.open("s03_arahkan_tim")
    run.done(inst.id, PERENCANA, note="selesai")
    before = [(e.id, e.actor, e.action, e.detail) for e in audit_entries()]
    assert [a for _, _, a, _ in before] == ["opened", "done"]

    with pytest.raises(RuntimeError, match="append-only"):
        with session_scope() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "done")).one()
            entry.actor = "penyusup@example.org"
            entry.detail = {"note": "diubah"}
    with pytest.raises(RuntimeError, match="append-only"):
        with session_scope() as s:
            s.delete(s.scalars(select(AuditEntry).where(AuditEntry.action == "opened")).one())
    assert [(e.id, e.actor, e.action, e.detail) for e in audit_entries()] == before


# --- auto steps -------------------------------------------------------------------------------------
def test_archive_registers_the_rekam_jejak_once(db_url, tmp_path):
    run = Run("sop02_renja")
    final = upload(tmp_path, "Renja Setda 2027.pdf", b"%PDF-1.4 Renja yang disahkan")
    run.walk(8, uploads={"s05_buat_dokumen": final})
    [uploaded] = documents_named("Renja Setda 2027.pdf")
    assert not uploaded.archived

    inst = run.auto("s08_dokumentasikan")
    assert (inst.kind, inst.status, inst.closed_by) == ("auto", "done", "system")
    assert run.resolved("s08_dokumentasikan")
    [record] = documents_named("Rekam Jejak sop02_renja 2027.pdf")
    data = Path(record.path).read_bytes()
    assert data.startswith(b"%PDF")
    assert (record.jenis, record.version, record.archived) == ("rekam_jejak", 1, True)
    assert record.sha256 == hashlib.sha256(data).hexdigest() and record.size == len(data)
    assert record.step_instance_id == inst.id
    from tests.integration.test_compliance_report import pdf_text

    text = " ".join(pdf_text(data, tmp_path).split())  # the record reads as the office speaks
    assert "disetujui" in text and "Sekretaris Daerah" in text and "Bambang" in text
    assert "approved" not in text and "bambang.kusumawardana@example.org" not in text
    assert documents_named("Renja Setda 2027.pdf")[0].archived is True
    # The disposition sheets are working papers, not the run's output.
    assert not any(d.archived for d in documents_named("Lembar Disposisi Langkah 1.pdf"))
    [entry] = audit_entries(action="done", step_instance_id=inst.id)
    assert entry.detail["archived"] == record.name

    before = snapshot()
    again = run.auto("s08_dokumentasikan")  # a retried Airflow task
    assert again.id == inst.id
    assert snapshot() == before


def test_distribute_mails_each_recipient_once_with_the_documents(db_url, tmp_path, mail_sink):
    from sopflow.mail import send_pending

    run = Run("sop04_lkjip", periode="2026")
    final = upload(tmp_path, "LKjIP Setda 2026.pdf", b"%PDF-1.4 LKjIP yang disahkan")
    run.walk(8, uploads={"s05_susun_lkjip": final})
    inst = run.auto("s08_dokumentasikan_kirim")
    [lkjip] = documents_named("LKjIP Setda 2026.pdf")
    [record] = documents_named("Rekam Jejak sop04_lkjip 2026.pdf")

    mails = outbox_rows(kind="distribution")
    expected = {"bagian.organisasi@example.org", "bappeda@example.org", "inspektorat@example.org"}
    assert sorted(m.recipient for m in mails) == sorted(expected)
    assert all(m.attachments == [lkjip.id, record.id] for m in mails)
    assert all(m.key == message_key(run.dag_id, run.run_id, inst.step_id, "", 1, "distribution", m.recipient)
               for m in mails)

    before = snapshot()
    run.auto("s08_dokumentasikan_kirim")
    assert snapshot() == before
    assert len(outbox_rows(kind="distribution")) == 3

    report = send_pending()
    assert report.failed == 0
    received = [m for m in mail_sink.messages() if m["X-Sopflow-Kind"] == "distribution"]
    assert sorted(m["To"] for m in received) == sorted(expected)
    for message in received:
        files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
        assert files["LKjIP Setda 2026.pdf"] == final.read_bytes()
        assert files["Rekam Jejak sop04_lkjip 2026.pdf"] == Path(record.path).read_bytes()
        assert "LKjIP Setda 2026.pdf" in message.get_body(("plain",)).get_content()
    send_pending()  # nothing left to send twice
    assert len([m for m in mail_sink.messages() if m["X-Sopflow-Kind"] == "distribution"]) == 3


# --- document versions ------------------------------------------------------------------------------
def test_same_file_name_in_two_rounds_gives_versions_1_and_2(db_url, tmp_path):
    run = Run("sop02_renja")
    [draft1] = run.open("s05_buat_dokumen")
    v1, v2 = b"PK\x03\x04Renja draf pertama", b"PK\x03\x04Renja draf kedua, sudah direvisi"
    run.done(draft1.id, PERENCANA, file=upload(tmp_path, "Renja Setda 2027.docx", v1))
    [review] = run.open("s06_koreksi_dokumen")
    [draft2] = run.revise(review.id, KABAG, "Perbaiki tabel target").opened
    run.done(draft2.id, PERENCANA, file=upload(tmp_path, "Renja Setda 2027.docx", v2))

    docs = documents_named("Renja Setda 2027.docx")
    assert [(d.version, d.sha256, d.size, d.step_instance_id, d.jenis) for d in docs] == [
        (1, hashlib.sha256(v1).hexdigest(), len(v1), draft1.id, "upload"),
        (2, hashlib.sha256(v2).hexdigest(), len(v2), draft2.id, "upload"),
    ]
    assert [Path(d.path).read_bytes() for d in docs] == [v1, v2]
    [entry] = audit_entries(action="done", step_instance_id=draft2.id)
    assert (entry.detail["document"], entry.detail["version"]) == ("Renja Setda 2027.docx", 2)

    # Versions count per run: the same name in another run starts at 1 again.
    other = Run("sop02_renja", run_id="manual__2028-01-03T02:00:00+00:00", periode="2028")
    [inst] = other.open("s05_buat_dokumen")
    other.done(inst.id, PERENCANA, file=upload(tmp_path, "Renja Setda 2027.docx", v2))
    assert [d.version for d in documents_named("Renja Setda 2027.docx", run_id=other.run_id)] == [1]
