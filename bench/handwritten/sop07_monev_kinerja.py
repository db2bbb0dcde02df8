"""sop07_monev_kinerja written by hand (benchmark twin of dags/sop07_monev_kinerja.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import WorkingDayTimetable

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = WorkingDayTimetable((1, 4, 7, 10), 1, 9, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Monitoring dan Evaluasi Kinerja secara Periodik',
    '',
    '**Nomor SOP:** 07/SOP/409.1.10/2023 (Lampiran VII, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Perencana Ahli Muda untuk melakukan monitoring dan evaluasi kinerja secara periodik | kabag | task | 15 menit | Disposisi |',
    '| 2 | Membuat form monitoring dan evaluasi kinerja per triwulan | perencana | task | 30 menit | Disposisi |',
    '| 3 | Menyusun laporan kinerja masing-masing Bagian di Setda | perencana_pembantu | task | 1440 menit (batas 3 hari kerja) | Hasil data laporan kinerja/kertas kerja dari Bagian |',
    '| 4 | Menerima laporan kinerja masing-masing Bagian | perencana | task | 30 menit | Tanda terima pengiriman kertas kerja |',
    '| 5 | Memeriksa laporan kinerja masing-masing Bagian di Setda | perencana | review | 960 menit | Verifikasi kertas kerja monitoring dan evaluasi kinerja masing-masing Bagian |',
    '| 6 | Membuat laporan hasil monitoring dan evaluasi kinerja triwulan | perencana | task | 960 menit | Cetak dan menyusun laporan dokumen monitoring dan evaluasi kinerja |',
    '| 7 | Menerima laporan monitoring dan evaluasi kinerja dan mendistribusi pada Kepala Bagian di linkup Setda | kabag | task | 90 menit | Laporan hasil monitoring dan evaluasi kinerja |',
    '',
    '**Peringatan:** Pengumpulan data Kinerja akan terkendala jika terjadi penyimpangan dalam prosedur',
])

with DAG(
    dag_id='sop07_monev_kinerja',
    description='Monitoring dan Evaluasi Kinerja secara Periodik (07/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['lampiran-VII', 'quarterly', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_perencana', sop_id='sop07_monev_kinerja', step_id='s01_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Perencana Ahli Muda untuk melakukan monitoring dan evaluasi kinerja secara periodik')
    s02 = HumanStepSensor(task_id='s02_buat_form', sop_id='sop07_monev_kinerja', step_id='s02_buat_form', poll_seconds=10.0,
                          doc_md='Langkah 2: Membuat form monitoring dan evaluasi kinerja per triwulan')
    s03 = HumanStepSensor(task_id='s03_susun_laporan_bagian', sop_id='sop07_monev_kinerja', step_id='s03_susun_laporan_bagian', poll_seconds=10.0,
                          doc_md='Langkah 3: Menyusun laporan kinerja masing-masing Bagian di Setda')
    s04 = HumanStepSensor(task_id='s04_terima_laporan', sop_id='sop07_monev_kinerja', step_id='s04_terima_laporan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menerima laporan kinerja masing-masing Bagian')
    s05 = HumanStepSensor(task_id='s05_periksa_laporan', sop_id='sop07_monev_kinerja', step_id='s05_periksa_laporan', poll_seconds=10.0,
                          doc_md='Langkah 5: Memeriksa laporan kinerja masing-masing Bagian di Setda')
    s06 = HumanStepSensor(task_id='s06_buat_laporan_triwulan', sop_id='sop07_monev_kinerja', step_id='s06_buat_laporan_triwulan', poll_seconds=10.0,
                          doc_md='Langkah 6: Membuat laporan hasil monitoring dan evaluasi kinerja triwulan')
    s07 = HumanStepSensor(task_id='s07_terima_distribusikan', sop_id='sop07_monev_kinerja', step_id='s07_terima_distribusikan', poll_seconds=10.0,
                          doc_md='Langkah 7: Menerima laporan monitoring dan evaluasi kinerja dan mendistribusi pada Kepala Bagian di linkup Setda')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07
