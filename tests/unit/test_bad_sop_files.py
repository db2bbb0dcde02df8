"""Malformed SOP files: each is a real file of config/sops/ copied to tmp_path with ONE thing broken.

Every broken file must be refused with a ConfigError whose message names the file, the step
(where a step is concerned), the field, and says what is wrong in words a unit's admin can act
on. The check is the one the DAG factory runs: `load_sop` then `check_against_staff`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from sopflow.domain.catalogue import check_against_staff
from sopflow.domain.errors import ConfigError
from sopflow.domain.sop import load_sop
from sopflow.domain.staff import load_staff

CONFIG = Path(__file__).resolve().parents[2] / "config"
SOPS = CONFIG / "sops"

RENJA_SCHEDULE = ('schedule:\n  cadence: annual\n  month: 1\n'
                  '  hari_kerja: 1   # the first working day of January (1 January is always a holiday)\n'
                  '  period: next\n  time: "09:00"\n')


def check(path: Path) -> None:
    """What the DAG factory does with one SOP file (schema, then roles and recipients)."""
    sop = load_sop(path)
    check_against_staff(path, sop, load_staff(CONFIG / "staff.yaml"))


def once(text: str, old: str, new: str) -> str:
    """Replace `old` by `new`, which must occur exactly once: the break is one precise edit."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the source file"
    return text.replace(old, new)


def step_block(text: str, no: int) -> tuple[int, int]:
    """Start and end offsets of step `no` (from its `- "no": N` line to the next step's)."""
    start = text.index(f'  - "no": {no}\n')
    following = re.compile(r'^  - "no": \d+\n', re.M).search(text, start + 1)
    return start, following.start() if following else len(text)


def swap_steps_4_5(text: str) -> str:
    s4, e4 = step_block(text, 4)
    s5, e5 = step_block(text, 5)
    assert e4 == s5
    return text[:s4] + text[s5:e5] + text[s4:e4] + text[e5:]


def line_of(needle: str, column: int | None = None) -> Callable[[str], str]:
    """The 'line N[, column C]' of the first line of the source file containing `needle`."""
    def where(text: str) -> str:
        line = text[: text.index(needle)].count("\n") + 1
        return f"line {line}" + (f", column {column}" if column else "")
    return where


def as_list(text: str) -> str:
    return yaml.safe_dump([yaml.safe_load(text)], allow_unicode=True, sort_keys=False)


@dataclass
class Bad:
    id: str
    source: str
    brk: Callable[[str], str | bytes]
    message: list[str]                       # substrings of what is wrong (any case)
    where: str | Callable[[str], str] | None = None  # "step 6 (s06_...)", or "line N" from the source
    field: str | None = None                 # e.g. "waktu_menit"
    absent: list[str] = dc_field(default_factory=list)


CASES = [
    Bad("yaml-syntax-unclosed-quote", "02_renja.yaml",
        lambda t: once(t, 'nama: "Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah"\n',
                       'nama: "Penyusunan Rencana Kerja (RENJA) Sekretariat Daerah\n'),
        ["YAML syntax error"], where=line_of("unit: \"Bagian", column=8)),
    Bad("yaml-syntax-bad-indent", "02_renja.yaml",
        lambda t: once(t, "    pelaksana: kabag\n    kind: review\n", "    pelaksana: kabag\n   kind: review\n"),
        ["YAML syntax error"], where=line_of("    kind: review\n", column=4)),
    Bad("yaml-tab-indent", "02_renja.yaml",
        lambda t: once(t, "    pelaksana: kabag\n    kind: review\n", "    pelaksana: kabag\n\tkind: review\n"),
        ["YAML syntax error", "tab"], where=line_of("    kind: review\n", column=1)),
    Bad("unknown-top-level-key", "02_renja.yaml",
        lambda t: once(t, "pencatatan:", "pemilik: perencana\npencatatan:"),
        ["unknown key"], field="pemilik"),
    Bad("unknown-step-key", "02_renja.yaml",
        lambda t: once(t, "    on_reject: s05_buat_dokumen\n", "    on_reject: s05_buat_dokumen\n    waktu: 120\n"),
        ["unknown key"], where="step 6 (s06_koreksi_dokumen)", field="waktu"),
    Bad("missing-uraian", "02_renja.yaml",
        lambda t: once(t, '    uraian: "Mengarahkan Tim Perencanaan dan Pelaporan untuk mengumpulkan bahan Rencana Kerja (Renja) Setda"\n', ""),
        ["Field required"], where="step 3 (s03_arahkan_tim)", field="uraian"),
    Bad("uraian-too-short", "02_renja.yaml",
        lambda t: once(t, '    uraian: "Menyerahkan bahan Rencana Kerja (Renja) Setda"\n', '    uraian: "-"\n'),
        ["at least 3 characters"], where="step 4 (s04_serahkan_bahan)", field="uraian"),
    Bad("on-reject-unknown-step", "02_renja.yaml",
        lambda t: once(t, "on_reject: s05_buat_dokumen", "on_reject: s05_buat_dokumn"),
        ["unknown step 's05_buat_dokumn'"], where="step 6 (s06_koreksi_dokumen)", field="on_reject"),
    Bad("on-reject-to-itself", "02_renja.yaml",
        lambda t: once(t, "on_reject: s05_buat_dokumen", "on_reject: s06_koreksi_dokumen"),
        ["cannot send work back to itself"], where="step 6 (s06_koreksi_dokumen)", field="on_reject"),
    Bad("on-reject-on-a-task", "02_renja.yaml",
        lambda t: once(t, "    kind: task\n    kelengkapan: [\"Draf data", "    kind: task\n    on_reject: s04_serahkan_bahan\n    kelengkapan: [\"Draf data"),
        ["on_reject is only for review or approval steps", "'task'"], where="step 5 (s05_buat_dokumen)", field="on_reject"),
    Bad("unknown-role", "02_renja.yaml",
        lambda t: once(t, "    pelaksana: kabag\n    kind: review\n", "    pelaksana: bupati\n    kind: review\n"),
        ["unknown role 'bupati'", "staff.yaml"], where="step 6 (s06_koreksi_dokumen)", field="pelaksana"),
    Bad("negative-minutes", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: -120\n"),
        ["greater than or equal to 1"], where="step 6 (s06_koreksi_dokumen)", field="waktu_menit"),
    Bad("zero-minutes", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 15\n", "waktu_menit: 0\n"),
        ["greater than or equal to 1"], where="step 1 (s01_tugaskan_kabag)", field="waktu_menit"),
    Bad("minutes-as-text", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: dua jam\n"),
        ["valid integer"], where="step 6 (s06_koreksi_dokumen)", field="waktu_menit"),
    Bad("minutes-with-fraction", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: 120.5\n"),
        ["valid integer"], where="step 6 (s06_koreksi_dokumen)", field="waktu_menit"),
    Bad("minutes-quoted", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: \"120\"\n"),
        ["valid integer"], where="step 6 (s06_koreksi_dokumen)", field="waktu_menit"),
    Bad("minutes-boolean", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: true\n"),
        ["valid integer"], where="step 6 (s06_koreksi_dokumen)", field="waktu_menit"),
    Bad("duplicate-key-in-step", "02_renja.yaml",
        lambda t: once(t, "waktu_menit: 120\n", "waktu_menit: 120\n    waktu_menit: 60\n"),
        ["duplicate key 'waktu_menit'"], where="line 124, column 5"),
    Bad("working-days-out-of-range", "02_renja.yaml",
        lambda t: once(t, "batas_hari_kerja: 3\n", "batas_hari_kerja: 0\n"),
        ["greater than or equal to 1"], where="step 4 (s04_serahkan_bahan)", field="batas_hari_kerja"),
    Bad("unknown-kind", "02_renja.yaml",
        lambda t: once(t, "    kind: approval\n", "    kind: sign\n"),
        ["'task', 'review', 'approval' or 'auto'"], where="step 7 (s07_sahkan_dokumen)", field="kind"),
    Bad("bad-step-id", "02_renja.yaml",
        lambda t: once(t, "id: s07_sahkan_dokumen", "id: S07-Sahkan"),
        ["step id must be lower-case"], where="step 7 (S07-Sahkan)", field="id"),
    Bad("schedule-as-python-text", "02_renja.yaml",
        lambda t: once(t, RENJA_SCHEDULE, "schedule: \"CronTriggerTimetable('0 9 * * *', timezone='Asia/Jakarta')\"\n"),
        ["schedule must be a mapping with a cadence", "not text or code"], field="schedule"),
    Bad("schedule-as-cron-text", "02_renja.yaml",
        lambda t: once(t, RENJA_SCHEDULE, 'schedule: "0 9 2 1 *"\n'),
        ["schedule must be a mapping with a cadence"], field="schedule"),
    Bad("schedule-unknown-cadence", "02_renja.yaml",
        lambda t: once(t, "cadence: annual", "cadence: monthly"),
        ["unknown cadence 'monthly'", "quarterly, annual, five_yearly, event, on_demand, batch"], field="schedule.cadence",
        absent=["{'cadence'"]),
    Bad("schedule-without-cadence", "02_renja.yaml",
        lambda t: once(t, "  cadence: annual\n", ""),
        ["schedule needs a cadence"], field="schedule.cadence"),
    Bad("schedule-unknown-key", "02_renja.yaml",
        lambda t: once(t, "  period: next\n", "  period: next\n  cron: '0 9 * * *'\n"),
        ["unknown key"], field="schedule.cron"),
    Bad("schedule-time-25h", "02_renja.yaml",
        lambda t: once(t, 'time: "09:00"', 'time: "25:00"'),
        ["time must be HH:MM (24h)", "'25:00'"], field="schedule.time"),
    Bad("schedule-time-unquoted-25h", "05_data_kinerja.yaml",
        lambda t: once(t, 'time: "09:00"', "time: 25:00"),
        ["time must be HH:MM (24h)", "'25:00'"], field="schedule.time"),
    Bad("schedule-month-13", "04_lkjip.yaml",
        lambda t: once(t, "  month: 1\n", "  month: 13\n"),
        ["less than or equal to 12"], field="schedule.month"),
    Bad("duplicate-step-number", "02_renja.yaml",
        lambda t: once(t, '  - "no": 5\n', '  - "no": 4\n'),
        ["numbered 1, 2, 3 ... in order", "found 4 at position 5"], where="step 4 (s05_buat_dokumen)", field="no"),
    Bad("steps-out-of-order", "02_renja.yaml", swap_steps_4_5,
        ["numbered 1, 2, 3 ... in order", "found 5 at position 4"], where="step 5 (s05_buat_dokumen)", field="no"),
    Bad("duplicate-step-id", "02_renja.yaml",
        lambda t: once(t, "id: s05_buat_dokumen\n", "id: s04_serahkan_bahan\n"),
        ["duplicate step id 's04_serahkan_bahan'", "also step 4"], where="step 5 (s04_serahkan_bahan)", field="id"),
    Bad("review-without-on-reject", "02_renja.yaml",
        lambda t: once(t, "    on_reject: s05_buat_dokumen\n", ""),
        ["a review step needs on_reject"], where="step 6 (s06_koreksi_dokumen)", field="on_reject"),
    Bad("auto-without-actions", "02_renja.yaml",
        lambda t: once(t, "    actions: [archive]\n", ""),
        ["an auto step needs actions"], where="step 8 (s08_dokumentasikan)", field="actions"),
    Bad("actions-on-a-task", "02_renja.yaml",
        lambda t: once(t, "    kind: task\n    kelengkapan: [\"Draf data", "    kind: task\n    actions: [archive]\n    kelengkapan: [\"Draf data"),
        ["actions are only for auto steps"], where="step 5 (s05_buat_dokumen)", field="actions"),
    Bad("unknown-action", "02_renja.yaml",
        lambda t: once(t, "actions: [archive]", "actions: [archive, print]"),
        ["'archive', 'distribute'", "'kirim_bpkad'"], where="step 8 (s08_dokumentasikan)", field="actions.1"),
    Bad("automatic-check-on-a-task", "08_spp.yaml",
        lambda t: once(t, "    kind: task\n    kelengkapan: []\n    waktu_menit: null\n    output: \"Catatan",
                       "    kind: task\n    cek_otomatis: kelengkapan_spj\n    kelengkapan: []\n    waktu_menit: null\n"
                       "    output: \"Catatan"),
        ["cek_otomatis is only for review steps"], where="step 3 (s03_register_spj)", field="cek_otomatis"),
    Bad("on-approve-action-on-an-auto-step", "08_spp.yaml",
        lambda t: once(t, "    actions: [kirim_bpkad]\n", "    actions: [kirim_bpkad]\n    saat_iya: [nomor_bku]\n"),
        ["saat_iya is only for review or approval steps"], where="step 13 (s13_kirim_ke_bpkad)", field="saat_iya"),
    Bad("unknown-batch-item", "08_spp.yaml",
        lambda t: once(t, "  item: spj\n", "  item: kuitansi\n"),
        ["'spj'"], field="schedule.item"),
    Bad("distribute-without-recipients", "04_lkjip.yaml",
        lambda t: once(t, "    distribusi: [bagian_organisasi, bappeda, inspektorat]\n", ""),
        ["a distribute action needs distribusi"], where="step 8 (s08_dokumentasikan_kirim)", field="distribusi"),
    Bad("unknown-recipient", "04_lkjip.yaml",
        lambda t: once(t, "distribusi: [bagian_organisasi, bappeda, inspektorat]", "distribusi: [bagian_organisasi, bappeda, dprd]"),
        ["unknown recipient 'dprd'", "staff.yaml"], where="step 8 (s08_dokumentasikan_kirim)", field="distribusi"),
    Bad("per-bagian-on-role-without-bagian", "07_monev_kinerja.yaml",
        lambda t: once(t, "    pelaksana: perencana_pembantu\n    per: bagian\n", "    pelaksana: sekda\n    per: bagian\n"),
        ["role 'sekda' has no member in any Bagian"], where="step 3 (s03_susun_laporan_bagian)", field="per"),
    Bad("bad-sop-id", "02_renja.yaml",
        lambda t: once(t, "id: sop02_renja", "id: renja"),
        ["SOP id must look like 'sop02_renja'", "'renja'"], field="id"),
    Bad("missing-top-level-field", "02_renja.yaml",
        lambda t: re.sub(r'^disahkan_oleh: .*\n', "", t, count=1, flags=re.M),
        ["Field required"], field="disahkan_oleh"),
    Bad("no-steps", "02_renja.yaml",
        lambda t: t[: t.index("\nsteps:\n")] + "\nsteps: []\n",
        ["at least 1 item"], field="steps"),
    Bad("file-is-a-list", "02_renja.yaml", as_list,
        ["must be a YAML mapping", "not a list"]),
    Bad("empty-file", "02_renja.yaml", lambda t: "",
        ["the file is empty", "YAML mapping"]),
    Bad("only-comments", "02_renja.yaml", lambda t: t[: t.index("id: sop02_renja")],
        ["the file is empty"]),
    Bad("invalid-utf8", "02_renja.yaml",
        lambda t: once(t, "Mengoreksi dokumen", "Mengoreksi d\udcffokumen").encode("utf-8", "surrogateescape"),
        ["not valid UTF-8", "0xff"], where=line_of("Mengoreksi dokumen")),
    Bad("latin1-encoded", "06_monev_renstra.yaml",
        lambda t: (t + '# Catatan: "Sekretariat Daerah" disingkat Setda; kata asing: caf\u00e9\n').encode("latin-1"),
        ["not valid UTF-8", "0xe9"], where=lambda t: f"line {t.count(chr(10)) + 1}"),
]


def test_enough_cases():
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name", sorted({c.source for c in CASES}))
def test_unbroken_copy_loads(tmp_path, name):
    """The copies are fine before they are broken: the error comes from the one edit."""
    target = tmp_path / name
    shutil.copyfile(SOPS / name, target)
    check(target)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_sop_file_is_refused_with_a_clear_message(tmp_path, case: Bad):
    original = (SOPS / case.source).read_text(encoding="utf-8")
    broken = case.brk(original)
    assert broken != original
    target = tmp_path / case.source
    if isinstance(broken, bytes):
        target.write_bytes(broken)
    else:
        target.write_text(broken, encoding="utf-8")

    with pytest.raises(ConfigError) as info:
        check(target)
    err = info.value
    text = str(err)

    # One line, starting with the file, readable as it stands.
    assert "\n" not in text
    assert text.startswith(str(target)), text
    assert case.source in text
    assert err.path == str(target)
    assert "Traceback" not in text and "pydantic" not in text.lower() and "errors.pydantic.dev" not in text
    for part in case.message:
        assert part.lower() in text.lower(), f"{part!r} not in {text!r}"
    for part in case.absent:
        assert part not in text, text
    if case.where is not None:
        where = case.where(original) if callable(case.where) else case.where
        assert err.where == where, text
        assert f", {where}" in text
    if case.field is not None:
        assert err.field == case.field, text
        assert f"field '{case.field}'" in text
    else:
        assert err.field is None, text


# --- a schedule written as code is refused without running anything ------------------------------
PAYLOADS = [
    "schedule: !!python/object/apply:os.system [\"touch {marker}\"]\n",
    "schedule: !!python/object/apply:subprocess.call [[\"touch\", \"{marker}\"]]\n",
    "schedule: !!python/object/new:subprocess.Popen [[\"touch\", \"{marker}\"]]\n",
    "schedule: !!python/name:os.system\n",
    "schedule:\n  cadence: !!python/object/apply:os.system [\"touch {marker}\"]\n",
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["os.system", "subprocess.call", "Popen", "name", "nested"])
def test_python_tagged_schedule_is_refused_without_executing(tmp_path, payload):
    marker = tmp_path / "PWNED"
    target = tmp_path / "02_renja.yaml"
    target.write_text(once((SOPS / "02_renja.yaml").read_text(encoding="utf-8"), RENJA_SCHEDULE,
                           payload.format(marker=marker)), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        check(target)
    text = str(info.value)
    assert text.startswith(str(target))
    assert "YAML syntax error" in text and "could not determine a constructor" in text
    assert "python/" in text
    assert info.value.where is not None and info.value.where.startswith("line ")
    assert not marker.exists(), "the YAML payload was executed"


def test_python_code_as_text_is_not_evaluated(tmp_path):
    marker = tmp_path / "PWNED"
    target = tmp_path / "02_renja.yaml"
    code = f"__import__('pathlib').Path('{marker}').touch()"
    target.write_text(once((SOPS / "02_renja.yaml").read_text(encoding="utf-8"), RENJA_SCHEDULE,
                           f'schedule: "{code}"\n'), encoding="utf-8")
    with pytest.raises(ConfigError, match="schedule must be a mapping with a cadence"):
        check(target)
    assert not marker.exists()


def test_missing_file_names_the_file(tmp_path):
    target = tmp_path / "09_tidak_ada.yaml"
    with pytest.raises(ConfigError) as info:
        check(target)
    assert str(info.value).startswith(str(target))
    assert "cannot read the file" in str(info.value)
