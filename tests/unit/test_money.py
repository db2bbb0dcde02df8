"""Rupiah amounts: parsing Indonesian notation, formatting, and terbilang."""

from decimal import Decimal

import pytest

from sopflow.domain.money import format_rupiah, parse_rupiah, terbilang

GOLDEN = [
    (0, "nol rupiah"),
    (11, "sebelas rupiah"),
    (12, "dua belas rupiah"),
    (15, "lima belas rupiah"),
    (19, "sembilan belas rupiah"),
    (20, "dua puluh rupiah"),
    (21, "dua puluh satu rupiah"),
    (99, "sembilan puluh sembilan rupiah"),
    (100, "seratus rupiah"),
    (101, "seratus satu rupiah"),
    (111, "seratus sebelas rupiah"),
    (1_000, "seribu rupiah"),
    (1_100, "seribu seratus rupiah"),
    (10_000, "sepuluh ribu rupiah"),
    (100_000, "seratus ribu rupiah"),
    (101_000, "seratus satu ribu rupiah"),
    (1_000_000, "satu juta rupiah"),
    (1_001_000, "satu juta seribu rupiah"),
    (2_001_250, "dua juta seribu dua ratus lima puluh rupiah"),
    (12_345_678, "dua belas juta tiga ratus empat puluh lima ribu enam ratus tujuh puluh delapan rupiah"),
    (1_000_000_000, "satu miliar rupiah"),
    (1_000_000_000_000, "satu triliun rupiah"),
]


@pytest.mark.parametrize("amount,words", GOLDEN)
def test_terbilang_golden(amount, words):
    assert terbilang(Decimal(amount)) == words


def test_terbilang_sen_follow_the_rupiah():
    # The documented rule: "... rupiah", then the sen as a number of sen; zero sen are not written.
    assert terbilang(Decimal("2500000.50")) == "dua juta lima ratus ribu rupiah lima puluh sen"
    assert terbilang(Decimal("1.05")) == "satu rupiah lima sen"
    assert terbilang(Decimal("0.50")) == "lima puluh sen"
    assert terbilang(Decimal("1000.00")) == "seribu rupiah"


def test_terbilang_takes_indonesian_text():
    assert terbilang("2.500.000,50") == "dua juta lima ratus ribu rupiah lima puluh sen"
    assert terbilang("Rp 1.001.000") == "satu juta seribu rupiah"


@pytest.mark.parametrize("bad", [1.5, True, Decimal("-1"), Decimal("1.005"), Decimal("NaN"), Decimal(10**15)])
def test_terbilang_refuses(bad):
    with pytest.raises((TypeError, ValueError)):
        terbilang(bad)


@pytest.mark.parametrize("text,value", [
    ("1001000", "1001000"),
    ("1.001.000", "1001000"),
    ("1.001.000,50", "1001000.50"),
    ("Rp 1.001.000,50", "1001000.50"),
    ("Rp1.000", "1000"),
    ("rp. 1.000,5", "1000.50"),
    ("Rp 1.000.000,-", "1000000"),
    ("1001000.50", "1001000.50"),  # one dot and two digits: a machine-written decimal point
    ("1.500", "1500"),  # a dot and exactly three digits: always thousands
    ("0", "0"),
    ("0,05", "0.05"),
    ("  999.999.999.999.999,99 ", "999999999999999.99"),
])
def test_parse_rupiah(text, value):
    parsed = parse_rupiah(text)
    assert parsed == Decimal(value) and parsed.as_tuple().exponent == -2


@pytest.mark.parametrize("text", [
    "", "Rp", "abc", "1,001,000", "1.00.000", "1.0000", "1.001.000.50", "1001000.505", "1.001.000,505",
    "-5", "Rp -1.000", "007", ",5", "1 000", "1.001,000", "1e6", "1.000.000.000.000.000",
])
def test_parse_rupiah_refuses_naming_the_text(text):
    with pytest.raises(ValueError) as exc:
        parse_rupiah(text)
    assert repr(text) in str(exc.value)


@pytest.mark.parametrize("amount,text", [
    (Decimal("1234567"), "Rp 1.234.567,00"),
    (Decimal("1234567.5"), "Rp 1.234.567,50"),
    (0, "Rp 0,00"),
    (Decimal("999"), "Rp 999,00"),
    (Decimal("1000"), "Rp 1.000,00"),
    (Decimal("0.05"), "Rp 0,05"),
])
def test_format_rupiah(amount, text):
    assert format_rupiah(amount) == text
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("bad", [1234.5, "1.000", Decimal("-1"), Decimal("0.001")])
def test_format_rupiah_refuses(bad):
    with pytest.raises((TypeError, ValueError)):
        format_rupiah(bad)
