"""`sopflow terbilang`, as a bendahara runs it."""

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def cli(*args):
    return subprocess.run([str(BIN / "sopflow"), "terbilang", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("amount", ["1001000", "1.001.000", "Rp 1.001.000"])
def test_prints_the_words(amount):
    out = cli(amount)
    assert out.returncode == 0 and out.stdout == "satu juta seribu rupiah\n" and out.stderr == ""


def test_sen_follow_the_rupiah():
    out = cli("1.001.000,50")
    assert out.returncode == 0 and out.stdout.strip() == "satu juta seribu rupiah lima puluh sen"


@pytest.mark.parametrize("amount", ["1,001,000", "satu juta", "1.00.000", "12,345"])
def test_bad_input_exits_2_with_one_line(amount):
    out = cli(amount)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and repr(amount) in lines[0]
