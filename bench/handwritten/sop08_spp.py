"""sop08_spp written by hand (benchmark twin of dags/sop08_spp.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor

JAKARTA = ZoneInfo("Asia/Jakarta")

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
    '| 6 | Memeriksa dokumen SPJ untuk persetujuan pembayaran | ppk_skpd | review | - | - |',
    '| 7 | Memberi nomor BKU | bpp | task | - | Dokumen SPJ yang bernomor |',
    '| 8 | Mengentry SPJ dan mencetak SPP dan Pengesahan SPJ | petugas_pembantu_bp | task | - | 1.SPJ terentry di aplikasi 2.SPP 3.Pengesahan SPJ |',
    '| 9 | Mencetak SPM dan Nota Dinas pengajuan SPM | petugas_pembantu_bp | task | - | Lembar SPM dan lembar Nota Dinas pengajuan SPM |',
    '| 10 | Meneliti berkas ajuan dan menandatangani berkas ajuan pencairan | ppk_skpd | approval | 30 menit | Berkas ajuan pencairan lengkap tanda tangan |',
    '| 11 | Menandatangani Nota Dinas pengajuan SPM | kpa | approval | 30 menit | Nota Dinas pengajuan SPM lengkap tanda tangan |',
    '| 12 | Menandatangani berkas SPM | pa | approval | 15 menit | Berkas SPM lengkap tanda tangan |',
    '| 13 | Mengirim berkas ajuan pencairan lengkap ke BPKAD | petugas_pembantu_bp | auto | 120 menit | Berkas ajuan pencairan dan berkas SPM diterima BPKAD |',
    '',
    '**Peringatan:** Jika SOP tidak dilaksanakan maka proses pencairan akan berhenti',
])

with DAG(
    dag_id='sop08_spp',
    description='Permintaan Pembayaran SPJ (SPP-UP, SPP-GU, SPP-TU dan SPP-LS) (08/SOP/409.1.10/2023)',
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=16,
    is_paused_upon_creation=False,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
        'jenis_spp': Param(type='string', enum=['UP', 'GU', 'TU', 'LS'], title='Jenis SPP'),
        'jumlah': Param(description='Angka tanpa titik ribuan, mis. 12500000 atau 12500000,50', type='string', pattern='^[0-9]{1,15}([.,][0-9]{1,2})?$', title='Jumlah (rupiah)'),
        'uraian': Param(type='string', minLength=3, title='Uraian SPJ'),
        'tahun_anggaran': Param(type='integer', minimum=2000, maximum=2100, title='Tahun anggaran'),
    },
    doc_md=DOC_MD,
    tags=['lampiran-VIII', 'on_demand', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_siapkan_spj', sop_id='sop08_spp', step_id='s01_siapkan_spj', poll_seconds=10.0,
                          doc_md='Langkah 1: Menyiapkan dokumen SPJ')
    s02 = HumanStepSensor(task_id='s02_verifikasi_bukti', sop_id='sop08_spp', step_id='s02_verifikasi_bukti', poll_seconds=10.0,
                          doc_md='Langkah 2: Memverifikasi bukti pertanggungjawaban kegiatan')
    s03 = HumanStepSensor(task_id='s03_register_spj', sop_id='sop08_spp', step_id='s03_register_spj', poll_seconds=10.0,
                          doc_md='Langkah 3: Mencatat/register dokumen SPJ')
    s04 = HumanStepSensor(task_id='s04_periksa_kelengkapan', sop_id='sop08_spp', step_id='s04_periksa_kelengkapan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menerima dokumen SPJ dan memeriksa kelengkapan dokumen SPJ')
    s05 = HumanStepSensor(task_id='s05_setujui_kelengkapan', sop_id='sop08_spp', step_id='s05_setujui_kelengkapan', poll_seconds=10.0,
                          doc_md='Langkah 5: Meneliti dan menyetujui kelengkapan dokumen SPJ')
    s06 = HumanStepSensor(task_id='s06_periksa_persetujuan', sop_id='sop08_spp', step_id='s06_periksa_persetujuan', poll_seconds=10.0,
                          doc_md='Langkah 6: Memeriksa dokumen SPJ untuk persetujuan pembayaran')
    s07 = HumanStepSensor(task_id='s07_beri_nomor_bku', sop_id='sop08_spp', step_id='s07_beri_nomor_bku', poll_seconds=10.0,
                          doc_md='Langkah 7: Memberi nomor BKU')
    s08 = HumanStepSensor(task_id='s08_entry_spj_cetak_spp', sop_id='sop08_spp', step_id='s08_entry_spj_cetak_spp', poll_seconds=10.0,
                          doc_md='Langkah 8: Mengentry SPJ dan mencetak SPP dan Pengesahan SPJ')
    s09 = HumanStepSensor(task_id='s09_cetak_spm_nota_dinas', sop_id='sop08_spp', step_id='s09_cetak_spm_nota_dinas', poll_seconds=10.0,
                          doc_md='Langkah 9: Mencetak SPM dan Nota Dinas pengajuan SPM')
    s10 = HumanStepSensor(task_id='s10_teliti_tandatangani_ajuan', sop_id='sop08_spp', step_id='s10_teliti_tandatangani_ajuan', poll_seconds=10.0,
                          doc_md='Langkah 10: Meneliti berkas ajuan dan menandatangani berkas ajuan pencairan')
    s11 = HumanStepSensor(task_id='s11_tandatangani_nota_dinas', sop_id='sop08_spp', step_id='s11_tandatangani_nota_dinas', poll_seconds=10.0,
                          doc_md='Langkah 11: Menandatangani Nota Dinas pengajuan SPM')
    s12 = HumanStepSensor(task_id='s12_tandatangani_spm', sop_id='sop08_spp', step_id='s12_tandatangani_spm', poll_seconds=10.0,
                          doc_md='Langkah 12: Menandatangani berkas SPM')
    s13 = AutoStepOperator(task_id='s13_kirim_ke_bpkad', sop_id='sop08_spp', step_id='s13_kirim_ke_bpkad',
                           doc_md='Langkah 13: Mengirim berkas ajuan pencairan lengkap ke BPKAD')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08 >> s09 >> s10 >> s11 >> s12 >> s13
