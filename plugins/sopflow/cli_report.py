"""`sopflow report compliance --from DATE --to DATE [--format html|pdf|xlsx] [--output PATH]`.

Writes the compliance report (kepatuhan waktu terhadap mutu baku) of the steps finished from
DATE to DATE (Asia/Jakarta dates, both included) and prints the path of the file written. The
default file is `laporan_kepatuhan_FROM_TO.FORMAT` in the current directory; the default format
is pdf. `sopflow.cli` wires it in with `add_report_parser(sub)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

DEFAULT_FORMAT = "pdf"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bukan tanggal YYYY-MM-DD: {text!r}") from None


def cmd_report_compliance(args: argparse.Namespace) -> int:
    from sopflow.domain.compliance import load_report
    from sopflow.domain.office import load_office
    from sopflow.render.compliance import file_stem, render_report
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    if args.end < args.start:
        print(f"Ditolak: --to {args.end} sebelum --from {args.start}", file=sys.stderr)
        return 1
    office = load_office(get_settings().config_dir)
    with session_scope() as session:
        report = load_report(session, office, args.start, args.end)
    data = render_report(report, args.format)
    path = Path(args.output) if args.output else Path.cwd() / f"{file_stem(report)}.{args.format}"
    if path.is_dir():
        path = path / f"{file_stem(report)}.{args.format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    if not report.steps:
        print(f"Tidak ada langkah selesai dari {args.start} sampai {args.end}.", file=sys.stderr)
    print(path.resolve())
    return 0


def add_report_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `report` (with `compliance`) to the `sopflow` command's subparsers."""
    report = subparsers.add_parser("report", help="laporan (kepatuhan waktu SOP)")
    report_sub = report.add_subparsers(dest="report_command", required=True)
    c = report_sub.add_parser(
        "compliance", help="laporan kepatuhan waktu terhadap mutu baku SOP",
        description="Laporan kepatuhan: langkah yang selesai dari --from sampai --to (tanggal WIB, keduanya termasuk), "
                    "waktu aktual dalam menit kerja dibandingkan mutu baku waktu SOP.")
    c.add_argument("--from", dest="start", required=True, type=_date, metavar="DATE", help="tanggal awal, YYYY-MM-DD")
    c.add_argument("--to", dest="end", required=True, type=_date, metavar="DATE", help="tanggal akhir, YYYY-MM-DD")
    c.add_argument("--format", choices=["html", "pdf", "xlsx"], default=DEFAULT_FORMAT,
                   help=f"format berkas (bawaan: {DEFAULT_FORMAT})")
    c.add_argument("--output", metavar="PATH",
                   help="berkas tujuan (bawaan: laporan_kepatuhan_DARI_SAMPAI.FORMAT di direktori kerja)")
    c.set_defaults(func=cmd_report_compliance)
    return report
