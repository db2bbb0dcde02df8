"""sop06_monev_renstra written by hand (benchmark twin of dags/sop06_monev_renstra.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import WorkingDayTimetable

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = WorkingDayTimetable((1,), 1, 9, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Monitoring dan Evaluasi Rencana Strategis (Renstra) Sekretariat Daerah',
    '',
    '**Nomor SOP:** 06/SOP/409.1.10/2023 (Lampiran VI, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Koordinator Perencana untuk melakukan monev dokumen Rencana Strategis (Renstra) Setda | kabag | task | 15 menit | Disposisi |',
    '| 2 | Sub Koordinator Perencana membuat undangan monev dokumen Rencana Strategis (Renstra) Setda | perencana | task | 30 menit | Disposisi |',
    '| 3 | Memeriksa dan paraf undangan monev dokumen Rencana Strategis (Renstra) Setda | kabag | review | 15 menit | Disposisi |',
    '| 4 | Menandatangani undangan monev dokumen Rencana Strategis (Renstra) Setda | asisten_administrasi_umum | approval | 15 menit | Undangan terdisposisikan |',
    '| 5 | Menyampaikan undangan kepada Tim Perencanaan dan Pelaporan yang ada di seluruh Bagian Setda | perencana | auto | 30 menit | Disposisi |',
    '| 6 | Rapat koordinasi, monitoring dan evaluasi perencanaan dan pelaporan masing-masing Bagian di Setda | perencana | task | 15 menit | Laporan hasil monitoring dan evaluasi perencanaan dan pelaporan masing-masing Bagian di Setda |',
    '| 7 | Pemaparan Rencana Strategis (Renstra) Setda | perencana | task | 120 menit | Dokumen Rencana Strategis (Renstra) Setda |',
    '| 8 | Melakukan evaluasi dan menyampaikan indikator (masuk, keluaran hasil dan target kegiatan) Rencana Strategis (Renstra) Setda | tim_perencanaan_pelaporan | task | 120 menit | Hasil evaluasi Dokumen perencanaan dan pelaporan masing-masing Bagian di Setda |',
    '| 9 | Mengoreksi indikator (masuk, keluaran hasil dan target kegiatan) Rencana Strategis (Renstra) Setda | kabag | review | 120 menit | Hasil koreksi dokumen Rencana Strategis (Renstra) Setda |',
    '| 10 | Mencatat hasil monitoring dan evaluasi perencanaan dan pelaporan di notulen rapat | tim_perencanaan_pelaporan | task | 60 menit | Notulen rapat hasil koreksi Dokumen Rencana Strategis (Renstra) Setda |',
    '| 11 | Menyampaikan hasil monitoring dan evaluasi Renstra perencanaan dan pelaporan di notulen rapat | kabag | task | 60 menit | Notulen rapat hasil koreksi Dokumen Rencana Strategis (Renstra) Setda |',
    '| 12 | Meneliti hasil monitoring dan evaluasi perencanaan dan pelaporan di notulen rapat | asisten_administrasi_umum | review | 60 menit | Disposisi |',
    '| 13 | Menyusun dokumen perubahan Rencana Strategis (Renstra) Setda | perencana | task | 1080 menit | Dokumen perubahan Rencana Strategis (Renstra) Setda |',
    '| 14 | Mencetak dokumen perubahan Rencana Strategis (Renstra) Setda | perencana | task | 180 menit | Dokumen perubahan Rencana Strategis (Renstra) Setda |',
    '',
    '**Peringatan:** Jika SOP tidak dilaksanakan maka tidak akan diketahui ketidaksesuaian antara Renstra dengan RPJMD Kabupaten Blitar Tahun 2021-2026',
])

with DAG(
    dag_id='sop06_monev_renstra',
    description='Monitoring dan Evaluasi Rencana Strategis (Renstra) Sekretariat Daerah (06/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['annual', 'lampiran-VI', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_perencana', sop_id='sop06_monev_renstra', step_id='s01_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Koordinator Perencana untuk melakukan monev dokumen Rencana Strategis (Renstra) Setda')
    s02 = HumanStepSensor(task_id='s02_buat_undangan', sop_id='sop06_monev_renstra', step_id='s02_buat_undangan', poll_seconds=10.0,
                          doc_md='Langkah 2: Sub Koordinator Perencana membuat undangan monev dokumen Rencana Strategis (Renstra) Setda')
    s03 = HumanStepSensor(task_id='s03_periksa_undangan', sop_id='sop06_monev_renstra', step_id='s03_periksa_undangan', poll_seconds=10.0,
                          doc_md='Langkah 3: Memeriksa dan paraf undangan monev dokumen Rencana Strategis (Renstra) Setda')
    s04 = HumanStepSensor(task_id='s04_tandatangani_undangan', sop_id='sop06_monev_renstra', step_id='s04_tandatangani_undangan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menandatangani undangan monev dokumen Rencana Strategis (Renstra) Setda')
    s05 = AutoStepOperator(task_id='s05_sampaikan_undangan', sop_id='sop06_monev_renstra', step_id='s05_sampaikan_undangan',
                           doc_md='Langkah 5: Menyampaikan undangan kepada Tim Perencanaan dan Pelaporan yang ada di seluruh Bagian Setda')
    s06 = HumanStepSensor(task_id='s06_rapat_koordinasi', sop_id='sop06_monev_renstra', step_id='s06_rapat_koordinasi', poll_seconds=10.0,
                          doc_md='Langkah 6: Rapat koordinasi, monitoring dan evaluasi perencanaan dan pelaporan masing-masing Bagian di Setda')
    s07 = HumanStepSensor(task_id='s07_paparkan_renstra', sop_id='sop06_monev_renstra', step_id='s07_paparkan_renstra', poll_seconds=10.0,
                          doc_md='Langkah 7: Pemaparan Rencana Strategis (Renstra) Setda')
    s08 = HumanStepSensor(task_id='s08_evaluasi_indikator', sop_id='sop06_monev_renstra', step_id='s08_evaluasi_indikator', poll_seconds=10.0,
                          doc_md='Langkah 8: Melakukan evaluasi dan menyampaikan indikator (masuk, keluaran hasil dan target kegiatan) Rencana Strategis (Renstra) Setda')
    s09 = HumanStepSensor(task_id='s09_koreksi_indikator', sop_id='sop06_monev_renstra', step_id='s09_koreksi_indikator', poll_seconds=10.0,
                          doc_md='Langkah 9: Mengoreksi indikator (masuk, keluaran hasil dan target kegiatan) Rencana Strategis (Renstra) Setda')
    s10 = HumanStepSensor(task_id='s10_catat_notulen', sop_id='sop06_monev_renstra', step_id='s10_catat_notulen', poll_seconds=10.0,
                          doc_md='Langkah 10: Mencatat hasil monitoring dan evaluasi perencanaan dan pelaporan di notulen rapat')
    s11 = HumanStepSensor(task_id='s11_sampaikan_hasil', sop_id='sop06_monev_renstra', step_id='s11_sampaikan_hasil', poll_seconds=10.0,
                          doc_md='Langkah 11: Menyampaikan hasil monitoring dan evaluasi Renstra perencanaan dan pelaporan di notulen rapat')
    s12 = HumanStepSensor(task_id='s12_teliti_hasil', sop_id='sop06_monev_renstra', step_id='s12_teliti_hasil', poll_seconds=10.0,
                          doc_md='Langkah 12: Meneliti hasil monitoring dan evaluasi perencanaan dan pelaporan di notulen rapat')
    s13 = HumanStepSensor(task_id='s13_susun_perubahan', sop_id='sop06_monev_renstra', step_id='s13_susun_perubahan', poll_seconds=10.0,
                          doc_md='Langkah 13: Menyusun dokumen perubahan Rencana Strategis (Renstra) Setda')
    s14 = HumanStepSensor(task_id='s14_cetak_perubahan', sop_id='sop06_monev_renstra', step_id='s14_cetak_perubahan', poll_seconds=10.0,
                          doc_md='Langkah 14: Mencetak dokumen perubahan Rencana Strategis (Renstra) Setda')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08 >> s09 >> s10 >> s11 >> s12 >> s13 >> s14
