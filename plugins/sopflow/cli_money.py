"""`sopflow terbilang AMOUNT`: an amount of rupiah in words, as written on a kwitansi or SPP."""

from __future__ import annotations

import argparse
import sys


def cmd_terbilang(args: argparse.Namespace) -> int:
    from sopflow.domain.money import parse_rupiah, terbilang

    try:
        amount = parse_rupiah(args.amount)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(terbilang(amount))
    return 0


def add_terbilang_parser(sub) -> None:
    t = sub.add_parser("terbilang", help="an amount of rupiah in words (1.001.000 -> satu juta seribu rupiah)")
    t.add_argument("amount", metavar="AMOUNT", help="e.g. 1001000, 1.001.000 or 1.001.000,50 (a comma starts the sen)")
    t.set_defaults(func=cmd_terbilang)
