"""`sopflow spj template|submit|lengkapi|kirim|register|list`: SOP VIII's SPJ bundles from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_REFUSED = 1


def cmd_template(args: argparse.Namespace) -> int:
    from sopflow.domain.spj_intake import write_template
    from sopflow.domain.spp_checklist import spp_config
    from sopflow.settings import get_settings

    path = write_template(args.path, spp_config(get_settings().config_dir))
    print(f"Templat SPJ ditulis: {path}")
    return 0


def _attachments(specs: list[str]):
    """The --lampiran JENIS=PATH arguments as Lampiran, and the problems of those that cannot be read."""
    from sopflow.domain.documents import MAX_BYTES
    from sopflow.domain.spj import AFTER_ROWS, Lampiran, Problem

    found, problems = [], []
    for spec in specs:
        jenis, sep, path = (part.strip() for part in spec.partition("="))
        file = Path(path)
        if not sep or not jenis or not path:
            where, reason = f"--lampiran {spec}", 'tulis JENIS=BERKAS, misalnya "SPTJM SPP=sptjm.pdf"'
        elif not file.is_file():
            where, reason = f"lampiran {jenis} ({file})", "berkas tidak ditemukan"
        elif file.stat().st_size > MAX_BYTES:
            where, reason = f"lampiran {jenis} ({file})", f"berkas {file.stat().st_size} byte; batasnya {MAX_BYTES} byte"
        else:
            found.append(Lampiran(jenis, file.name, file.read_bytes()))
            continue
        problems.append(Problem(where, reason, urut=AFTER_ROWS + 1))
    return found, problems


def _print_rejected(problems) -> None:
    print(f"SPJ ditolak, tidak ada yang disimpan ({len(problems)} masalah):", file=sys.stderr)
    for p in problems:
        print(p, file=sys.stderr)


def cmd_submit(args: argparse.Namespace) -> int:
    from sopflow.domain.errors import ActionRefused
    from sopflow.domain.office import load_office
    from sopflow.domain.spj import SpjDraft, SpjRejected
    from sopflow.domain.spj_intake import read_xlsx, submit
    from sopflow.domain.spp_checklist import spp_config
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    settings = get_settings()
    config = spp_config(settings.config_dir)
    office = load_office(settings.config_dir)
    source = Path(args.file)
    if not source.is_file():
        print(f"Ditolak: berkas tidak ditemukan: {source}", file=sys.stderr)
        return EXIT_REFUSED
    attachments, file_problems = _attachments(args.lampiran)
    try:
        draft = read_xlsx(source)
    except SpjRejected as exc:
        _print_rejected([*exc.problems, *file_problems])
        return EXIT_REFUSED
    if file_problems:  # reported with everything else the bundle has wrong
        draft = SpjDraft(draft.header, draft.rincian, draft.sel, [*draft.problems, *file_problems])
    try:
        with session_scope() as session:
            result = submit(session, office, draft, attachments, args.by, "cli", config=config,
                            documents_dir=settings.documents_dir)
            message, koreksi = result.message, list(result.bundle.koreksi)
    except SpjRejected as exc:
        _print_rejected(exc.problems)
        return EXIT_REFUSED
    except ActionRefused as exc:
        print(f"Ditolak: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(message)
    if koreksi:
        print(f"Kelengkapan belum lengkap ({len(koreksi)}), dicatat untuk Form Koreksi Ajuan:")
        for item in koreksi:
            print(f"- {item['dokumen']}: {item['masalah']}")
    return 0


def _bundle_json(b, lines: int, attachments: int) -> dict:
    from sopflow.domain.money import format_rupiah

    return {
        "id": b.id, "jenis_spp": b.jenis_spp, "tahun_anggaran": b.tahun_anggaran,
        "bendahara_email": b.bendahara_email, "sub_kegiatan": b.sub_kegiatan, "uraian": b.uraian,
        "total": str(b.total), "total_rupiah": format_rupiah(b.total), "status": b.status,
        "submitted_by": b.submitted_by, "submitted_at": b.submitted_at.isoformat(),
        "batch_date": b.batch_date.isoformat() if b.batch_date else None, "dag_id": b.dag_id, "run_id": b.run_id,
        "bku_nomor": b.bku_nomor, "baris": lines, "lampiran": attachments, "koreksi": list(b.koreksi or []),
    }


def cmd_list(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from sopflow.domain.money import format_rupiah
    from sopflow.domain.period import JAKARTA
    from sopflow.store.db import session_scope
    from sopflow.store.models import SpjAttachment, SpjBundle, SpjLine

    with session_scope() as session:
        query = select(SpjBundle).order_by(SpjBundle.id)
        if args.status:
            query = query.where(SpjBundle.status == args.status)
        bundles = list(session.scalars(query))
        lines = dict(session.execute(select(SpjLine.bundle_id, func.count()).group_by(SpjLine.bundle_id)).all())
        attached = dict(session.execute(select(SpjAttachment.bundle_id, func.count())
                                        .group_by(SpjAttachment.bundle_id)).all())
    items = [_bundle_json(b, lines.get(b.id, 0), attached.get(b.id, 0)) for b in bundles]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("Tidak ada SPJ.")
        return 0
    for b, item in zip(bundles, items):
        when = b.submitted_at.astimezone(JAKARTA).strftime("%d-%m-%Y %H:%M WIB")
        print(f"{b.id:>5}  SPP-{b.jenis_spp} {b.tahun_anggaran}  {b.status:<14} {format_rupiah(b.total):>22}  "
              f"{b.bendahara_email}  {when}  {item['baris']} baris, {item['lampiran']} lampiran"
              f"{'  BKU ' + b.bku_nomor if b.bku_nomor else ''}\n       {b.uraian}")
    return 0


def cmd_lengkapi(args: argparse.Namespace) -> int:
    from sopflow.domain.errors import ActionRefused
    from sopflow.domain.office import load_office
    from sopflow.domain.spj import SpjRejected
    from sopflow.domain.spj_intake import add_attachments
    from sopflow.domain.spp_checklist import spp_config
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    settings = get_settings()
    attachments, problems = _attachments(args.lampiran)
    if problems:
        _print_rejected(problems)
        return EXIT_REFUSED
    try:
        with session_scope() as session:
            bundle = add_attachments(session, load_office(settings.config_dir), args.bundle_id, attachments, args.by,
                                     "cli", config=spp_config(settings.config_dir), documents_dir=settings.documents_dir)
            names = sorted({a.jenis for a in bundle.attachments})
    except SpjRejected as exc:
        _print_rejected(exc.problems)
        return EXIT_REFUSED
    except ActionRefused as exc:
        print(f"Ditolak: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"SPJ {args.bundle_id}: {len(attachments)} lampiran ditambahkan. Lampiran sekarang: {', '.join(names)}")
    print("Tandai langkah 2 selesai (sopflow done) agar Verifikator memeriksa kembali.")
    return 0


def cmd_kirim(args: argparse.Namespace) -> int:
    from sopflow.domain.office import load_office
    from sopflow.domain.spp_flow import send_transmittal
    from sopflow.mail import send_pending
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    settings = get_settings()
    with session_scope() as session:
        sent = send_transmittal(session, load_office(settings.config_dir), documents_dir=settings.documents_dir)
        summary = (sent.label, list(sent.bundles), list(sent.recipients), len(sent.documents)) if sent else None
    if summary is None:
        print("Tidak ada SPJ yang sudah ditandatangani PA dan belum dikirim.")
        return 0
    try:
        send_pending()
    except Exception as exc:  # the outbox keeps it; sopflow_outbox retries
        print(f"Email belum terkirim, disimpan di outbox: {exc}", file=sys.stderr)
    label, bundles, recipients, count = summary
    print(f"Surat pengantar {label} ke {', '.join(recipients)}: SPJ {', '.join(map(str, bundles))}, {count} dokumen")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    """The SPP/SPM register or the BKU extract of a fiscal year, as XLSX."""
    from sopflow.domain.office import load_office
    from sopflow.domain.spp_documents import bku_entries
    from sopflow.domain.spp_flow import numbered_bundles
    from sopflow.render import spp as render_spp
    from sopflow.settings import get_settings
    from sopflow.store.db import session_scope

    settings = get_settings()
    with session_scope() as session:
        bundles = numbered_bundles(session, load_office(settings.config_dir), args.tahun, args.bpp)
    if args.jenis == "bku":
        data = render_spp.bku_extract_xlsx(bku_entries(bundles), title=f"Buku Kas Umum {args.tahun}")
    else:
        data = render_spp.register_xlsx(bundles, title=f"Register SPP-SPM {args.tahun}")
    out = Path(args.output or f"{'bku' if args.jenis == 'bku' else 'register-spp-spm'}-{args.tahun}.xlsx")
    out.write_bytes(data)
    print(f"{out}: {len(bundles)} SPJ bernomor BKU, Tahun Anggaran {args.tahun}")
    return 0


STATUSES = ["diajukan", "dalam_proses", "dikembalikan", "ditandatangani", "dikirim"]


def add_spj_parser(sub) -> None:
    s = sub.add_parser("spj", help="SPJ bundles of SOP VIII (SPP-UP/GU/TU/LS): template, submit, list")
    s_sub = s.add_subparsers(dest="spj_command", required=True)

    t = s_sub.add_parser("template", help="write the XLSX template a BPP fills in")
    t.add_argument("path", metavar="PATH")
    t.set_defaults(func=cmd_template)

    u = s_sub.add_parser("submit", help="submit a filled-in template as an SPJ bundle")
    u.add_argument("file", metavar="FILE.xlsx")
    u.add_argument("--by", required=True, metavar="EMAIL", help="the BPP (or their Plh/Plt) submitting it")
    u.add_argument("--lampiran", action="append", default=[], metavar="JENIS=PATH",
                   help='an attached document, e.g. --lampiran "SPTJM SPP=sptjm.pdf" (repeatable)')
    u.set_defaults(func=cmd_submit)

    k = s_sub.add_parser("lengkapi", help="add the documents a Form Koreksi Ajuan asked for")
    k.add_argument("bundle_id", metavar="SPJ_ID", type=int)
    k.add_argument("--by", required=True, metavar="EMAIL", help="the bundle's BPP (or their Plh/Plt)")
    k.add_argument("--lampiran", action="append", default=[], required=True, metavar="JENIS=PATH")
    k.set_defaults(func=cmd_lengkapi)

    m = s_sub.add_parser("kirim", help="send every bundle the PA signed to BPKAD now (the sop08_spp_kirim DAG does it daily)")
    m.set_defaults(func=cmd_kirim)

    r = s_sub.add_parser("register", help="the SPP/SPM register or the BKU extract of a fiscal year (XLSX)")
    r.add_argument("jenis", choices=["spp-spm", "bku"])
    r.add_argument("--tahun", type=int, required=True, metavar="YEAR")
    r.add_argument("--bpp", metavar="EMAIL", help="one BPP's bundles only")
    r.add_argument("--output", metavar="PATH")
    r.set_defaults(func=cmd_register)

    ls = s_sub.add_parser("list", help="list SPJ bundles")
    ls.add_argument("--status", choices=STATUSES)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
