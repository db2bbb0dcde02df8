"""`sopflow validate`, run as the installed command in a subprocess, on good and broken config."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config"
SOPFLOW = REPO / ".venv" / "bin" / "sopflow"
SOP_FILES = sorted(p.name for p in (CONFIG / "sops").glob("*.yaml"))


def run(tmp_path: Path, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPFLOW_")}
    env["SOPFLOW_HOME"] = str(tmp_path / "home")
    env["SOPFLOW_DATABASE_URL"] = "sqlite:////nonexistent/dir/x.db"  # validate needs no database
    if config is not None:
        env["SOPFLOW_CONFIG_DIR"] = str(config)
    return subprocess.run([str(SOPFLOW), "validate", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def config_copy(tmp_path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def break_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"expected exactly one {old!r} in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_command_is_installed():
    assert SOPFLOW.exists(), "install sopflow into .venv (pip install -e .)"


def test_real_config_is_ok(tmp_path):
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: 8 SOP")
    assert "staff.yaml" in proc.stdout and "calendar.yaml" in proc.stdout
    assert proc.stderr == ""
    assert len(SOP_FILES) == 8


def test_copy_of_real_config_is_ok(tmp_path, config_copy):
    proc = run(tmp_path, config=config_copy)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: 8 SOP")


BROKEN = [
    # (file, old, new, step, field, words)
    ("06_monev_renstra.yaml", "    id: s03_periksa_undangan\n", "    id: s03_periksa_undangan\n    waktu: 15\n",
     "step 3 (s03_periksa_undangan)", "waktu", "unknown key"),
    ("02_renja.yaml", "waktu_menit: 120\n", "waktu_menit: -120\n",
     "step 6 (s06_koreksi_dokumen)", "waktu_menit", "greater than or equal to 1"),
    ("04_lkjip.yaml", "distribusi: [bagian_organisasi, bappeda, inspektorat]", "distribusi: [bagian_organisasi, bappeda, dprd]",
     "step 8 (s08_dokumentasikan_kirim)", "distribusi", "unknown recipient 'dprd'"),
    ("02_renja.yaml", "    pelaksana: kabag\n    kind: review\n", "    pelaksana: bupati\n    kind: review\n",
     "step 6 (s06_koreksi_dokumen)", "pelaksana", "unknown role 'bupati'"),
]


@pytest.mark.parametrize("name, old, new, where, field, words", BROKEN, ids=[f"{b[0]}-{b[4]}" for b in BROKEN])
def test_one_broken_sop_in_config_dir(tmp_path, config_copy, name, old, new, where, field, words):
    target = config_copy / "sops" / name
    break_once(target, old, new)

    proc = run(tmp_path, config=config_copy)

    assert proc.returncode == 1
    assert proc.stdout == "", "no OK line when something is wrong"
    err = lines(proc.stderr)
    assert len(err) == 1, proc.stderr
    line = err[0]
    assert str(target) in line
    assert where in line
    assert f"field '{field}'" in line
    assert words in line
    assert "Traceback" not in proc.stderr
    for good in SOP_FILES:
        if good != name:
            assert good not in proc.stderr


def test_validate_single_broken_file(tmp_path):
    target = tmp_path / "02_renja.yaml"
    shutil.copyfile(CONFIG / "sops" / "02_renja.yaml", target)
    break_once(target, "    on_reject: s05_buat_dokumen\n", "    on_reject: s99_tidak_ada\n")

    proc = run(tmp_path, str(target))

    assert proc.returncode == 1
    assert proc.stdout == ""
    err = lines(proc.stderr)
    assert err == [f"{target}, step 6 (s06_koreksi_dokumen), field 'on_reject': refers to unknown step 's99_tidak_ada'"]


def test_validate_single_good_file(tmp_path):
    target = tmp_path / "02_renja.yaml"
    shutil.copyfile(CONFIG / "sops" / "02_renja.yaml", target)
    proc = run(tmp_path, str(target))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("OK: 1 SOP")


def test_validate_single_file_with_yaml_syntax_error(tmp_path):
    target = tmp_path / "05_data_kinerja.yaml"
    shutil.copyfile(CONFIG / "sops" / "05_data_kinerja.yaml", target)
    break_once(target, "  cadence: quarterly\n", "  cadence: [quarterly\n")
    proc = run(tmp_path, str(target))
    assert proc.returncode == 1
    err = lines(proc.stderr)
    assert len(err) == 1 and err[0].startswith(f"{target}, line ")
    assert "YAML syntax error" in err[0]


def test_validate_schedule_code_is_not_run(tmp_path):
    marker = tmp_path / "PWNED"
    target = tmp_path / "07_monev_kinerja.yaml"
    shutil.copyfile(CONFIG / "sops" / "07_monev_kinerja.yaml", target)
    break_once(target, "  cadence: quarterly\n", f"  cadence: !!python/object/apply:os.system [\"touch {marker}\"]\n")
    proc = run(tmp_path, str(target))
    assert proc.returncode == 1
    assert "could not determine a constructor" in proc.stderr
    assert not marker.exists()


def _person_with_roles(staff_text: str) -> tuple[str, list[str]]:
    person = next(p for p in yaml.safe_load(staff_text)["people"] if p.get("roles"))
    return person["id"], person["roles"]


def test_broken_staff_yaml(tmp_path, config_copy):
    staff = config_copy / "staff.yaml"
    text = staff.read_text(encoding="utf-8")
    person, roles = _person_with_roles(text)
    old = f"roles: [{', '.join(roles)}]"
    break_once(staff, old, f"roles: [{', '.join(roles)}, bupati]")

    proc = run(tmp_path, config=config_copy)

    assert proc.returncode == 1
    assert proc.stdout == ""
    err = lines(proc.stderr)
    assert len(err) == 1, proc.stderr
    assert err[0].startswith(f"{staff}")
    assert "staff.yaml" in err[0]
    assert f"person {person!r}" in err[0]
    assert "unknown role 'bupati'" in err[0]
    assert "Traceback" not in proc.stderr


def test_broken_staff_yaml_names_the_field(tmp_path, config_copy):
    staff = config_copy / "staff.yaml"
    person, roles = _person_with_roles(staff.read_text(encoding="utf-8"))
    break_once(staff, f"roles: [{', '.join(roles)}]", f"roles: [{', '.join(roles)}, bupati]")
    proc = run(tmp_path, config=config_copy)
    assert proc.returncode == 1
    assert "field 'people." in proc.stderr and "roles" in proc.stderr.split("field '", 1)[1].split("'", 1)[0]


def test_staff_yaml_unknown_key_names_the_field(tmp_path, config_copy):
    staff = config_copy / "staff.yaml"
    break_once(staff, "\nunit: ", "\nkantor: x\nunit: ")
    proc = run(tmp_path, config=config_copy)
    assert proc.returncode == 1
    err = lines(proc.stderr)
    assert len(err) == 1, proc.stderr
    assert err[0].startswith(f"{staff}") and "field 'kantor'" in err[0] and "unknown key" in err[0]
