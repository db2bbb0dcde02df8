"""sop03_dpa written by hand (benchmark twin of dags/sop03_dpa.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor

JAKARTA = ZoneInfo("Asia/Jakarta")

DOC_MD = "\n".join([
    '# Penyusunan Dokumen Pelaksanaan Anggaran (DPA) Sekretariat Daerah',
    '',
    '**Nomor SOP:** 03/SOP/409.1.2/2023 (Lampiran III, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menerima Surat Masuk dari BPKAD | sekda | task | 15 menit | Disposisi |',
    '| 2 | Menugaskan Perencana untuk menyusun dokumen Rencana Kerja Anggaran (RKA) Setda | kabag | task | 15 menit | Disposisi |',
    '| 3 | Perencana menyampaikan melalui grup WA Bendahara Setda untuk entry anggaran kegiatan sesuai Renja dan pagu anggaran ke aplikasi SIPD dan SIMDA | perencana | task | 120 menit | Disposisi |',
    '| 4 | Bendahara Pembantu Setda dibantu operator entry anggaran kegiatan sesuai Renja dan pagu anggaran ke aplikasi SIPD dan SIMDA | bpp | task | 120 menit | Anggaran kegiatan terentry di SIPD dan SIMDA |',
    '| 5 | Verifikasi dokumen Rencana Kerja Anggaran (RKA) Setda oleh Tim (BPKAD, Inspektoral, Bappeda dan Bagian Pengadaan Barang dan Jasa) | tim_verifikasi_rka | review | 120 menit | Catatan hasil verifikasi |',
    '| 6 | Cetak menjadi Dokumen Pelaksanaan Anggaran (DPA) | bpp | task | 15 menit | Disposisi |',
    '| 7 | Pengesahan | sekda | approval | 15 menit | Undangan terdisposisikan |',
    '',
    '**Peringatan:** Jika Penyusunan DPA Sekretariat Daerah tidak sesuai SOP maka akan mempengaruhi pelaksanaan kegiatan Sekretariat Daerah dalam 1 (satu) tahun',
])

with DAG(
    dag_id='sop03_dpa',
    description='Penyusunan Dokumen Pelaksanaan Anggaran (DPA) Sekretariat Daerah (03/SOP/409.1.2/2023)',
    schedule=None,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1000,
    is_paused_upon_creation=False,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
        'nomor_surat': Param(type='string', minLength=1, title='Nomor surat BPKAD'),
        'tanggal_surat': Param(type='string', format='date', title='Tanggal surat BPKAD'),
        'tahun_anggaran': Param(type='integer', minimum=2000, maximum=2100, title='Tahun anggaran'),
    },
    doc_md=DOC_MD,
    tags=['event', 'lampiran-III', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_terima_surat_bpkad', sop_id='sop03_dpa', step_id='s01_terima_surat_bpkad', poll_seconds=10.0,
                          doc_md='Langkah 1: Menerima Surat Masuk dari BPKAD')
    s02 = HumanStepSensor(task_id='s02_tugaskan_perencana', sop_id='sop03_dpa', step_id='s02_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 2: Menugaskan Perencana untuk menyusun dokumen Rencana Kerja Anggaran (RKA) Setda')
    s03 = HumanStepSensor(task_id='s03_sampaikan_ke_bendahara', sop_id='sop03_dpa', step_id='s03_sampaikan_ke_bendahara', poll_seconds=10.0,
                          doc_md='Langkah 3: Perencana menyampaikan melalui grup WA Bendahara Setda untuk entry anggaran kegiatan sesuai Renja dan pagu anggaran ke aplikasi SIPD dan SIMDA')
    s04 = HumanStepSensor(task_id='s04_entry_anggaran', sop_id='sop03_dpa', step_id='s04_entry_anggaran', poll_seconds=10.0,
                          doc_md='Langkah 4: Bendahara Pembantu Setda dibantu operator entry anggaran kegiatan sesuai Renja dan pagu anggaran ke aplikasi SIPD dan SIMDA')
    s05 = HumanStepSensor(task_id='s05_verifikasi_rka', sop_id='sop03_dpa', step_id='s05_verifikasi_rka', poll_seconds=10.0,
                          doc_md='Langkah 5: Verifikasi dokumen Rencana Kerja Anggaran (RKA) Setda oleh Tim (BPKAD, Inspektoral, Bappeda dan Bagian Pengadaan Barang dan Jasa)')
    s06 = HumanStepSensor(task_id='s06_cetak_dpa', sop_id='sop03_dpa', step_id='s06_cetak_dpa', poll_seconds=10.0,
                          doc_md='Langkah 6: Cetak menjadi Dokumen Pelaksanaan Anggaran (DPA)')
    s07 = HumanStepSensor(task_id='s07_pengesahan', sop_id='sop03_dpa', step_id='s07_pengesahan', poll_seconds=10.0,
                          doc_md='Langkah 7: Pengesahan')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07
