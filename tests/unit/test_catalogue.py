"""The shipped catalogue (config/sops/*.yaml + config/staff.yaml) against the decree.

The tables below are transcribed by hand from Keputusan Sekretaris Daerah Kabupaten Blitar
Nomor 188/ 20 /409.1.2/KPTS.SEKDA/2023 (shared/seeds/sop-bagian-perencanaan-keuangan-setda-
blitar-2023.txt), Lampiran I-VIII, with the actor/kind readings agreed for sopflow. They are
NOT generated from the YAML: a step dropped, reordered, retimed or given to the wrong role in a
YAML file makes this test fail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopflow.domain.catalogue import load_catalogue
from sopflow.domain.staff import load_staff

CONFIG = Path(__file__).resolve().parents[2] / "config"

# (no, first words of the uraian, waktu_menit, kind, pelaksana, on_reject step no)
DECREE: dict[str, list[tuple[int, str, int | None, str, str, int | None]]] = {
    "sop01_renstra": [
        (1, "Menugaskan Kabag untuk menyusun dokumen Rencana Strategis", 15, "task", "sekda", None),
        (2, "Menugaskan Sub Koordinator Perencana untuk menyiapkan bahan", 30, "task", "kabag", None),
        (3, "Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan", 30, "task", "perencana", None),
        (4, "Menyerahkan bahan Rencana Strategis", 30, "task", "tim_perencanaan_pelaporan", None),
        (5, "Membuat dokumen Rencana Strategis", 420, "task", "perencana", None),
        (6, "Mengoreksi dokumen Rencana Strategis", 120, "review", "kabag", 5),
        (7, "Mengesahkan dan menandatangani dokumen Rencana Strategis", 60, "approval", "sekda", None),
        (8, "Mendokumentasikan dokumen Strategis", 420, "auto", "perencana", None),
    ],
    "sop02_renja": [
        (1, "Menugaskan Kabag untuk menyusun dokumen Rencana Kerja", 15, "task", "sekda", None),
        (2, "Menugaskan Perencana untuk menyiapkan bahan Rencana Kerja", 30, "task", "kabag", None),
        (3, "Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan", 30, "task", "perencana", None),
        (4, "Menyerahkan bahan Rencana Kerja", 30, "task", "tim_perencanaan_pelaporan", None),
        (5, "Membuat dokumen Rencana Kerja", 420, "task", "perencana", None),
        (6, "Mengoreksi dokumen Rencana Kerja", 120, "review", "kabag", 5),
        (7, "Mengesahkan dan menandatangani dokumen Rencana Kerja", 60, "approval", "sekda", None),
        (8, "Mendokumentasikan Kerja (Renja) Setda dokumen", 420, "auto", "perencana", None),
    ],
    "sop03_dpa": [
        (1, "Menerima Surat Masuk dari BPKAD", 15, "task", "sekda", None),
        (2, "Menugaskan Perencana untuk menyusun dokumen Rencana Kerja Anggaran", 15, "task", "kabag", None),
        (3, "Perencana menyampaikan melalui grup WA Bendahara Setda", 120, "task", "perencana", None),
        (4, "Bendahara Pembantu Setda dibantu operator entry anggaran", 120, "task", "bpp", None),
        (5, "Verifikasi dokumen Rencana Kerja Anggaran (RKA) Setda oleh Tim", 120, "review", "tim_verifikasi_rka", 4),
        (6, "Cetak menjadi Dokumen Pelaksanaan Anggaran", 15, "task", "bpp", None),
        (7, "Pengesahan", 15, "approval", "sekda", None),
    ],
    "sop04_lkjip": [
        (1, "Menugaskan Kabag untuk menyusun Dokumen Laporan Kinerja", 15, "task", "sekda", None),
        (2, "Menugaskan Perencana untuk menyiapkan bahan Laporan Kinerja", 30, "task", "kabag", None),
        (3, "Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan penyusunan", 30, "task", "perencana", None),
        (4, "Menyerahkan bahan Laporan Kinerja", 30, "task", "tim_perencanaan_pelaporan", None),
        (5, "Membuat/menyusun Laporan Kinerja", 420, "task", "perencana", None),
        (6, "Mengoreksi Dokumen Laporan Kinerja", 120, "review", "kabag", 5),
        (7, "Mengesahkan dan menandatangani Laporan Kinerja Pemerintah", 60, "approval", "sekda", None),
        (8, "Mendokumentasikan dan mengirim Laporan Kinerja", 420, "auto", "perencana", None),
    ],
    "sop05_data_kinerja": [
        (1, "Menugaskan Kabag untuk menyusun laporan data kinerja Setda setiap triwulan", 15, "task", "sekda", None),
        (2, "Koordinator Perencana untuk menyiapkan bahan laporan kinerja", 30, "task", "kabag", None),
        (3, "Mengarahkan Tim dan Perencanaan untuk mengumpulkan", 30, "task", "perencana", None),
        (4, "Menyerahkan bahan laporan kinerja Setda", 30, "task", "tim_perencanaan_pelaporan", None),
        (5, "Membuat laporan data kinerja Setda", 420, "task", "perencana", None),
        (6, "Mengoreksi laporan data kinerja Setda", 120, "review", "kabag", 5),
        (7, "Mengesahkan dan menandatangani laporan kinerja Setda", 60, "approval", "sekda", None),
        (8, "Mendokumentasikan laporan kinerja setiap triwulan", 420, "auto", "perencana", None),
    ],
    "sop06_monev_renstra": [
        (1, "Menugaskan Koordinator Perencana untuk melakukan monev", 15, "task", "kabag", None),
        (2, "Sub Koordinator Perencana membuat undangan monev", 30, "task", "perencana", None),
        (3, "Memeriksa dan paraf undangan monev", 15, "review", "kabag", 2),
        (4, "Menandatangani undangan monev", 15, "approval", "asisten_administrasi_umum", None),
        (5, "Menyampaikan undangan kepada Tim Perencanaan dan Pelaporan", 30, "auto", "perencana", None),
        (6, "Rapat koordinasi, monitoring dan evaluasi perencanaan", 15, "task", "perencana", None),
        (7, "Pemaparan Rencana Strategis", 120, "task", "perencana", None),
        (8, "Melakukan evaluasi dan menyampaikan indikator", 120, "task", "tim_perencanaan_pelaporan", None),
        (9, "Mengoreksi indikator (masuk, keluaran hasil dan target kegiatan)", 120, "review", "kabag", 8),
        (10, "Mencatat hasil monitoring dan evaluasi perencanaan dan pelaporan di notulen", 60, "task", "tim_perencanaan_pelaporan", None),
        (11, "Menyampaikan hasil monitoring dan evaluasi Renstra", 60, "task", "kabag", None),
        # forward branch: TIDAK (Renstra must be amended) runs 13-14, IYA ("Sesuai") skips them
        (12, "Meneliti hasil monitoring dan evaluasi", 60, "review", "asisten_administrasi_umum", 13),
        (13, "Menyusun dokumen perubahan Rencana Strategis", 1080, "task", "perencana", None),
        (14, "Mencetak dokumen perubahan Rencana Strategis", 180, "task", "perencana", None),
    ],
    "sop07_monev_kinerja": [
        (1, "Menugaskan Perencana Ahli Muda untuk melakukan monitoring", 15, "task", "kabag", None),
        (2, "Membuat form monitoring dan evaluasi kinerja per triwulan", 30, "task", "perencana", None),
        (3, "Menyusun laporan kinerja masing-masing Bagian", 1440, "task", "perencana_pembantu", None),
        (4, "Menerima laporan kinerja masing-masing Bagian", 30, "task", "perencana", None),
        (5, "Memeriksa laporan kinerja masing-masing Bagian", 960, "review", "perencana", 3),
        (6, "Membuat laporan hasil monitoring dan evaluasi kinerja triwulan", 960, "task", "perencana", None),
        (7, "Menerima laporan monitoring dan evaluasi kinerja dan mendistribusi", 90, "task", "kabag", None),
    ],
    "sop08_spp": [
        (1, "Menyiapkan dokumen SPJ", None, "task", "bpp", None),
        (2, "Memverifikasi bukti pertanggungjawaban kegiatan", None, "task", "bpp", None),
        (3, "Mencatat/register dokumen SPJ", None, "task", "petugas_administrasi", None),
        (4, "Menerima dokumen SPJ dan memeriksa kelengkapan", None, "review", "verifikator", 2),
        (5, "Meneliti dan menyetujui kelengkapan dokumen SPJ", None, "review", "bp", 2),
        (6, "Memeriksa dokumen SPJ untuk persetujuan pembayaran", None, "review", "ppk_skpd", 2),
        # 7-9 are the system's (the reading in 08_spp.yaml): the number, then the SPP and SPM papers.
        (7, "Memberi nomor BKU", None, "auto", "bpp", None),
        (8, "Mengentry SPJ dan mencetak SPP", None, "auto", "petugas_pembantu_bp", None),
        (9, "Mencetak SPM dan Nota Dinas pengajuan SPM", None, "auto", "petugas_pembantu_bp", None),
        (10, "Meneliti berkas ajuan dan menandatangani", 30, "approval", "ppk_skpd", None),
        (11, "Menandatangani Nota Dinas pengajuan SPM", 30, "approval", "kpa", None),
        (12, "Menandatangani berkas SPM", 15, "approval", "pa", None),
        (13, "Mengirim berkas ajuan pencairan lengkap ke BPKAD", 120, "auto", "petugas_pembantu_bp", None),
    ],
}

NOMOR = {
    "sop01_renstra": ("01/SOP/409.1.10/2023", "I"),
    "sop02_renja": ("02/SOP/409.1.10/2023", "II"),
    "sop03_dpa": ("03/SOP/409.1.2/2023", "III"),  # printed so in the decree (not 409.1.10)
    "sop04_lkjip": ("04/SOP/409.1.10/2023", "IV"),
    "sop05_data_kinerja": ("05/SOP/409.1.10/2023", "V"),
    "sop06_monev_renstra": ("06/SOP/409.1.10/2023", "VI"),
    "sop07_monev_kinerja": ("07/SOP/409.1.10/2023", "VII"),
    "sop08_spp": ("08/SOP/409.1.10/2023", "VIII"),
}

CADENCE = {
    "sop01_renstra": "five_yearly",
    "sop02_renja": "annual",
    "sop03_dpa": "event",
    "sop04_lkjip": "annual",
    "sop05_data_kinerja": "quarterly",
    "sop06_monev_renstra": "annual",
    "sop07_monev_kinerja": "quarterly",
    "sop08_spp": "batch",
}

# Steps whose output cell is empty in the decree (every other step must carry an output).
NO_OUTPUT = {
    ("sop01_renstra", 8),        # Mendokumentasikan: Output empty, Ket "5 (lima) tahunan"
    ("sop02_renja", 8),          # no Output column on that page; "1 (satu) tahunan" is the Ket
    ("sop04_lkjip", 8),          # Output empty, Ket "Dikirim ke Bagian Organisasi, ..."
    ("sop05_data_kinerja", 8),   # Output empty, Ket "Untuk menyusun laporan triwulan"
    ("sop08_spp", 1),            # steps 1-9 of SOP VIII have only uraian and Ket
    ("sop08_spp", 2),            # its Ket ("2.a. Prosedur ... BPP") is a remark, not an output
    ("sop08_spp", 6),            # its Ket is the IYA/TIDAK rule, not an output
}

# Further particulars the decree gives for single steps: (sop, no) -> expected attributes.
PARTICULARS = {
    ("sop01_renstra", 4): {"batas_hari_kerja": 3},
    ("sop02_renja", 4): {"batas_hari_kerja": 3},
    ("sop04_lkjip", 4): {"batas_hari_kerja": 3},
    ("sop05_data_kinerja", 4): {"batas_hari_kerja": 3},
    ("sop07_monev_kinerja", 3): {"batas_hari_kerja": 3, "per": "bagian"},
    ("sop07_monev_kinerja", 5): {"per": "bagian"},
    ("sop01_renstra", 8): {"actions": ["archive"], "keterangan": "5 (lima) tahunan"},
    ("sop02_renja", 8): {"actions": ["archive"], "keterangan": "1 (satu) tahunan"},
    ("sop04_lkjip", 8): {"actions": ["archive", "distribute"],
                         "distribusi": ["bagian_organisasi", "bappeda", "inspektorat"]},
    ("sop05_data_kinerja", 8): {"actions": ["archive"]},
    ("sop06_monev_renstra", 5): {"actions": ["distribute"], "distribusi": ["tim_perencanaan_pelaporan"]},
    ("sop06_monev_renstra", 14): {"distribusi": ["kabag_bagian", "bappeda"]},
    ("sop07_monev_kinerja", 7): {"distribusi": ["kabag_bagian"]},
    ("sop08_spp", 4): {"cek_otomatis": "kelengkapan_spj"},
    ("sop08_spp", 6): {"saat_iya": ["nomor_bku"], "batas_hari_kerja": 1},
    ("sop08_spp", 7): {"actions": ["nomor_bku"]},
    ("sop08_spp", 9): {"actions": ["dokumen_spm"]},
    ("sop08_spp", 12): {"saat_iya": ["ditandatangani"]},
    ("sop08_spp", 13): {"actions": ["kirim_bpkad"]},
    ("sop03_dpa", 7): {"output": "Undangan terdisposisikan", "keterangan": "Bagian di lingkup Setda"},
    ("sop08_spp", 10): {"batas_hari_kerja": 2, "kelengkapan": ["SPP", "Pengesahan SPJ", "SPTJM SPP", "SPTJM SPM", "Screenshoot LPSE",
                                        "Pernyataan KPA SPD", "Pernyataan Pengajuan SPM GU/LS"]},
    ("sop08_spp", 8): {"output": "1.SPJ terentry di aplikasi 2.SPP 3.Pengesahan SPJ", "actions": ["dokumen_spp"]},
}


@pytest.fixture(scope="module")
def staff():
    return load_staff(CONFIG / "staff.yaml")


@pytest.fixture(scope="module")
def catalogue(staff):
    return load_catalogue(CONFIG / "sops", staff)


def test_catalogue_loads_without_errors(catalogue):
    assert catalogue.errors == {}, "\n".join(str(e) for e in catalogue.errors.values())


def test_all_eight_sops_present(catalogue):
    assert sorted(catalogue.sops) == sorted(DECREE)


@pytest.mark.parametrize("sop_id", sorted(DECREE))
def test_header(catalogue, sop_id):
    sop = catalogue.sops[sop_id]
    nomor, lampiran = NOMOR[sop_id]
    assert sop.nomor == nomor
    assert sop.lampiran == lampiran
    assert sop.keputusan == "188/ 20 /409.1.2/KPTS.SEKDA/2023"
    assert sop.unit == "Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar"
    assert sop.tanggal_pembuatan == "Maret 2023"
    assert sop.schedule.cadence == CADENCE[sop_id]
    for block in (sop.dasar_hukum, sop.kualifikasi_pelaksana, sop.keterkaitan, sop.peralatan):
        assert block and all(item.strip() for item in block)
    assert sop.peringatan.strip() and sop.pencatatan == "Disimpan sebagai data elektronik dan manual"


@pytest.mark.parametrize("sop_id", sorted(DECREE))
def test_steps_match_the_decree(catalogue, sop_id):
    sop = catalogue.sops[sop_id]
    expected = DECREE[sop_id]
    assert len(sop.steps) == len(expected), f"{sop_id}: {len(sop.steps)} steps, the decree has {len(expected)}"
    by_id = {s.id: s for s in sop.steps}
    for step, (no, start, waktu, kind, pelaksana, reject_no) in zip(sop.steps, expected):
        where = f"{sop_id} step {no}"
        assert step.no == no, where
        assert step.uraian.startswith(start), f"{where}: uraian {step.uraian!r} should start {start!r}"
        assert step.waktu_menit == waktu, f"{where}: waktu_menit"
        assert step.kind == kind, f"{where}: kind"
        assert step.pelaksana == pelaksana, f"{where}: pelaksana"
        actual_reject = by_id[step.on_reject].no if step.on_reject else None
        assert actual_reject == reject_no, f"{where}: on_reject"


@pytest.mark.parametrize("sop_id", sorted(DECREE))
def test_every_step_has_an_output_unless_the_decree_has_none(catalogue, sop_id):
    for step in catalogue.sops[sop_id].steps:
        if (sop_id, step.no) in NO_OUTPUT:
            assert step.output is None, f"{sop_id} step {step.no}: the decree gives no output"
        else:
            assert step.output and step.output.strip(), f"{sop_id} step {step.no}: output missing"


def test_step_particulars(catalogue):
    for (sop_id, no), attrs in PARTICULARS.items():
        step = catalogue.sops[sop_id].steps[no - 1]
        for name, value in attrs.items():
            assert getattr(step, name) == value, f"{sop_id} step {no}: {name}"


def test_forward_branch_of_monev_renstra(catalogue):
    sop = catalogue.sops["sop06_monev_renstra"]
    gate = sop.steps[11]
    assert sop.is_forward_branch(gate)
    assert sop.branch_gate(sop.steps[12]) == gate and sop.branch_gate(sop.steps[13]) == gate
    assert sop.branch_gate(sop.steps[10]) is None


def test_staff_directory(staff):
    used = {row[4] for rows in DECREE.values() for row in rows}
    for role in used | {"kabag_bagian", "pa"}:
        assert staff.members(role), role
    assert all(p.email.endswith("@example.org") for p in staff.people)
    assert all(p.nip.endswith("999") for p in staff.people)
    assert sum(p.admin for p in staff.people) >= 1
    bagian = {b.id for b in staff.bagian}
    assert len(bagian) >= 5
    for role in ("kabag_bagian", "perencana_pembantu", "tim_perencanaan_pelaporan"):
        assert set(staff.members_by_bagian(role)) == bagian, role
    assert "pa" in staff.members("sekda")[0].roles
    for ext in ("bappeda", "inspektorat", "bagian_organisasi", "bpkad"):
        assert staff.has_recipient(ext)
    kabag = staff.members("kabag")[0]
    plh = staff.delegates_for(kabag.email, dt.date(2026, 12, 16))
    assert [d.jenis for _, d in plh] == ["Plh"] and "kabag_bagian" in plh[0][0].roles
    assert staff.delegates_for(kabag.email, dt.date(2026, 12, 19)) == []
