"""sop02_renja written by hand (benchmark twin of dags/sop02_renja.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import WorkingDayTimetable

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = WorkingDayTimetable((1,), 1, 9, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah',
    '',
    '**Nomor SOP:** 02/SOP/409.1.10/2023 (Lampiran II, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Kabag untuk menyusun dokumen Rencana Kerja (Renja) Setda | sekda | task | 15 menit | Disposisi |',
    '| 2 | Menugaskan Perencana untuk menyiapkan bahan Rencana Kerja (Renja) Setda | kabag | task | 30 menit | Disposisi |',
    '| 3 | Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan Rencana Kerja (Renja) Setda | perencana | task | 30 menit | Catatan pembagian tugas |',
    '| 4 | Menyerahkan bahan Rencana Kerja (Renja) Setda | tim_perencanaan_pelaporan | task | 30 menit (batas 3 hari kerja) | Draf data Dokumen Rencana Kerja (Renja) Setda |',
    '| 5 | Membuat dokumen Rencana Kerja (Renja) Setda | perencana | task | 420 menit | Dokumen Rencana Kerja (Renja) Setda |',
    '| 6 | Mengoreksi dokumen Rencana Kerja (Renja) Setda | kabag | review | 120 menit | Hasil koreksi Dokumen Rencana Kerja (Renja) Setda |',
    '| 7 | Mengesahkan dan menandatangani dokumen Rencana Kerja (Renja) Setda | sekda | approval | 60 menit | Dokumen Rencana Kerja (Renja) Setda, Disposisi |',
    '| 8 | Mendokumentasikan Kerja (Renja) Setda dokumen | perencana | auto | 420 menit | - |',
    '',
    '**Peringatan:** Jika Penyusunan Renja Setda tidak sesuai SOP maka akan mempengaruhi pelaksanaan kegiatan Setda dalam 1 (satu) tahun',
])

with DAG(
    dag_id='sop02_renja',
    description='Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah (02/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['annual', 'lampiran-II', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_kabag', sop_id='sop02_renja', step_id='s01_tugaskan_kabag', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Kabag untuk menyusun dokumen Rencana Kerja (Renja) Setda')
    s02 = HumanStepSensor(task_id='s02_tugaskan_perencana', sop_id='sop02_renja', step_id='s02_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 2: Menugaskan Perencana untuk menyiapkan bahan Rencana Kerja (Renja) Setda')
    s03 = HumanStepSensor(task_id='s03_arahkan_tim', sop_id='sop02_renja', step_id='s03_arahkan_tim', poll_seconds=10.0,
                          doc_md='Langkah 3: Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan Rencana Kerja (Renja) Setda')
    s04 = HumanStepSensor(task_id='s04_serahkan_bahan', sop_id='sop02_renja', step_id='s04_serahkan_bahan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menyerahkan bahan Rencana Kerja (Renja) Setda')
    s05 = HumanStepSensor(task_id='s05_buat_dokumen', sop_id='sop02_renja', step_id='s05_buat_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 5: Membuat dokumen Rencana Kerja (Renja) Setda')
    s06 = HumanStepSensor(task_id='s06_koreksi_dokumen', sop_id='sop02_renja', step_id='s06_koreksi_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 6: Mengoreksi dokumen Rencana Kerja (Renja) Setda')
    s07 = HumanStepSensor(task_id='s07_sahkan_dokumen', sop_id='sop02_renja', step_id='s07_sahkan_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 7: Mengesahkan dan menandatangani dokumen Rencana Kerja (Renja) Setda')
    s08 = AutoStepOperator(task_id='s08_dokumentasikan', sop_id='sop02_renja', step_id='s08_dokumentasikan',
                           doc_md='Langkah 8: Mendokumentasikan Kerja (Renja) Setda dokumen')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08
