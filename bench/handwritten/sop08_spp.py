"""sop08_spp written by hand (benchmark twin of dags/sop08_spp.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param, task_group

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import EveryWorkingDayTimetable
from sopflow.airflow.spp import CollectBatchOperator

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = EveryWorkingDayTimetable(8, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Permintaan Pembayaran SPJ (SPP-UP, SPP-GU, SPP-TU dan SPP-LS)',
    '',
    '**Nomor SOP:** 08/SOP/409.1.10/2023 (Lampiran VIII, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menyiapkan dokumen SPJ | bpp | task | - | - |',
    '| 2 | Memverifikasi bukti pertanggungjawaban kegiatan | bpp | task | - | - |',
    '| 3 | Mencatat/register dokumen SPJ | petugas_administrasi | task | - | Catatan/data register dokumen SPJ |',
    '| 4 | Menerima dokumen SPJ dan memeriksa kelengkapan dokumen SPJ | verifikator | review | - | Form Koreksi Ajuan terisi catatan perbaikan SPJ |',
    '| 5 | Meneliti dan menyetujui kelengkapan dokumen SPJ | bp | review | - | Form Koreksi Ajuan terisi catatan perbaikan SPJ |',
    '| 6 | Memeriksa dokumen SPJ untuk persetujuan pembayaran | ppk_skpd | review | - (batas 1 hari kerja) | - |',
    '| 7 | Memberi nomor BKU | bpp | auto | - | Dokumen SPJ yang bernomor |',
    '| 8 | Mengentry SPJ dan mencetak SPP dan Pengesahan SPJ | petugas_pembantu_bp | auto | - | 1.SPJ terentry di aplikasi 2.SPP 3.Pengesahan SPJ |',
    '| 9 | Mencetak SPM dan Nota Dinas pengajuan SPM | petugas_pembantu_bp | auto | - | Lembar SPM dan lembar Nota Dinas pengajuan SPM |',
    '| 10 | Meneliti berkas ajuan dan menandatangani berkas ajuan pencairan | ppk_skpd | approval | 30 menit (batas 2 hari kerja) | Berkas ajuan pencairan lengkap tanda tangan |',
    '| 11 | Menandatangani Nota Dinas pengajuan SPM | kpa | approval | 30 menit | Nota Dinas pengajuan SPM lengkap tanda tangan |',
    '| 12 | Menandatangani berkas SPM | pa | approval | 15 menit | Berkas SPM lengkap tanda tangan |',
    '| 13 | Mengirim berkas ajuan pencairan lengkap ke BPKAD | petugas_pembantu_bp | auto | 120 menit | Berkas ajuan pencairan dan berkas SPM diterima BPKAD |',
    '',
    '**Peringatan:** Jika SOP tidak dilaksanakan maka proses pencairan akan berhenti',
])

with DAG(
    dag_id='sop08_spp',
    description='Permintaan Pembayaran SPJ (SPP-UP, SPP-GU, SPP-TU dan SPP-LS) (08/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=60,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description='Kosongkan: setiap SPJ berperiode Tahun Anggarannya sendiri.', type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['batch', 'lampiran-VIII', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    collect = CollectBatchOperator(task_id='kumpulkan_spj', sop_id='sop08_spp', doc_md='Mengambil semua SPJ yang diajukan sampai jam potong')

    @task_group(group_id='spj')
    def per_spj(spj_id):
        s01 = HumanStepSensor(task_id='s01_siapkan_spj', sop_id='sop08_spp', step_id='s01_siapkan_spj', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 1: Menyiapkan dokumen SPJ')
        s02 = HumanStepSensor(task_id='s02_verifikasi_bukti', sop_id='sop08_spp', step_id='s02_verifikasi_bukti', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 2: Memverifikasi bukti pertanggungjawaban kegiatan')
        s03 = HumanStepSensor(task_id='s03_register_spj', sop_id='sop08_spp', step_id='s03_register_spj', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 3: Mencatat/register dokumen SPJ')
        s04 = HumanStepSensor(task_id='s04_periksa_kelengkapan', sop_id='sop08_spp', step_id='s04_periksa_kelengkapan', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 4: Menerima dokumen SPJ dan memeriksa kelengkapan dokumen SPJ')
        s05 = HumanStepSensor(task_id='s05_setujui_kelengkapan', sop_id='sop08_spp', step_id='s05_setujui_kelengkapan', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 5: Meneliti dan menyetujui kelengkapan dokumen SPJ')
        s06 = HumanStepSensor(task_id='s06_periksa_persetujuan', sop_id='sop08_spp', step_id='s06_periksa_persetujuan', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 6: Memeriksa dokumen SPJ untuk persetujuan pembayaran')
        s07 = AutoStepOperator(task_id='s07_beri_nomor_bku', sop_id='sop08_spp', step_id='s07_beri_nomor_bku', batch=True,
                               doc_md='Langkah 7: Memberi nomor BKU')
        s08 = AutoStepOperator(task_id='s08_entry_spj_cetak_spp', sop_id='sop08_spp', step_id='s08_entry_spj_cetak_spp', batch=True,
                               doc_md='Langkah 8: Mengentry SPJ dan mencetak SPP dan Pengesahan SPJ')
        s09 = AutoStepOperator(task_id='s09_cetak_spm_nota_dinas', sop_id='sop08_spp', step_id='s09_cetak_spm_nota_dinas', batch=True,
                               doc_md='Langkah 9: Mencetak SPM dan Nota Dinas pengajuan SPM')
        s10 = HumanStepSensor(task_id='s10_teliti_tandatangani_ajuan', sop_id='sop08_spp', step_id='s10_teliti_tandatangani_ajuan', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 10: Meneliti berkas ajuan dan menandatangani berkas ajuan pencairan')
        s11 = HumanStepSensor(task_id='s11_tandatangani_nota_dinas', sop_id='sop08_spp', step_id='s11_tandatangani_nota_dinas', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 11: Menandatangani Nota Dinas pengajuan SPM')
        s12 = HumanStepSensor(task_id='s12_tandatangani_spm', sop_id='sop08_spp', step_id='s12_tandatangani_spm', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 12: Menandatangani berkas SPM')
        s13 = HumanStepSensor(task_id='s13_kirim_ke_bpkad', sop_id='sop08_spp', step_id='s13_kirim_ke_bpkad', poll_seconds=10.0, batch=True,
                              doc_md='Langkah 13: Mengirim berkas ajuan pencairan lengkap ke BPKAD')
        s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08 >> s09 >> s10 >> s11 >> s12 >> s13

    per_spj.expand(spj_id=collect.output)
