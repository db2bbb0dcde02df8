"""The admin pages through the real web app and real databases: the dashboard's numbers, filters
and overdue badge, a run's timeline, the audit log and its CSV, and Plh/Plt delegations with the
hand-over mail. Everyone but a signed-in admin is refused, and every refusal is in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from urllib.parse import quote

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from sopflow.domain import delegation, links, progress
from sopflow.domain.office import load_office
from sopflow.domain.period import JAKARTA
from sopflow.settings import get_settings
from sopflow.store.db import session_scope
from sopflow.store.models import AuditEntry, DelegationRecord
from sopflow.web.app import create_app
from test_lifecycle import KABAG, PERENCANA, TIM, Run, counts_and_statuses, snapshot

ADMIN = "admin.sopflow@example.org"
PLH = "wiwik.handayaningrum@example.org"  # Kepala Bagian Hukum, made Plh of the Kabag in the tests
HUKUM = "rizky.permana@example.org"  # Perencana Pembantu of Bagian Hukum
NOW = dt.datetime(2026, 11, 5, 10, 0, tzinfo=JAKARTA)  # a Thursday
OPENED = dt.datetime(2026, 11, 3, 9, 0, tzinfo=JAKARTA)  # Tuesday: 420 working minutes -> due 16:00 that day
RUN_LINK = re.compile(r'href="/sop/admin/run/([^/"]+)/([^"]+)"')


@pytest.fixture
def client(sopflow_home) -> TestClient:
    return TestClient(create_app(), base_url="http://testserver/sop", root_path="/sop")


def sign_in(client: TestClient, email: str) -> None:
    client.cookies.set("sopflow_sesi", links.session_cookie(get_settings().secret_key, email), path="/sop")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def listed_runs(html: str) -> set[str]:
    return {run_id for _, run_id in RUN_LINK.findall(html)}


def audit(action: str) -> list[AuditEntry]:
    with session_scope() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def delegation_records() -> list[DelegationRecord]:
    with session_scope() as s:
        return list(s.scalars(select(DelegationRecord).order_by(DelegationRecord.id)))


def renja_at_draft(run_id: str = "manual__A", periode: str = "2027", opened: dt.datetime | None = None) -> Run:
    """A Renja run with steps 1-4 done and step 5 (the Perencana drafts) open."""
    run = Run("sop02_renja", run_id=run_id, periode=periode)
    run.walk(5)
    run.open("s05_buat_dokumen", now=opened)
    return run


# --- dashboard -------------------------------------------------------------------------------------
def test_dashboard_counts_steps_and_shows_the_overdue_badge(db_url, client):
    with time_machine.travel(NOW, tick=False):
        run = renja_at_draft(opened=OPENED)
        sign_in(client, ADMIN)
        response = client.get("/admin")
        with session_scope() as s:
            [row] = progress.runs(s, load_office(get_settings().config_dir))
    assert response.status_code == 200, response.text
    # Hand-checked: steps 1-4 done of Renja's 8; step 5 due Tue 3 Nov 16:00, and by Thu 10:00 the
    # office has worked all of Wed (07:30-16:00, 510 min) and 150 min of Thu: 660 min = 11 hours.
    assert (row.done, row.total, row.finished, row.revisions) == (4, 8, False, 0)
    assert row.done == sum(run.resolved(step.id) for step in run.sop.steps)
    [holder] = row.current
    assert (holder.step_no, holder.overdue, holder.overdue_minutes) == (5, True, 660)
    assert holder.due_at == dt.datetime(2026, 11, 3, 16, 0, tzinfo=JAKARTA)
    assert "4 dari 8 langkah" in response.text
    assert "TERLAMBAT 11 jam" in response.text
    assert "Agus Setyo Nugrahanto" in response.text and "Langkah 5:" in response.text
    assert "03-11-2026 09.00 WIB" in response.text and "03-11-2026 16.00 WIB" in response.text
    assert listed_runs(response.text) == {"manual__A"}


def test_filters_narrow_the_list(db_url, client, tmp_path):
    renja_at_draft("manual__A", "2027")
    done = Run("sop02_renja", run_id="manual__B", periode="2026")
    done.walk(9)
    monev = Run("sop07_monev_kinerja", run_id="manual__C", periode="Triwulan III 2026")
    monev.walk(3)
    assert len(monev.open("s03_susun_laporan_bagian")) == 6  # one per Bagian
    sign_in(client, ADMIN)

    def shown(**query) -> set[str]:
        response = client.get("/admin", params=query)
        assert response.status_code == 200, response.text
        return listed_runs(response.text)

    assert shown() == {"manual__A", "manual__C"}  # default: active runs
    assert shown(status="selesai") == {"manual__B"}
    assert shown(status="semua") == {"manual__A", "manual__B", "manual__C"}
    assert shown(sop="sop07_monev_kinerja") == {"manual__C"}
    assert shown(bagian="hukum") == {"manual__C"}
    assert shown(orang=HUKUM) == {"manual__C"}  # holds the Bagian Hukum report
    assert shown(orang=TIM[0], status="semua") == {"manual__A", "manual__B"}  # closed step 4 of both
    assert shown(orang=PERENCANA, sop="sop02_renja") == {"manual__A"}
    page = client.get("/admin", params={"status": "selesai"}).text
    assert "8 dari 8 langkah" in page and "Selesai" in page


# --- a run's timeline --------------------------------------------------------------------------------
def test_timeline_shows_rounds_decisions_documents_and_escapes_notes(db_url, client, tmp_path):
    run = renja_at_draft()
    draft = tmp_path / "Draf Renja 2027.pdf"
    draft.write_bytes(b"%PDF-1.4 draf\n")
    run.done(run.latest("s05_buat_dokumen").id, PERENCANA, file=draft)
    [review] = run.open("s06_koreksi_dokumen")
    run.revise(review.id, KABAG, note="Tabel <script>alert('x')</script> belum lengkap")
    sign_in(client, ADMIN)

    response = client.get("/admin/run/sop02_renja/" + quote("manual__A", safe=""))
    assert response.status_code == 200, response.text
    html = response.text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "Putaran ke-2" in html and "TIDAK — Retno Wulandarsih" in html
    first = run.instances("s05_buat_dokumen")[0]
    link = re.search(rf'href="(/sop/tugas/{first.id}/dokumen/\d+)">Draf Renja 2027.pdf</a>', html).group(1)
    assert client.get(link.removeprefix("/sop")).content == b"%PDF-1.4 draf\n"
    assert html.count('<li class="belum">') == 2  # steps 7 and 8 not reached
    steps_html = html.split('<ol class="linimasa">')[1]
    assert steps_html.index("Langkah 5:") < steps_html.index("Langkah 6:") < steps_html.index("Langkah 7:")
    assert "4 dari 8 langkah" in html and "<dt>Putaran revisi</dt><dd>1</dd>" in html
    assert client.get("/admin/run/sop02_renja/nope").status_code == 404


# --- audit log ---------------------------------------------------------------------------------------
def test_audit_filters_and_csv_match(db_url, client):
    renja_at_draft()
    sign_in(client, ADMIN)
    page = client.get("/admin/audit", params={"actor": "AGUS"})
    assert page.status_code == 200
    with session_scope() as s:
        agus = progress.audit_entries(s, progress.AuditFilter(actor="agus"))
        everything = progress.audit_entries(s, progress.AuditFilter(), limit=None)
    assert agus and all("agus" in e.actor for e in agus) and len(agus) < len(everything)
    assert page.text.count(">agus.nugrahanto@example.org</td>") == len(agus)
    assert 'href="/sop/admin/audit.csv?actor=AGUS"' in page.text

    response = client.get("/admin/audit.csv", params={"actor": "agus", "action": "done", "dag": "sop02_renja"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(progress.CSV_HEADER)
    expected = [e for e in agus if e.action == "done"]
    assert [int(r["id"]) for r in rows] == [e.id for e in expected] and len(rows) == 1  # step 3, the Perencana's
    for row, entry in zip(rows, expected):
        at = dt.datetime.fromisoformat(row["waktu"])
        assert at == entry.at and at.utcoffset() == dt.timedelta(hours=7)
        assert (row["actor"], row["action"], row["source"]) == (PERENCANA, "done", "cli")
        assert json.loads(row["detail"]) == entry.detail

    today = dt.datetime.now(JAKARTA).date()

    def csv_rows(**query) -> list[dict]:
        return list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv", params=query).text)))

    assert len(csv_rows(dari=today.isoformat(), sampai=today.isoformat())) == len(everything)
    assert csv_rows(dari=(today + dt.timedelta(days=1)).isoformat()) == []
    assert csv_rows(sampai=(today - dt.timedelta(days=1)).isoformat()) == []
    assert client.get("/admin/audit", params={"dari": "kemarin"}).status_code == 400


# --- who may see the admin pages ---------------------------------------------------------------------
ADMIN_PAGES = ["/admin", "/admin/run/sop02_renja/manual__A", "/admin/audit", "/admin/audit.csv", "/admin/delegasi"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_and_non_admin_are_refused_and_audited(db_url, client, path):
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert 'href="/sop/masuk"' in anonymous.text and "perlu masuk" in anonymous.text
    assert anonymous.headers["content-type"].startswith("text/html")

    sign_in(client, KABAG)
    staff = client.get(path)
    assert staff.status_code == 403 and "hanya untuk admin" in staff.text
    refused = audit("refused")
    assert [(e.actor, e.detail["reason"]) for e in refused] == [("anonim", "signin"), (KABAG, "admin")]
    assert all(e.detail["where"].startswith("GET /admin") for e in refused)


def test_posts_without_csrf_or_admin_change_nothing(db_url, client):
    sign_in(client, ADMIN)
    form = {"person": "kabag_perencanaan_keuangan", "delegate": "kabag_hukum", "jenis": "Plh",
            "mulai": "2026-01-05", "sampai": "2026-01-09"}
    before = snapshot()
    assert client.post("/admin/delegasi", data=form).status_code == 403
    assert client.post("/admin/delegasi", data={**form, "csrf": "0" * 64}).status_code == 403
    sign_in(client, KABAG)
    page = client.get("/tugas")  # a non-admin's valid CSRF token does not make them an admin
    assert client.post("/admin/delegasi", data={**form, "csrf": csrf_of(page.text)}).status_code == 403
    after = snapshot()
    assert {k: v for k, v in counts_and_statuses(after).items() if k != "audit_log"} == \
        {k: v for k, v in counts_and_statuses(before).items() if k != "audit_log"}
    assert [e.detail["reason"] for e in audit("refused")] == ["csrf", "csrf", "admin"]

    # A record the admin did add is not revoked by a forged form.
    sign_in(client, ADMIN)
    token = csrf_of(client.get("/admin/delegasi").text)
    assert client.post("/admin/delegasi", data={**form, "csrf": token}).status_code == 200
    [record] = delegation_records()
    assert client.post(f"/admin/delegasi/{record.id}/cabut", data={"csrf": "x"}).status_code == 403
    assert delegation_records()[0].revoked_at is None

    # A domain refusal (dates the wrong way round) is a 409 naming the field, and records nothing.
    bad = client.post("/admin/delegasi", data={**form, "csrf": token, "mulai": "2026-02-10", "sampai": "2026-02-01"})
    assert bad.status_code == 409 and "sampai" in bad.text
    assert len(delegation_records()) == 1


# --- delegations -------------------------------------------------------------------------------------
def test_added_delegation_hands_the_open_task_over_and_revoking_ends_it(db_url, client, mail_sink):
    run = Run("sop02_renja", run_id="manual__A")
    run.walk(2)
    [kabag_task] = run.open("s02_tugaskan_perencana")
    assert kabag_task.candidates == [KABAG]
    sign_in(client, ADMIN)
    listing = client.get("/admin/delegasi")
    assert "staff.yaml" in listing.text and "Sugeng Widodo Santosa" in listing.text  # the file's Plh

    today = dt.datetime.now(JAKARTA).date()
    added = client.post("/admin/delegasi", data={
        "csrf": csrf_of(listing.text), "person": "kabag_perencanaan_keuangan", "delegate": "kabag_hukum",
        "jenis": "Plh", "mulai": today.isoformat(), "sampai": (today + dt.timedelta(days=2)).isoformat()})
    assert added.status_code == 200, added.text
    assert "dicatat" in added.text and "berlaku hari ini" in added.text and "Cabut" in added.text

    to_plh = [m for m in mail_sink.messages() if PLH in m["To"]]
    assert len(to_plh) == 1 and "Langkah 2" in to_plh[0]["Subject"]
    [entry] = audit("delegation_added")
    assert (entry.actor, entry.source) == (ADMIN, "web")
    assert (entry.detail["person"], entry.detail["delegate"]) == ("kabag_perencanaan_keuangan", "kabag_hukum")
    office = load_office(get_settings().config_dir)
    with session_scope() as s:
        staff = delegation.effective(s, office).staff
    assert staff.may_act_for(PLH, [KABAG], today) == KABAG

    [record] = delegation_records()
    revoked = client.post(f"/admin/delegasi/{record.id}/cabut", data={"csrf": csrf_of(added.text)})
    assert revoked.status_code == 200 and f"Delegasi {record.id} dicabut" in revoked.text
    assert f"/admin/delegasi/{record.id}/cabut" not in revoked.text
    assert delegation_records()[0].revoked_by == ADMIN
    [gone] = audit("delegation_revoked")
    assert (gone.actor, gone.detail["delegate"]) == (ADMIN, "kabag_hukum")
    with session_scope() as s:
        assert delegation.effective(s, office).staff.may_act_for(PLH, [KABAG], today) is None
    # Revoking twice is refused by the domain.
    assert client.post(f"/admin/delegasi/{record.id}/cabut", data={"csrf": csrf_of(added.text)}).status_code == 409
