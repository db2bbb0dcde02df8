"""sop04_lkjip written by hand (benchmark twin of dags/sop04_lkjip.py): literal values, no YAML."""

import datetime as dt
from zoneinfo import ZoneInfo

from airflow.sdk import DAG, Param

from sopflow.airflow.operators import AutoStepOperator, HumanStepSensor
from sopflow.airflow.timetables import WorkingDayTimetable

JAKARTA = ZoneInfo("Asia/Jakarta")

SCHEDULE = WorkingDayTimetable((1,), 1, 9, 0, timezone='Asia/Jakarta')

DOC_MD = "\n".join([
    '# Penyusunan Laporan Kinerja Instansi Pemerintah (LKJiP) Sekretariat Daerah',
    '',
    '**Nomor SOP:** 04/SOP/409.1.10/2023 (Lampiran IV, Keputusan 188/ 20 /409.1.2/KPTS.SEKDA/2023)  ',
    '**Unit:** Bagian Perencanaan dan Keuangan Sekretariat Daerah Kabupaten Blitar  ',
    '**Disahkan oleh:** SEKRETARIS DAERAH KABUPATEN BLITAR',
    '',
    '| No | Uraian | Pelaksana | Jenis | Mutu baku | Output |',
    '|---|---|---|---|---|---|',
    '| 1 | Menugaskan Kabag untuk menyusun Dokumen Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | sekda | task | 15 menit | Disposisi |',
    '| 2 | Menugaskan Perencana untuk menyiapkan bahan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | kabag | task | 30 menit | Disposisi |',
    '| 3 | Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan penyusunan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | perencana | task | 30 menit | Catatan pembagian tugas |',
    '| 4 | Menyerahkan bahan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | tim_perencanaan_pelaporan | task | 30 menit (batas 3 hari kerja) | Draf data Laporan Kinerja Instansi Pemerintah (LKJIP) Setda |',
    '| 5 | Membuat/menyusun Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | perencana | task | 420 menit | Laporan Kinerja Instansi Pemerintah (LKJIP) Setda |',
    '| 6 | Mengoreksi Dokumen Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | kabag | review | 120 menit | Hasil koreksi Laporan Kinerja Instansi Pemerintah (LKJIP) Setda |',
    '| 7 | Mengesahkan dan menandatangani Laporan Kinerja Pemerintah (LKJIP) Setda dan Dokumen Instansi | sekda | approval | 60 menit | Laporan Kinerja Instansi Pemerintah (LKJIP) Setda, Disposisi |',
    '| 8 | Mendokumentasikan dan mengirim Laporan Kinerja Pemerintah (LKJIP) Setda dan mengirim Laporan Kinerja Instansi Pemerintah (LKJIP) Setda | perencana | auto | 420 menit | - |',
    '',
    '**Peringatan:** Jika SOP tidak dilaksanakan maka penyusunan LKJiP tidak maksimal dan tidak tercapai kinerja sesuai target yang ditetapkan',
])

with DAG(
    dag_id='sop04_lkjip',
    description='Penyusunan Laporan Kinerja Instansi Pemerintah (LKJiP) Sekretariat Daerah (04/SOP/409.1.10/2023)',
    schedule=SCHEDULE,
    start_date=dt.datetime(2026, 1, 1, 0, 0, tzinfo=JAKARTA),
    catchup=False,
    max_active_runs=1,
    is_paused_upon_creation=True,
    params={
        'periode': Param('', description="Kosongkan agar dihitung dari tanggal run (Asia/Jakarta), mis. 'Triwulan III 2026'.", type='string', title='Periode (opsional)'),
    },
    doc_md=DOC_MD,
    tags=['annual', 'lampiran-IV', 'sopflow'],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
) as dag:
    s01 = HumanStepSensor(task_id='s01_tugaskan_kabag', sop_id='sop04_lkjip', step_id='s01_tugaskan_kabag', poll_seconds=10.0,
                          doc_md='Langkah 1: Menugaskan Kabag untuk menyusun Dokumen Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s02 = HumanStepSensor(task_id='s02_tugaskan_perencana', sop_id='sop04_lkjip', step_id='s02_tugaskan_perencana', poll_seconds=10.0,
                          doc_md='Langkah 2: Menugaskan Perencana untuk menyiapkan bahan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s03 = HumanStepSensor(task_id='s03_arahkan_tim', sop_id='sop04_lkjip', step_id='s03_arahkan_tim', poll_seconds=10.0,
                          doc_md='Langkah 3: Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan penyusunan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s04 = HumanStepSensor(task_id='s04_serahkan_bahan', sop_id='sop04_lkjip', step_id='s04_serahkan_bahan', poll_seconds=10.0,
                          doc_md='Langkah 4: Menyerahkan bahan Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s05 = HumanStepSensor(task_id='s05_susun_lkjip', sop_id='sop04_lkjip', step_id='s05_susun_lkjip', poll_seconds=10.0,
                          doc_md='Langkah 5: Membuat/menyusun Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s06 = HumanStepSensor(task_id='s06_koreksi_lkjip', sop_id='sop04_lkjip', step_id='s06_koreksi_lkjip', poll_seconds=10.0,
                          doc_md='Langkah 6: Mengoreksi Dokumen Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s07 = HumanStepSensor(task_id='s07_sahkan_lkjip', sop_id='sop04_lkjip', step_id='s07_sahkan_lkjip', poll_seconds=10.0,
                          doc_md='Langkah 7: Mengesahkan dan menandatangani Laporan Kinerja Pemerintah (LKJIP) Setda dan Dokumen Instansi')
    s08 = AutoStepOperator(task_id='s08_dokumentasikan_kirim', sop_id='sop04_lkjip', step_id='s08_dokumentasikan_kirim',
                           doc_md='Langkah 8: Mendokumentasikan dan mengirim Laporan Kinerja Pemerintah (LKJIP) Setda dan mengirim Laporan Kinerja Instansi Pemerintah (LKJIP) Setda')
    s01 >> s02 >> s03 >> s04 >> s05 >> s06 >> s07 >> s08
