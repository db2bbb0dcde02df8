"""sop05_data_kinerja written by hand (benchmark twin of dags/sop05_data_kinerja.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import WorkingDayTimetable

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = WorkingDayTimetable((1, 4, 7, 10), 1, 9, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Pengumpulan Data Kinerja Sekretariat Daerah',
    '',
    '**Nomor SOP:** 05/SOP/409.1.10/2023 (Lampiran V, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Kabag untuk menyusun laporan data kinerja Setda setiap triwulan | sekda | task | 15 menit | Disposisi |',
    '| 2 | Koordinator Perencana untuk menyiapkan bahan laporan kinerja Setda | kabag | task | 30 menit | Disposisi |',
    '| 3 | Mengarahkan Tim dan Perencanaan untuk mengumpulkan bahan laporan kinerja Setda | perencana | task | 30 menit | Catatan pembagian tugas |',
    '| 4 | Menyerahkan bahan laporan kinerja Setda | tim_perencanaan_pelaporan | task | 30 menit (batas 3 hari kerja) | Draf Data Laporan Kinerja Setda |',
    '| 5 | Membuat laporan data kinerja Setda | perencana | task | 420 menit | Data Laporan Kinerja Setda |',
    '| 6 | Mengoreksi laporan data kinerja Setda | kabag | review | 120 menit | Hasil koreksi Laporan Kinerja Setda |',
    '| 7 | Mengesahkan dan menandatangani laporan kinerja Setda | sekda | approval | 60 menit | Laporan Kinerja Setda, Disposisi |',
    '| 8 | Mendokumentasikan laporan kinerja setiap triwulan dan menyusun laporan kinerja Setda setiap tahun | perencana | auto | 420 menit | - |',
    '',
    '**Peringatan:** Pengumpulan data Kinerja akan terkendala jika terjadi penyimpangan dalam prosedur',
])

with DAG(
    dag_id='sop05_data_kinerja',
    description='Pengumpulan Data Kinerja Sekretariat Daerah (05/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['lampiran-V', 'quarterly', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_kabag', sop_id='sop05_data_kinerja', step_id='s01_tugaskan_kabag', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Kabag untuk menyusun laporan data kinerja Setda setiap triwulan')
    s02 = HumanStepSensor(task_id='s02_tugaskan_perencana', sop_id='sop05_data_kinerja', step_id='s02_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 2: Koordinator Perencana untuk menyiapkan bahan laporan kinerja Setda')
    s03 = HumanStepSensor(task_id='s03_arahkan_tim', sop_id='sop05_data_kinerja', step_id='s03_arahkan_tim', poll_seconds=10.0,
                          doc_md='Langkah 3: Mengarahkan Tim dan Perencanaan untuk mengumpulkan bahan laporan kinerja Setda')
    s04 = HumanStepSensor(task_id='s04_serahkan_bahan', sop_id='sop05_data_kinerja', step_id='s04_serahkan_bahan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menyerahkan bahan laporan kinerja Setda')
    s05 = HumanStepSensor(task_id='s05_buat_laporan', sop_id='sop05_data_kinerja', step_id='s05_buat_laporan', poll_seconds=10.0,
                          doc_md='Langkah 5: Membuat laporan data kinerja Setda')
    s06 = HumanStepSensor(task_id='s06_koreksi_laporan', sop_id='sop05_data_kinerja', step_id='s06_koreksi_laporan', poll_seconds=10.0,
                          doc_md='Langkah 6: Mengoreksi laporan data kinerja Setda')
    s07 = HumanStepSensor(task_id='s07_sahkan_laporan', sop_id='sop05_data_kinerja', step_id='s07_sahkan_laporan', poll_seconds=10.0,
                          doc_md='Langkah 7: Mengesahkan dan menandatangani laporan kinerja Setda')
    s08 = AutoStepOperator(task_id='s08_dokumentasikan', sop_id='sop05_data_kinerja', step_id='s08_dokumentasikan',
                           doc_md='Langkah 8: Mendokumentasikan laporan kinerja setiap triwulan dan menyusun laporan kinerja Setda setiap tahun')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08
