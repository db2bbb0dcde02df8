"""Rupiah amounts: parsing Indonesian notation, formatting it, and writing it in words (terbilang).

Amounts are `Decimal` rupiah with at most two decimals (sen); a float is refused everywhere,
since 0.1 + 0.2 is not an amount of money.

Parsing rule (`parse_rupiah`), the Indonesian way round: the dot groups thousands, the comma
starts the sen.
- An optional "Rp" / "Rp." prefix, spaces around it allowed: "Rp 1.001.000,50", "Rp1.000".
- The rupiah part is plain digits ("1001000") or groups of exactly three digits after a first
  group of one to three, joined by dots ("1.001.000"). A dot followed by exactly three digits is
  therefore always a thousands separator: "1.500" is one thousand five hundred.
- The sen part is a comma and one or two digits ("1.001.000,50"; "0,5" is 50 sen), or ",-"
  (the "Rp 1.000.000,-" of receipts: no sen).
- For machine-written amounts (`str(Decimal)`, CSV exports) one dot followed by one or two digits
  after plain digits is the decimal point: "1001000.50". Never three digits: see above.
- Everything else is refused with a ValueError naming the text: English grouping
  ("1,001,000": a comma followed by three digits would be a third decimal), mixed or misplaced
  separators ("1.00.000", "1.001.000.50"), leading zeros ("007"), more than two decimals,
  negative amounts, and empty text.

Terbilang rule (`terbilang`), as on a kwitansi, SPP or SPM, lower case (the caller capitalises):
- Words for the rupiah, then "rupiah": 1.001.000 -> "satu juta seribu rupiah"; 0 -> "nol rupiah".
- "se-" for one of 10 (sepuluh), 11 (sebelas), 100 (seratus) and 1.000 (seribu) only; one juta,
  miliar and triliun are "satu juta", "satu miliar", "satu triliun"; a thousands group of one
  inside a larger number is still "seribu" (1.001.000) but 101.000 is "seratus satu ribu".
- Sen, when not zero, follow as a number of sen: 2.500.000,50 -> "dua juta lima ratus ribu
  rupiah lima puluh sen"; 0,05 -> "lima sen" (no "nol rupiah" in front). Zero sen are not written.
- Up to 999.999.999.999.999,99 (below one thousand triliun); larger amounts are refused.

Hand-written rather than num2words: see docs/decisions.md.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

SEN = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999999.99")

_PREFIX = re.compile(r"^rp\.?\s*", re.IGNORECASE)
_GROUPED = re.compile(r"^(?P<int>[1-9]\d{0,2}(?:\.\d{3})+|0|[1-9]\d*)(?:,(?P<sen>\d{1,2}|-))?$")
_MACHINE = re.compile(r"^(?P<int>0|[1-9]\d*)\.(?P<sen>\d{1,2})$")

_UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
_SCALES = [(10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")]


def _as_decimal(value: Decimal | int | str, what: str = "amount") -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, an int or Indonesian text, not {type(value).__name__} {value!r}")
    if isinstance(value, str):
        return parse_rupiah(value)
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, an int or Indonesian text, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"not an amount of rupiah: {value!r}")
    if value < 0:
        raise ValueError(f"negative amounts are not accepted: {value}")
    if value != value.quantize(SEN):
        raise ValueError(f"more than two decimals (sen): {value}")
    if value > MAX_AMOUNT:
        raise ValueError(f"amount too large (at most {MAX_AMOUNT}): {value}")
    return value.quantize(SEN)


def parse_rupiah(text: str) -> Decimal:
    """The amount written in `text` (Indonesian notation; see the module docstring), two decimals."""
    if not isinstance(text, str):
        raise TypeError(f"parse_rupiah takes text, not {type(text).__name__}")
    body = _PREFIX.sub("", text.strip()).strip()
    if body.startswith("-"):
        raise ValueError(f"negative amounts are not accepted: {text!r}")
    match = _GROUPED.match(body) or _MACHINE.match(body)
    if not match:
        raise ValueError(
            f"not a rupiah amount: {text!r} (write e.g. 1001000, 1.001.000 or Rp 1.001.000,50: "
            "dots group thousands, a comma starts the sen)")
    sen = match["sen"] or "0"
    if sen == "-":
        sen = "0"
    try:
        value = Decimal(match["int"].replace(".", "")) + Decimal(sen.ljust(2, "0")) * SEN
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        raise ValueError(f"not a rupiah amount: {text!r}")
    if value > MAX_AMOUNT:
        raise ValueError(f"amount too large (at most {format_rupiah(MAX_AMOUNT)}): {text!r}")
    return value.quantize(SEN)


def format_rupiah(amount: Decimal | int) -> str:
    """"Rp 1.234.567,00": dots between thousands, a comma before the two digits of sen."""
    if isinstance(amount, str):
        raise TypeError("format_rupiah takes a Decimal or an int; parse text with parse_rupiah first")
    value = _as_decimal(amount)
    rupiah, sen = divmod(int(value * 100), 100)
    return f"Rp {rupiah:,}".replace(",", ".") + f",{sen:02d}"


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif 12 <= rest <= 19:
        words += [_UNITS[rest - 10], "belas"]
    elif rest >= 20:
        tens, unit = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if unit:
            words.append(_UNITS[unit])
    elif rest:
        words.append(_UNITS[rest])
    return words


def _number_words(n: int) -> list[str]:
    """Words for a whole number 1 <= n < 10**15."""
    words: list[str] = []
    for scale, name in _SCALES:
        group, n = divmod(n, scale)
        if not group:
            continue
        if group == 1 and name == "ribu":
            words.append("seribu")
        else:
            words += _below_thousand(group) + [name]
    return words + _below_thousand(n)


def terbilang(amount: Decimal | int | str) -> str:
    """The amount in Indonesian words, ending in "rupiah" (and "... sen" when there are sen)."""
    value = _as_decimal(amount)
    rupiah, sen = divmod(int(value * 100), 100)
    if not sen:
        return " ".join(_number_words(rupiah) if rupiah else ["nol"]) + " rupiah"
    sen_words = " ".join(_below_thousand(sen)) + " sen"
    if not rupiah:
        return sen_words
    return " ".join(_number_words(rupiah)) + " rupiah " + sen_words
