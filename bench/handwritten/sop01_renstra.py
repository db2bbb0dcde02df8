"""sop01_renstra written by hand (benchmark twin of dags/sop01_renstra.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param
from airflow.timetables.events import EventsTimetable

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = EventsTimetable(
    event_dates=[
        dt.datetime(2026, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2031, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2036, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2041, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2046, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2051, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2056, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2061, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2066, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2071, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2076, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2081, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2086, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2091, 1, 2, 9, 0, tzinfo=JAKARTA),
        dt.datetime(2096, 1, 2, 9, 0, tzinfo=JAKARTA),
    ],
    description='setiap 5 tahun sejak 2026',
    presorted=True,
    restrict_to_events=False,
)

DOC_MD = "\n".join([
    '# Penyusunan Rencana Strategis (Renstra) Sekretariat Daerah',
    '',
    '**Nomor SOP:** 01/SOP/409.1.10/2023 (Lampiran I, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Kabag untuk menyusun dokumen Rencana Strategis (Renstra) Setda | sekda | task | 15 menit | Disposisi |',
    '| 2 | Menugaskan Sub Koordinator Perencana untuk menyiapkan bahan Rencana Strategis (Renstra) Setda | kabag | task | 30 menit | Disposisi |',
    '| 3 | Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan Rencana Strategis (Renstra) Setda | perencana | task | 30 menit | Catatan pembagian tugas |',
    '| 4 | Menyerahkan bahan Rencana Strategis (Renstra) Setda | tim_perencanaan_pelaporan | task | 30 menit (batas 3 hari kerja) | Draf data dokumen Rencana Strategis (Renstra) Setda |',
    '| 5 | Membuat dokumen Rencana Strategis (Renstra) Setda | perencana | task | 420 menit | Dokumen Rencana Strategis (Renstra) Setda |',
    '| 6 | Mengoreksi dokumen Rencana Strategis (Renstra) Setda | kabag | review | 120 menit | Hasil koreksi Dokumen Rencana Strategis (Renstra) Setda |',
    '| 7 | Mengesahkan dan menandatangani dokumen Rencana Strategis (Renstra) Setda | sekda | approval | 60 menit | Dokumen Rencana Strategis (Renstra) Setda, Disposisi |',
    '| 8 | Mendokumentasikan dokumen Strategis (Renstra) Setda | perencana | auto | 420 menit | - |',
    '',
    '**Peringatan:** Jika Penyusunan Renstra Sekretariat Daerah tidak sesuai SOP maka akan mempengaruhi pelaksanaan kegiatan Sekretariat Daerah untuk periode 5 (lima) tahun kedepan.',
])

with DAG(
    dag_id='sop01_renstra',
    description='Penyusunan Rencana Strategis (Renstra) Sekretariat Daerah (01/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['five_yearly', 'lampiran-I', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_kabag', sop_id='sop01_renstra', step_id='s01_tugaskan_kabag', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Kabag untuk menyusun dokumen Rencana Strategis (Renstra) Setda')
    s02 = HumanStepSensor(task_id='s02_tugaskan_perencana', sop_id='sop01_renstra', step_id='s02_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 2: Menugaskan Sub Koordinator Perencana untuk menyiapkan bahan Rencana Strategis (Renstra) Setda')
    s03 = HumanStepSensor(task_id='s03_arahkan_tim', sop_id='sop01_renstra', step_id='s03_arahkan_tim', poll_seconds=10.0,
                          doc_md='Langkah 3: Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan Rencana Strategis (Renstra) Setda')
    s04 = HumanStepSensor(task_id='s04_serahkan_bahan', sop_id='sop01_renstra', step_id='s04_serahkan_bahan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menyerahkan bahan Rencana Strategis (Renstra) Setda')
    s05 = HumanStepSensor(task_id='s05_buat_dokumen', sop_id='sop01_renstra', step_id='s05_buat_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 5: Membuat dokumen Rencana Strategis (Renstra) Setda')
    s06 = HumanStepSensor(task_id='s06_koreksi_dokumen', sop_id='sop01_renstra', step_id='s06_koreksi_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 6: Mengoreksi dokumen Rencana Strategis (Renstra) Setda')
    s07 = HumanStepSensor(task_id='s07_sahkan_dokumen', sop_id='sop01_renstra', step_id='s07_sahkan_dokumen', poll_seconds=10.0,
                          doc_md='Langkah 7: Mengesahkan dan menandatangani dokumen Rencana Strategis (Renstra) Setda')
    s08 = AutoStepOperator(task_id='s08_dokumentasikan', sop_id='sop01_renstra', step_id='s08_dokumentasikan',
                           doc_md='Langkah 8: Mendokumentasikan dokumen Strategis (Renstra) Setda')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08
