"""SOP VIII as a daily batch: which bundles a batch takes, what the system does at the payment
steps, and the day's transmittal to BPKAD.

Each SPJ bundle is its own domain run, `spj-<id>` under dag `sop08_spp`, whatever batch carries
it, so its history, task pages and documents stay together. The Airflow batch run maps one task
group over the bundles it took; each mapped task finds its bundle by (batch run, map index).

- `collect_batch`: the bundles submitted up to the cut-off and in no batch yet; steps 1-2 (the
  BPP prepared and verified the SPJ) are recorded as done at the submission.
- `check_before_review` (step 4's `cek_otomatis`): the bundle against config/spp.yaml; what is
  missing goes back to the BPP with a Form Koreksi Ajuan.
- `on_approve` (`saat_iya`): the BKU number at the PPK's IYA (step 6), in that transaction;
  the bundle marked signed at the PA's (step 12).
- `run_action` (auto steps 7-9): the BKU number written on the SPJ, then the SPP and SPM papers
  numbered and rendered.
- `send_transmittal`: every signed bundle in one mail to BPKAD (Surat Pengantar, the documents,
  the register), closing their step 13; each BPP is told, with the bundle's numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sopflow.domain import audit, bku, documents, outbox, steps
from sopflow.domain.office import Office
from sopflow.domain.period import JAKARTA
from sopflow.domain.sop import SopDefinition, Step
from sopflow.domain.spp_checklist import SppConfig, completeness, spp_config
from sopflow.domain.spp_documents import BundleData, Finding, Line, Official, signatories_from_staff, total_of
from sopflow.store.models import SopRun, SpjBundle, StepInstance

DAG_ID = "sop08_spp"
RUN_KEY = re.compile(r"^spj-(\d+)$")
# Airflow maps a task over at most 1024 items (max_map_length): the rest wait for the next batch.
MAX_PER_BATCH = 1000
# Documents rendered at the auto steps, by action: (kind of render.spp, jenis in the registry).
RENDERED = {
    "dokumen_spp": ("spp", "pengesahan_spj"),
    "dokumen_spm": ("spm", "nota_dinas_spm", "sptjm_spm", "rekap_spm", "suket_pencairan"),
}
GENERATED_JENIS = tuple(k for kinds in RENDERED.values() for k in kinds)


def attachable_documents(config: SppConfig) -> list[str]:
    """The document kinds a BPP attaches: those config/spp.yaml names, less the papers sopflow
    renders itself at steps 8-9 (a BPP uploading an SPM of their own would only confuse)."""
    from sopflow.domain.spp_checklist import doc_key
    from sopflow.domain.spp_documents import DOCUMENT_KINDS

    rendered = {doc_key(DOCUMENT_KINDS[k]) for k in GENERATED_JENIS} | {doc_key("SPM")}
    return [name for key, name in config.known_documents().items() if key not in rendered]


def run_key(bundle_id: int) -> str:
    return f"spj-{bundle_id}"


def bundle_of(session: Session, run_id: str, *, lock: bool = False) -> SpjBundle:
    m = RUN_KEY.match(run_id or "")
    bundle = session.get(SpjBundle, int(m.group(1)), with_for_update=lock) if m else None
    if bundle is None:
        raise LookupError(f"run {run_id!r} is not an SPJ bundle of {DAG_ID}")
    return bundle


def bundle_at(session: Session, batch_run_id: str, index: int) -> SpjBundle:
    """The bundle a mapped task of a batch run works on."""
    bundle = session.scalar(select(SpjBundle).where(SpjBundle.run_id == batch_run_id,
                                                    SpjBundle.batch_index == index))
    if bundle is None:
        raise LookupError(f"batch {batch_run_id!r} has no bundle at index {index}")
    return bundle


def bundle_params(bundle: SpjBundle) -> dict:
    """The domain run's parameters: what mails and pages show, and the BPP who holds its BPP steps."""
    return {"bundle_id": bundle.id, "jenis_spp": bundle.jenis_spp, "jumlah": str(bundle.total),
            "uraian": bundle.uraian, "tahun_anggaran": bundle.tahun_anggaran,
            "pelaksana": {"bpp": [bundle.bendahara_email]}}


# --- the batch -----------------------------------------------------------------------------------

def collect_batch(session: Session, office: Office, sop: SopDefinition, *, batch_run_id: str,
                  cutoff: dt.datetime) -> list[int]:
    """Take every bundle submitted up to `cutoff` that is in no batch, in submission order.
    A retry of the same batch run returns the bundles it took the first time."""
    taken = list(session.scalars(select(SpjBundle.id).where(SpjBundle.run_id == batch_run_id)
                                 .order_by(SpjBundle.batch_index)))
    if taken:
        return taken
    query = (select(SpjBundle).where(SpjBundle.status == "diajukan", SpjBundle.run_id.is_(None),
                                     SpjBundle.submitted_at <= cutoff).order_by(SpjBundle.id).limit(MAX_PER_BATCH))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two batch runs never take one bundle
    bundles = list(session.scalars(query))
    batch_date = cutoff.astimezone(JAKARTA).date()
    for index, bundle in enumerate(bundles):
        bundle.status, bundle.dag_id, bundle.run_id = "dalam_proses", DAG_ID, batch_run_id
        bundle.batch_index, bundle.batch_date = index, batch_date
        start_bundle(session, office, sop, bundle)
    audit.record(session, actor="system", action="spj_batch", source="airflow", dag_id=DAG_ID, run_id=batch_run_id,
                 detail={"bundles": [b.id for b in bundles], "cutoff": cutoff.isoformat()})
    session.flush()
    return [b.id for b in bundles]


def bundle_periode(bundle: SpjBundle) -> str:
    """The run's "periode" names the bundle, so every mail and page of it says which SPJ it is about.
    No amount: `sop_run.periode` holds 50 characters (PostgreSQL refuses more), this at most 41."""
    return f"SPJ {bundle.id} SPP-{bundle.jenis_spp} Tahun Anggaran {bundle.tahun_anggaran}"


def start_bundle(session: Session, office: Office, sop: SopDefinition, bundle: SpjBundle) -> SopRun:
    """The bundle's domain run, with steps 1 and 2 done by the BPP at the submission."""
    run = steps.ensure_run(session, sop=sop, dag_id=DAG_ID, run_id=run_key(bundle.id), periode=bundle_periode(bundle),
                           params=bundle_params(bundle))
    for step in sop.steps[:2]:
        steps.record_done(session, office, sop, step, dag_id=DAG_ID, run_id=run.run_id, actor=bundle.bendahara_email,
                          at=bundle.submitted_at, note=f"SPJ {bundle.id} diajukan", source="spj")
    return run


# --- documents -----------------------------------------------------------------------------------

def _bendahara(office: Office, bundle: SpjBundle):
    """The bundle's BPP from staff.yaml, or (moved away since submitting) as the bundle recorded them:
    a transfer must not stop the bundle's papers, nor the day's transmittal of everyone else's."""
    person = office.staff.by_email(bundle.bendahara_email)
    if person is None:
        from types import SimpleNamespace

        return SimpleNamespace(nama=bundle.bendahara_email, nip="-", jabatan="Bendahara Pengeluaran Pembantu",
                               kode=None, id=bundle.bendahara_email.split("@")[0])
    return person


def bendahara_code(office: Office, bundle: SpjBundle) -> str:
    """The BKU sequence of the bundle's BPP: their `kode` in staff.yaml, else their id."""
    person = _bendahara(office, bundle)
    return person.kode or person.id


def bundle_data(office: Office, bundle: SpjBundle, findings: tuple[Finding, ...] = ()) -> BundleData:
    lines = tuple(Line(tanggal=l.tanggal, nomor_bukti=l.nomor_bukti, kode_rekening=l.kode_rekening, uraian=l.uraian,
                       jumlah=l.jumlah, penerima=l.penerima, ppn=l.ppn, pph=l.pph) for l in bundle.lines)
    if not lines:  # an SPP-UP/TU without receipts: the request itself is the one line printed
        lines = (Line(tanggal=bundle.submitted_at.astimezone(JAKARTA).date(), nomor_bukti=f"SPJ-{bundle.id}",
                      kode_rekening="-", uraian=bundle.uraian, jumlah=bundle.total, penerima="-"),)
    status = {"dikirim": "dikirim ke BPKAD", "ditandatangani": "ditandatangani PA"}.get(bundle.status, bundle.status)
    return BundleData(
        jenis_spp=bundle.jenis_spp, tahun_anggaran=bundle.tahun_anggaran,
        tanggal=(bundle.batch_date or bundle.submitted_at.astimezone(JAKARTA).date()),
        sub_kegiatan=bundle.sub_kegiatan, uraian=bundle.uraian, bendahara=Official.of(_bendahara(office, bundle)),
        lines=lines, signatories=signatories_from_staff(office.staff), nomor_spp=bundle.nomor_spp,
        nomor_spm=bundle.nomor_spm, nomor_bku=bundle.bku_nomor, findings=findings,
        penerima=(lines[0].penerima if bundle.jenis_spp == "LS" else None), status=status, kode=run_key(bundle.id),
    )


def _config(office: Office) -> SppConfig:
    from sopflow.settings import get_settings

    return spp_config(get_settings().config_dir)


def _register(session: Session, inst: StepInstance, name: str, data: bytes, jenis: str):
    from sopflow.settings import get_settings

    return documents.register(session, get_settings().documents_dir, dag_id=inst.dag_id, run_id=inst.run_id,
                              name=name, data=data, jenis=jenis, created_by="system", step_instance_id=inst.id)


# --- the system's part in the steps ----------------------------------------------------------------

def check_before_review(session: Session, office: Office, sop: SopDefinition, step: Step, inst: StepInstance,
                        run: SopRun, now: dt.datetime) -> tuple[str, tuple[str, bytes, str]] | None:
    """Step 4: None when the bundle has all config/spp.yaml asks for (the Verifikator is asked);
    else the note and the filled Form Koreksi Ajuan (PDF) it goes back to the BPP with."""
    from sopflow.render import spp as render_spp

    bundle = bundle_of(session, run.run_id, lock=True)
    findings = [Finding(f.dokumen, f.masalah) for f in
                completeness(bundle, [a.jenis for a in bundle.attachments], _config(office), tahap="ajuan")]
    bundle.koreksi = [{"dokumen": f.dokumen, "masalah": f.masalah} for f in findings]
    if not findings:
        bundle.status = "dalam_proses"
        return None
    bundle.status = "dikembalikan"
    data = bundle_data(office, bundle, tuple(findings))
    note = "Kelengkapan SPJ belum memenuhi (Form Koreksi Ajuan terlampir): " + "; ".join(str(f) for f in findings)
    return note, (render_spp.file_name("form_koreksi_ajuan", data), render_spp.render_pdf("form_koreksi_ajuan", data),
                  "form_koreksi_ajuan")


def on_approve(session: Session, office: Office, step: Step, inst: StepInstance, now: dt.datetime) -> None:
    """What an IYA causes, in the IYA's own transaction (the step's `saat_iya`)."""
    bundle = bundle_of(session, inst.run_id, lock=True)
    if "nomor_bku" in step.saat_iya:
        _give_bku_number(session, office, bundle, inst)
    if "ditandatangani" in step.saat_iya:
        bundle.status, bundle.signed_at = "ditandatangani", now
        audit.record(session, actor=inst.closed_by or "system", action="spj_ditandatangani", source="system",
                     instance=inst, detail={"bundle_id": bundle.id})


def _give_bku_number(session: Session, office: Office, bundle: SpjBundle, inst: StepInstance) -> str:
    number = bku.assign_number(session, fiscal_year=bundle.tahun_anggaran, bendahara=bendahara_code(office, bundle),
                               subject_key=run_key(bundle.id), fmt=_config(office).nomor_bku)
    if bundle.bku_nomor != number.nomor:
        bundle.bku_nomor = number.nomor
        audit.record(session, actor="system", action="nomor_bku", source="system", instance=inst,
                     detail={"bundle_id": bundle.id, "nomor_bku": number.nomor, "urut": number.number})
    return number.nomor


def _register_number(session: Session, office: Office, bundle: SpjBundle, series: str, fmt: str) -> str:
    """The SPP or SPM register number: one gapless sequence per type and fiscal year."""
    return bku.assign_number(session, fiscal_year=bundle.tahun_anggaran, bendahara=f"{series}-{bundle.jenis_spp}",
                             subject_key=run_key(bundle.id), fmt=fmt).nomor


def run_action(session: Session, office: Office, step: Step, inst: StepInstance, action: str) -> dict:
    """An auto step's SOP VIII action; returns what the audit entry records."""
    from sopflow.render import spp as render_spp

    bundle = bundle_of(session, inst.run_id, lock=True)
    config = _config(office)
    if action == "nomor_bku":
        return {"nomor_bku": _give_bku_number(session, office, bundle, inst)}
    if action in RENDERED:
        if action == "dokumen_spp":
            bundle.nomor_spp = bundle.nomor_spp or _register_number(session, office, bundle, "SPP", config.nomor_spp)
        else:
            bundle.nomor_spm = bundle.nomor_spm or _register_number(session, office, bundle, "SPM", config.nomor_spm)
        data = bundle_data(office, bundle)
        names = []
        for kind in RENDERED[action]:
            doc = _register(session, inst, render_spp.file_name(kind, data), render_spp.render_pdf(kind, data), kind)
            names.append(doc.name)
        return {"nomor_spp": bundle.nomor_spp, "nomor_spm": bundle.nomor_spm, "dokumen": names}
    raise ValueError(f"unknown SOP VIII action {action!r}")


# --- the day's transmittal to BPKAD -------------------------------------------------------------------

def pack_mails(first: list, groups: list[list], limit: int) -> list[list]:
    """The attachments split into mails of at most `limit` bytes where that can be: `first` (the
    letter and the register) opens the first mail, each group (one bundle's papers) stays whole in
    one mail, in order. A group bigger than the limit alone goes in a mail of its own."""
    parts, current, size = [], list(first), sum(d.size for d in first)
    for group in groups:
        extra = sum(d.size for d in group)
        if current and size + extra > limit and (len(parts) or len(current) > len(first)):
            parts.append(current)
            current, size = [], 0
        current += group
        size += extra
    return parts + [current] if current else parts


@dataclass(frozen=True)
class Sent:
    label: str
    bundles: list[int]
    recipients: list[str]
    documents: list[str]


def send_transmittal(session: Session, office: Office, *, now: dt.datetime | None = None,
                     documents_dir: Path) -> Sent | None:
    """Every bundle the PA has signed and that has not gone yet, in one mail to BPKAD with the
    Surat Pengantar, the batch register and each bundle's papers; their step 13 is done. None
    when nothing is signed (no letter on a day without SPM)."""
    from sopflow.render import spp as render_spp
    from sopflow.render.templates import render

    now = now or dt.datetime.now(dt.timezone.utc)
    config = _config(office)
    query = select(SpjBundle).where(SpjBundle.status == "ditandatangani").order_by(SpjBundle.signed_at, SpjBundle.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    bundles = list(session.scalars(query))
    if not bundles:
        return None
    tanggal = now.astimezone(JAKARTA).date()
    earlier = session.scalar(select(func.count(func.distinct(SpjBundle.transmittal)))
                             .where(SpjBundle.transmittal.like(f"{tanggal.isoformat()}/%")))
    label = f"{tanggal.isoformat()}/{earlier + 1}"
    run_id = f"kirim-{label.replace('/', '-')}"
    for bundle in bundles:
        bundle.status = "dikirim"  # the register prints where each bundle stands now
    datas = [bundle_data(office, b) for b in bundles]

    def keep(name: str, data: bytes, jenis: str):
        return documents.register(session, documents_dir, dag_id=DAG_ID, run_id=run_id, name=name, data=data,
                                  jenis=jenis, created_by="system")

    letter = keep(f"Surat Pengantar BPKAD {tanggal:%d-%m-%Y}.pdf", render_spp.transmittal_letter_pdf(tanggal, datas),
                  "surat_pengantar")
    register = keep(f"Register SPP-SPM {tanggal:%d-%m-%Y}.xlsx",
                    render_spp.register_xlsx(datas, title=f"Register SPP-SPM {tanggal:%d-%m-%Y}"), "register_spp")
    per_bundle = [[d for d in documents.run_documents(session, DAG_ID, run_key(b.id)) if d.jenis in GENERATED_JENIS]
                  + [a.document for a in b.attachments] for b in bundles]
    parts = pack_mails([letter, register], per_bundle, config.batas_email_mb * 1024 * 1024)
    attached = [d for part in parts for d in part]
    recipients = office.staff.recipient_emails(config.penerima_bpkad)
    for number, part in enumerate(parts, start=1):
        context = dict(tanggal=tanggal, bundles=datas, total=total_of(datas), documents=[d.name for d in part],
                       label=label, bagian=number, jumlah_bagian=len(parts))
        for email in recipients:
            outbox.enqueue(session, key=outbox.message_key(DAG_ID, run_id, "transmittal", number, email),
                           kind="transmittal", recipient=email,
                           subject=render("email/transmittal.subject.txt", **context).strip(),
                           body_text=render("email/transmittal.txt", **context),
                           body_html=render("email/transmittal.html", **context),
                           attachments=[d.id for d in part], dag_id=DAG_ID, run_id=run_id)
    sop = office.sop(DAG_ID)
    sending = next(s for s in sop.steps if "kirim_bpkad" in s.actions)
    note = f"Dikirim ke BPKAD dalam surat pengantar {label}"
    for bundle, data in zip(bundles, datas):  # each BPP hears that their SPJ went, with its numbers
        mine = dict(b=data, nama=data.bendahara.nama, label=label, tanggal=tanggal)
        outbox.enqueue(session, key=outbox.message_key(DAG_ID, run_key(bundle.id), "dikirim", label, bundle.bendahara_email),
                       kind="spj_dikirim", recipient=bundle.bendahara_email,
                       subject=render("email/spj_dikirim.subject.txt", **mine).strip(),
                       body_text=render("email/spj_dikirim.txt", **mine), body_html=render("email/spj_dikirim.html", **mine),
                       dag_id=DAG_ID, run_id=run_key(bundle.id))
    for bundle in bundles:
        bundle.sent_at, bundle.transmittal = now, label
        waiting = [i for i in steps.instances_of(session, DAG_ID, run_key(bundle.id), sending.id) if i.status == "open"]
        for inst in waiting:
            inst.status, inst.closed_at, inst.closed_by, inst.note = "done", now, "system", note
            audit.record(session, actor="system", action="done", source="system", instance=inst,
                         detail={"transmittal": label, "recipients": recipients})
        if not waiting:  # signed a moment before its step 13 opened: recorded done, so it never waits
            if steps.record_done(session, office, sop, sending, dag_id=DAG_ID, run_id=run_key(bundle.id),
                                 actor="system", at=now, note=note, source="system") is None:
                for inst in steps.instances_of(session, DAG_ID, run_key(bundle.id), sending.id):
                    if inst.status == "open":  # it opened in between: close it as above
                        inst.status, inst.closed_at, inst.closed_by, inst.note = "done", now, "system", note
    audit.record(session, actor="system", action="spj_dikirim", source="system", dag_id=DAG_ID, run_id=run_id,
                 detail={"bundles": [b.id for b in bundles], "recipients": recipients, "label": label})
    return Sent(label, [b.id for b in bundles], recipients, [d.name for d in attached])


# --- registers -------------------------------------------------------------------------------------

def numbered_bundles(session: Session, office: Office, tahun: int, bpp: str | None = None) -> list[BundleData]:
    """The bundles of a fiscal year that have a BKU number (optionally one BPP's), in BKU order:
    what the SPP/SPM register and the BKU extract list."""
    query = select(SpjBundle).where(SpjBundle.tahun_anggaran == tahun, SpjBundle.bku_nomor.is_not(None))
    if bpp:
        query = query.where(SpjBundle.bendahara_email == bpp.strip().lower())
    bundles = sorted(session.scalars(query), key=lambda b: (b.bendahara_email, b.bku_nomor))
    return [bundle_data(office, b) for b in bundles]
