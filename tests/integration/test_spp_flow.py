"""SOP VIII's batch rules on SQLite and PostgreSQL: what a batch takes, the BKU number only at the
PPK's IYA (same number on a retry, none for a bundle sent back), and the day's transmittal."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from sopflow.domain import auto, spp_flow, steps
from sopflow.domain.errors import ActionRefused
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import OutboxMessage, SpjBundle, StepInstance

from tests.integration.test_spj_intake import do_submit, fill, office, read_xlsx, template  # noqa: F401

PPK = "endang.purwaningtyas@example.org"
PA = "bambang.kusumawardana@example.org"
UTC = dt.timezone.utc


def _submit(template, n: int, at: dt.datetime) -> int:
    rows = [[1, dt.date(2027, 3, 15), f"KW-{n:03d}/2027", "5.1.02.01.01.0024", "Alat tulis kantor", "1.000.000",
             "CV Sumber Rejeki", None, None]]
    path = fill(template, header={"Jumlah Total": "1.000.000"}, rows=rows, out=template.with_name(f"ajuan-{n}.xlsx"))
    return do_submit(read_xlsx(path), now=at)


def _batch(run_id: str, cutoff: dt.datetime) -> list[int]:
    off = office()
    with session_scope() as s:
        return spp_flow.collect_batch(s, off, off.sop("sop08_spp"), batch_run_id=run_id, cutoff=cutoff)


def _open(bundle_id: int, step_id: str) -> int:
    off = office()
    sop = off.sop("sop08_spp")
    with session_scope() as s:
        steps.open_step(s, off, sop, sop.step(step_id), dag_id="sop08_spp", run_id=spp_flow.run_key(bundle_id))
        latest = steps.latest_rounds(steps.instances_of(s, "sop08_spp", spp_flow.run_key(bundle_id), step_id))[""]
        return latest.id


def _bundle(bundle_id: int) -> SpjBundle:
    with session_scope() as s:
        b = s.get(SpjBundle, bundle_id)
        s.expunge(b)
        return b


def test_a_batch_takes_what_was_submitted_up_to_the_cutoff_once(db_url, template):
    early = _submit(template, 1, dt.datetime(2027, 3, 15, 0, 30, tzinfo=UTC))
    late = _submit(template, 2, dt.datetime(2027, 3, 15, 2, 0, tzinfo=UTC))  # after 08:00 WIB
    cutoff = dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC)
    assert _batch("scheduled__2027-03-15", cutoff) == [early]
    assert _batch("scheduled__2027-03-15", cutoff) == [early]  # a retried task takes the same
    assert _batch("scheduled__2027-03-16", cutoff + dt.timedelta(days=1)) == [late]  # the next day's
    b = _bundle(early)
    assert (b.status, b.batch_date, b.batch_index) == ("dalam_proses", dt.date(2027, 3, 15), 0)
    with session_scope() as s:  # steps 1-2 recorded from the submission, by the BPP
        done = s.scalars(select(StepInstance).where(StepInstance.run_id == spp_flow.run_key(early))
                         .order_by(StepInstance.step_no)).all()
        assert [(i.step_no, i.status, i.closed_by) for i in done] == [
            (1, "done", "lilis.suryaningsih@example.org"), (2, "done", "lilis.suryaningsih@example.org")]


def test_the_bku_number_comes_with_the_ppks_iya_only(db_url, template):
    first, second = (_submit(template, n, dt.datetime(2027, 3, 15, 0, n, tzinfo=UTC)) for n in (1, 2))
    _batch("manual__b", dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
    off = office()
    review = _open(second, "s06_periksa_persetujuan")
    with session_scope() as s:
        steps.revise(s, off, review, actor=PPK, note="Kuitansi belum bermeterai")
    assert _bundle(second).bku_nomor is None  # sent back: no number taken
    with session_scope() as s:
        [reopened] = [i for i in steps.instances_of(s, "sop08_spp", spp_flow.run_key(second), "s02_verifikasi_bukti")
                      if i.status == "open"]
        assert reopened.candidates == ["lilis.suryaningsih@example.org"]  # the bundle's own BPP

    with session_scope() as s:
        steps.approve(s, off, _open(first, "s06_periksa_persetujuan"), actor=PPK)
    assert _bundle(first).bku_nomor == "0001/BKU/BPP-PK/2027"
    sop = off.sop("sop08_spp")
    for _ in range(2):  # step 7, and a retry of it: the same number
        with session_scope() as s:
            auto.run_auto_step(s, off, sop, sop.step("s07_beri_nomor_bku"), dag_id="sop08_spp",
                               run_id=spp_flow.run_key(first), documents_dir=get_settings().documents_dir)
    assert _bundle(first).bku_nomor == "0001/BKU/BPP-PK/2027"


def test_a_failed_approval_takes_no_number(db_url, template, monkeypatch):
    bundle = _submit(template, 1, dt.datetime(2027, 3, 15, 0, 1, tzinfo=UTC))
    _batch("manual__c", dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
    review = _open(bundle, "s06_periksa_persetujuan")
    off = office()

    real = spp_flow.audit.record

    def broken(*args, **kwargs):  # fails right after the number was taken from the sequence
        if kwargs.get("action") == "nomor_bku":
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    with monkeypatch.context() as m:  # the audit write after the number fails: the whole IYA rolls back
        m.setattr(spp_flow.audit, "record", broken)
        try:
            with session_scope() as s:
                steps.approve(s, off, review, actor=PPK)
        except RuntimeError:
            pass
    assert _bundle(bundle).bku_nomor is None
    with session_scope() as s:
        assert s.get(StepInstance, review).status == "open"  # the IYA rolled back with it
        steps.approve(s, off, review, actor=PPK)
    assert _bundle(bundle).bku_nomor == "0001/BKU/BPP-PK/2027"  # no gap left by the failure


def test_the_transmittal_sends_every_signed_bundle_once(db_url, template):
    ids = [_submit(template, n, dt.datetime(2027, 3, 15, 0, n, tzinfo=UTC)) for n in (1, 2)]
    _batch("manual__d", dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
    off = office()
    sop = off.sop("sop08_spp")
    docs = get_settings().documents_dir
    with session_scope() as s:
        assert spp_flow.send_transmittal(s, off, documents_dir=docs) is None  # nothing signed: no letter
    for bundle in ids:
        with session_scope() as s:
            steps.approve(s, off, _open(bundle, "s06_periksa_persetujuan"), actor=PPK)
        for step_id in ("s07_beri_nomor_bku", "s08_entry_spj_cetak_spp", "s09_cetak_spm_nota_dinas"):
            with session_scope() as s:
                auto.run_auto_step(s, off, sop, sop.step(step_id), dag_id="sop08_spp",
                                   run_id=spp_flow.run_key(bundle), documents_dir=docs)
    with session_scope() as s:
        try:
            steps.approve(s, off, _open(ids[0], "s12_tandatangani_spm"), actor=PPK)
            raise AssertionError("the PPK may not sign for the PA")
        except ActionRefused:
            pass
    with session_scope() as s:
        steps.approve(s, off, _open(ids[0], "s12_tandatangani_spm"), actor=PA)
    waiting = _open(ids[0], "s13_kirim_ke_bpkad")
    with session_scope() as s:
        sent = spp_flow.send_transmittal(s, off, documents_dir=docs, now=dt.datetime(2027, 3, 16, 7, tzinfo=UTC))
    assert (sent.label, sent.bundles, sent.recipients) == ("2027-03-16/1", [ids[0]], ["bpkad@example.org"])
    assert any(n.startswith("Surat Pengantar BPKAD 16-03-2027") for n in sent.documents)
    assert any(n.startswith("SPM-GU_0001-BKU-BPP-PK-2027") for n in sent.documents)
    with session_scope() as s:
        assert s.get(StepInstance, waiting).status == "done"
        assert spp_flow.send_transmittal(s, off, documents_dir=docs) is None  # sent once, not twice
        messages = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "transmittal")).all()
        assert [m.recipient for m in messages] == ["bpkad@example.org"]
        told = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "spj_dikirim")).all()
        assert [(m.recipient, "0001/BKU/BPP-PK/2027" in m.subject) for m in told] == [
            ("lilis.suryaningsih@example.org", True)]
        assert s.scalar(select(func.count()).select_from(SpjBundle).where(SpjBundle.status == "dikirim")) == 1
    # The second bundle, signed later the same day, goes in that day's second letter.
    with session_scope() as s:
        steps.approve(s, off, _open(ids[1], "s12_tandatangani_spm"), actor=PA)
    with session_scope() as s:
        later = spp_flow.send_transmittal(s, off, documents_dir=docs, now=dt.datetime(2027, 3, 16, 8, tzinfo=UTC))
    assert (later.label, later.bundles) == ("2027-03-16/2", [ids[1]])
    with session_scope() as s:  # its step 13 had not opened yet: recorded done, it never waits
        [inst] = steps.instances_of(s, "sop08_spp", spp_flow.run_key(ids[1]), "s13_kirim_ke_bpkad")
        assert inst.status == "done"


def test_register_and_bku_extract_list_the_numbered_bundles(db_url, template, tmp_path):
    import io

    from openpyxl import load_workbook

    from tests.integration.test_spj_intake import cli

    ids = [_submit(template, n, dt.datetime(2027, 3, 15, 0, n, tzinfo=UTC)) for n in (1, 2, 3)]
    _batch("manual__e", dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC))
    off = office()
    for bundle in ids[:2]:  # the third is still with the PPK: not in the registers
        with session_scope() as s:
            steps.approve(s, off, _open(bundle, "s06_periksa_persetujuan"), actor=PPK)
    out = cli("spj", "register", "bku", "--tahun", "2027", "--output", "bku.xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bku.xlsx: 2 SPJ bernomor BKU, Tahun Anggaran 2027"
    rows = list(load_workbook(io.BytesIO((tmp_path / "bku.xlsx").read_bytes())).active.iter_rows(values_only=True))
    assert [(r[1], r[4], r[5]) for r in rows[2:]] == [
        ("0001/BKU/BPP-PK/2027", 1000000, -1000000), ("0002/BKU/BPP-PK/2027", 1000000, -2000000)]
    out = cli("spj", "register", "spp-spm", "--tahun", "2027", cwd=tmp_path)
    assert out.returncode == 0 and (tmp_path / "register-spp-spm-2027.xlsx").exists()
    rows = list(load_workbook(tmp_path / "register-spp-spm-2027.xlsx").active.iter_rows(values_only=True))
    assert [(r[0], r[4], r[7]) for r in rows[1:]] == [(1, "GU", "0001/BKU/BPP-PK/2027"), (2, "GU", "0002/BKU/BPP-PK/2027")]


def test_a_transmittal_too_big_for_one_mail_goes_as_parts():
    from types import SimpleNamespace as D

    letter, register = D(name="letter", size=100), D(name="register", size=50)
    a, b, c = [D(name="a1", size=600), D(name="a2", size=300)], [D(name="b1", size=700)], [D(name="c1", size=5000)]
    parts = spp_flow.pack_mails([letter, register], [a, b, c], limit=1200)
    # the letter and register open mail 1; each bundle's papers stay together; an oversized bundle alone
    assert [[d.name for d in p] for p in parts] == [["letter", "register", "a1", "a2"], ["b1"], ["c1"]]
    assert spp_flow.pack_mails([letter, register], [a, b], limit=10**9) == [[letter, register, *a, *b]]


def test_a_run_can_bind_only_holders_of_the_role(db_url):
    """A run's `pelaksana` narrows a role to some of its holders; it never hands a step to someone
    outside the role (a trigger's conf cannot route the Sekda's signature elsewhere)."""
    off = office()
    sop = off.sop("sop02_renja")
    with session_scope() as s:
        steps.ensure_run(s, sop=sop, dag_id=sop.id, run_id="manual__x", periode="Tahun 2027",
                         params={"pelaksana": {"sekda": ["penyusup@example.org"]}})
        [inst] = steps.open_step(s, off, sop, sop.steps[0], dag_id=sop.id, run_id="manual__x")
        assert inst.candidates == [p.email for p in off.staff.members("sekda")]


def test_the_run_name_of_any_bundle_fits_its_column(db_url, template):
    """The bundle's name goes in sop_run.periode (50 characters, enforced by PostgreSQL)."""
    from sopflow.store.models import SopRun

    bundle = SpjBundle(id=2_000_000_000, jenis_spp="LS", tahun_anggaran=2027)
    assert len(spp_flow.bundle_periode(bundle)) <= SopRun.__table__.c.periode.type.length
    rows = [[1, dt.date(2027, 3, 15), "KW-9/2027", "5.1.02.01.01.0024", "Gedung", "9.876.543.210,99", "PT Besar", None, None]]
    path = fill(template, header={"Jumlah Total": "9.876.543.210,99"}, rows=rows, out=template.with_name("besar.xlsx"))
    big = do_submit(read_xlsx(path), now=dt.datetime(2027, 3, 15, 0, 1, tzinfo=UTC))
    assert _batch("manual__f", dt.datetime(2027, 3, 15, 1, 0, tzinfo=UTC)) == [big]
    with session_scope() as s:
        run = s.scalar(select(SopRun).where(SopRun.run_id == spp_flow.run_key(big)))
        assert run.periode == f"SPJ {big} SPP-GU Tahun Anggaran 2027"
