"""The Renja (SOP II) walked from the mails and the pages alone, in Chromium, while Airflow runs it:
each person opens the link in the task mail the SMTP sink received and acts on the page; the
Kabag sends the draft back once; a Plh added by an admin on the delegation page approves for the
absent Kabag; the Sekda signs and the Airflow run ends in success. Then the dashboard shows an
overdue step of another SOP. Screenshots of the main pages are kept in test-artifacts/browser/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess

import pytest
from sqlalchemy import select

from conftest import ARTIFACTS, Stack
from harness import BIN, REPO
from sopflow.domain.period import JAKARTA

pytestmark = pytest.mark.browser

SEKDA = "bambang.kusumawardana@example.org"
KABAG = "retno.wulandarsih@example.org"
PERENCANA = "agus.nugrahanto@example.org"
TIM = "fajar.hidayatullah@example.org"
PLH_KABAG = "sugeng.santosa@example.org"
ADMIN = "admin.sopflow@example.org"
DRAFT = REPO / "docs" / "contoh" / "draf-renja-2027.pdf"
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, stack: Stack, email: str, seen: set) -> None:
    """Passwordless sign-in through the mailed link (the one asked for now, not an older one)."""
    seen.update(m["Message-ID"] for m in stack.messages())
    page.goto(stack.base_url + "/masuk")
    page.fill("#email", email)
    page.click("text=Kirim tautan masuk")
    page.wait_for_selector("text=tautan masuk telah dikirim")
    page.goto(Stack.link_in(stack.wait_for_mail(email, "Tautan masuk", seen)))
    page.click("button:has-text('Masuk')")
    page.wait_for_selector("h1:has-text('Tugas saya')")


def test_renja_from_mail_links_to_success(stack, browser):
    from sopflow.store.db import session_scope
    from sopflow.store.models import AuditEntry, StepInstance

    log_path = stack.files / "airflow-sop02.log"
    with open(log_path, "w") as log:
        airflow = subprocess.Popen(["timeout", "-s", "KILL", "900", str(BIN / "airflow"), "dags", "test",
                                    "sop02_renja", "-c", json.dumps({})], env=stack.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    seen: set = set()
    people = browser.new_context(viewport=PHONE)
    page = people.new_page()

    def open_task(to: str, subject_has: str) -> None:
        page.goto(Stack.link_in(stack.wait_for_mail(to, subject_has, seen)))
        page.wait_for_selector("h1:has-text('Langkah')")

    def done(note: str | None = None, file=None) -> None:
        if note:
            page.fill("#catatan", note)
        if file:
            page.set_input_files("#berkas", str(file))
        page.click("button[value=selesai]")
        page.wait_for_selector("text=Terima kasih")

    try:
        open_task(SEKDA, "Langkah 1:")
        done("Disposisi ke Kabag")
        open_task(KABAG, "Langkah 2:")
        done()
        open_task(PERENCANA, "Langkah 3:")
        done()
        open_task(TIM, "Langkah 4:")
        done("Bahan Renja terlampir")
        open_task(PERENCANA, "Langkah 5:")
        shot(page, "01-tugas-perencana")
        done("Draf pertama", DRAFT)
        assert "Langkah 5 selesai" in page.content()

        open_task(KABAG, "Langkah 6:")
        assert "draf-renja-2027.pdf" in page.content()  # the draft is listed on the reviewer's page
        page.fill("#catatan", "Target kinerja belum sesuai Renstra")
        shot(page, "02-koreksi-kabag")
        page.click("button[value=tidak]")
        page.wait_for_selector("text=Dikembalikan untuk revisi")
        shot(page, "03-sesudah-revisi")

        open_task(PERENCANA, "Revisi ke-1")
        assert "Target kinerja belum sesuai Renstra" in page.content()
        done("Target sudah disesuaikan", DRAFT)

        # The Kabag is away: an admin adds her Plh for today on the delegation page.
        admin = browser.new_context().new_page()
        sign_in(admin, stack, ADMIN, seen)
        admin.goto(stack.base_url + "/admin/delegasi")
        today = dt.datetime.now(JAKARTA).date().isoformat()  # the office's day, not UTC's
        admin.select_option("select[name=person]", "kabag_perencanaan_keuangan")
        admin.select_option("select[name=delegate]", "kabag_umum")
        admin.select_option("select[name=jenis]", "Plh")
        admin.fill("input[name=mulai]", today)
        admin.fill("input[name=sampai]", today)
        admin.click("button:has-text('Simpan')")
        admin.wait_for_load_state()
        shot(admin, "04-delegasi")

        # The Plh gets the open review by mail and approves for the Kabag.
        open_task(PLH_KABAG, "Langkah 6:")
        assert "sebagai Plh/Plt untuk" in page.content()
        page.click("button[value=iya]")
        page.wait_for_selector("text=Keputusan IYA dicatat")

        # Airflow moves on: step 7 is opened by the DAG and the Sekda is asked to sign.
        open_task(SEKDA, "Langkah 7:")
        page.click("button[value=iya]")
        page.wait_for_selector("text=Keputusan IYA dicatat")
        airflow.wait(timeout=600)
    finally:
        if airflow.poll() is None:  # the whole group: `timeout` and the airflow process under it
            os.killpg(airflow.pid, signal.SIGKILL)
            airflow.wait()
        people.close()
    output = log_path.read_text(errors="replace")
    assert airflow.returncode == 0, output[-3000:]

    with session_scope() as s:
        review = s.scalars(select(StepInstance).where(StepInstance.step_id == "s06_koreksi_dokumen")
                           .order_by(StepInstance.round)).all()
        approved = s.scalars(select(AuditEntry).where(AuditEntry.action == "approved",
                                                      AuditEntry.step_instance_id == review[-1].id)).one()
    assert [(r.round, r.status) for r in review] == [(1, "revised"), (2, "approved")]
    assert (review[-1].closed_by, review[-1].on_behalf_of) == (PLH_KABAG, KABAG)
    assert (approved.actor, approved.source, approved.detail["on_behalf_of"]) == (PLH_KABAG, "web", KABAG)


def test_dashboard_shows_the_overdue_step(stack, browser):
    from sopflow.domain import steps
    from sopflow.domain.office import load_office
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    office = load_office(get_settings().config_dir)
    sop = office.sop("sop04_lkjip")
    opened = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=21)
    with session_scope() as s:
        steps.ensure_run(s, sop=sop, dag_id=sop.id, run_id="manual__terlambat", periode="Tahun 2026", params={})
        [inst] = steps.open_step(s, office, sop, sop.steps[0], dag_id=sop.id, run_id="manual__terlambat", now=opened)
        holder = office.staff.by_email(inst.assignee_email).nama

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, stack, ADMIN, set())
    page.goto(stack.base_url + "/admin")
    row = page.locator("tr", has_text=sop.nama)
    assert "TERLAMBAT" in row.inner_text() and holder in row.inner_text()
    shot(page, "05-dasbor")
    row.locator("a").first.click()
    page.wait_for_selector("ol.linimasa")
    shot(page, "06-linimasa")
    page.goto(stack.base_url + "/admin/audit")
    shot(page, "07-audit")
    assert "opened" in page.content()
